//! `_core.Layer` and `_core.Model`: the Keras layer objects' Rust halves and the one-batch steps
//! that `fit`, `evaluate` and `predict` call. The GIL is released for every batch.
use super::batch::{weight_rows, Rows};
use super::errors::{IntoPy, InvalidArgumentError, ShapeError};
use super::tensor::PyTensor;
use crate::kernels::parallel::within_pool;
use crate::layers::{Activation, ActivationLayer, Dense, Dropout, Flatten, Layer};
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::optimizers::{Adagrad, Adam, Clip, Optimizer, OptimizerState, RMSprop, Sgd};
use crate::tensor::Tensor;
use crate::training::{Sequential, StepOut};
use numpy::{PyArrayDyn, PyArrayMethods, PyReadonlyArray1, PyReadonlyArrayDyn};
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

#[pyclass(name = "Layer", module = "rustgrad._core", frozen)]
pub struct PyLayer {
    pub inner: Arc<dyn Layer>,
}

#[pymethods]
impl PyLayer {
    #[staticmethod]
    #[pyo3(signature = (input_dim, units, activation = "linear", use_bias = true))]
    fn dense(input_dim: usize, units: usize, activation: &str, use_bias: bool) -> PyResult<Self> {
        let act = Activation::from_name(activation).py_err()?;
        Ok(PyLayer {
            inner: Arc::new(Dense::new(input_dim, units, act, use_bias)),
        })
    }
    #[staticmethod]
    fn flatten() -> Self {
        PyLayer {
            inner: Arc::new(Flatten),
        }
    }
    #[staticmethod]
    fn activation(name: &str) -> PyResult<Self> {
        Ok(PyLayer {
            inner: Arc::new(ActivationLayer(Activation::from_name(name).py_err()?)),
        })
    }
    #[staticmethod]
    #[pyo3(signature = (rate, seed, spatial = false))]
    fn dropout(rate: f32, seed: u64, spatial: bool) -> PyResult<Self> {
        let layer = if spatial {
            Dropout::spatial(rate, seed)
        } else {
            Dropout::new(rate, seed)
        };
        Ok(PyLayer {
            inner: Arc::new(layer.py_err()?),
        })
    }
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn params(&self) -> Vec<PyTensor> {
        self.inner
            .params()
            .into_iter()
            .map(PyTensor::wrap)
            .collect()
    }
    #[pyo3(signature = (x, training = false))]
    fn __call__(&self, x: &Bound<'_, PyAny>, training: bool) -> PyResult<PyTensor> {
        let t = super::convert::to_tensor(x, self.inner.kind())?;
        Ok(PyTensor::wrap(self.inner.forward(&t, training).py_err()?))
    }
}

struct State {
    model: Sequential,
    loss: Option<Loss>,
    metrics: Vec<Metric>,
    opt: Option<OptimizerState>,
}

#[pyclass(name = "Model", module = "rustgrad._core", frozen)]
pub struct PyModel {
    state: Mutex<State>,
}

fn parse_loss(name: &str, from_logits: bool, delta: f32, label_smoothing: f32) -> PyResult<Loss> {
    if !(0.0..=1.0).contains(&label_smoothing) {
        return Err(InvalidArgumentError::new_err(format!(
            "{name}: label_smoothing must be in [0, 1], got {label_smoothing}"
        )));
    }
    Ok(match name {
        "mean_squared_error" => Loss::MeanSquaredError,
        "mean_absolute_error" => Loss::MeanAbsoluteError,
        "huber" => Loss::Huber { delta },
        "binary_crossentropy" => Loss::BinaryCrossentropy {
            from_logits,
            label_smoothing,
        },
        "categorical_crossentropy" => Loss::CategoricalCrossentropy {
            from_logits,
            label_smoothing,
        },
        "sparse_categorical_crossentropy" => Loss::SparseCategoricalCrossentropy { from_logits },
        _ => {
            return Err(InvalidArgumentError::new_err(format!(
                "unknown loss '{name}'"
            )))
        }
    })
}

pub(crate) fn opt_from(name: &str, kw: &Bound<'_, PyDict>) -> PyResult<OptimizerState> {
    let f = |k: &str, d: f32| -> PyResult<f32> {
        Ok(kw
            .get_item(k)?
            .filter(|v| !v.is_none())
            .map(|v| v.extract::<f32>())
            .transpose()?
            .unwrap_or(d))
    };
    let o = |k: &str| -> PyResult<Option<f32>> {
        kw.get_item(k)?
            .filter(|v| !v.is_none())
            .map(|v| v.extract::<f32>())
            .transpose()
    };
    let b = |k: &str| -> PyResult<bool> {
        Ok(kw
            .get_item(k)?
            .map(|v| v.is_truthy())
            .transpose()?
            .unwrap_or(false))
    };
    let rule: Box<dyn Optimizer> = match name {
        "sgd" => Box::new(Sgd::new(f("momentum", 0.0)?, b("nesterov")?)),
        "adam" | "adamw" => Box::new(Adam::new(
            f("beta_1", 0.9)?,
            f("beta_2", 0.999)?,
            f("epsilon", 1e-7)?,
            b("amsgrad")?,
        )),
        "rmsprop" => Box::new(RMSprop::new(
            f("rho", 0.9)?,
            f("momentum", 0.0)?,
            f("epsilon", 1e-7)?,
            b("centered")?,
        )),
        "adagrad" => Box::new(Adagrad::new(
            f("initial_accumulator_value", 0.1)?,
            f("epsilon", 1e-7)?,
        )),
        _ => {
            return Err(InvalidArgumentError::new_err(format!(
                "unknown optimizer '{name}'"
            )))
        }
    };
    let clip = Clip {
        clipnorm: o("clipnorm")?,
        clipvalue: o("clipvalue")?,
        global_clipnorm: o("global_clipnorm")?,
    };
    OptimizerState::new(rule, clip, f("weight_decay", 0.0)?).py_err()
}

impl PyModel {
    /// One training step under the model lock (callers release the GIL around it).
    pub(super) fn train_step(
        &self,
        x: &Tensor,
        y: &Tensor,
        sw: Option<&Tensor>,
        lr: f32,
    ) -> crate::error::Result<StepOut> {
        let mut s = self.state.lock();
        let State {
            model,
            loss,
            metrics,
            opt,
        } = &mut *s;
        let (Some(loss), Some(opt)) = (loss.as_ref(), opt.as_mut()) else {
            return Err(crate::error::Error::invalid(
                "train_batch",
                "the model must be compiled before training",
            ));
        };
        model.train_step(opt, *loss, metrics, x, y, sw, lr)
    }
}

fn step_result(o: StepOut) -> (f32, Vec<(f64, f64)>) {
    (o.loss, o.metrics)
}

#[pymethods]
impl PyModel {
    #[new]
    fn new(layers: Vec<PyRef<'_, PyLayer>>) -> Self {
        let model = Sequential::new(layers.iter().map(|l| l.inner.clone()).collect());
        PyModel {
            state: Mutex::new(State {
                model,
                loss: None,
                metrics: vec![],
                opt: None,
            }),
        }
    }

    /// Each metric is (core name, threshold); only binary_accuracy reads its threshold.
    // Keras' compile keywords, one per argument.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (loss, metrics, optimizer, from_logits = false, delta = 1.0, label_smoothing = 0.0, **kwargs))]
    fn compile(
        &self,
        py: Python<'_>,
        loss: &str,
        metrics: Vec<(String, f32)>,
        optimizer: &str,
        from_logits: bool,
        delta: f32,
        label_smoothing: f32,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let kw = kwargs.cloned().unwrap_or_else(|| PyDict::new(py));
        let opt = opt_from(optimizer, &kw)?;
        let loss = parse_loss(loss, from_logits, delta, label_smoothing)?;
        let metrics = metrics
            .iter()
            .map(|(m, threshold)| Metric::from_name(m, *threshold).py_err())
            .collect::<PyResult<_>>()?;
        let mut s = self.state.lock();
        s.loss = Some(loss);
        s.metrics = metrics;
        s.opt = Some(opt);
        Ok(())
    }

    fn params(&self) -> Vec<PyTensor> {
        self.state
            .lock()
            .model
            .params()
            .into_iter()
            .map(PyTensor::wrap)
            .collect()
    }

    /// One training step on rows `idx` of (x, y); returns (loss, [(metric sum, count), ...]).
    #[pyo3(signature = (x, y, idx = None, sample_weight = None, lr = 0.001))]
    fn train_batch(
        &self,
        py: Python<'_>,
        x: PyReadonlyArrayDyn<'_, f32>,
        y: PyReadonlyArrayDyn<'_, f32>,
        idx: Option<PyReadonlyArray1<'_, i64>>,
        sample_weight: Option<PyReadonlyArrayDyn<'_, f32>>,
        lr: f32,
    ) -> PyResult<(f32, Vec<(f64, f64)>)> {
        let ids = idx.as_ref().map(|i| i.as_slice()).transpose()?;
        let (xs, ys) = (Rows::of(&x, "x")?, Rows::of(&y, "y")?);
        let ws = weight_rows(sample_weight.as_ref())?;
        let out = py.detach(|| {
            within_pool(|| {
                let (xt, yt) = (xs.pick(ids, "x")?, ys.pick(ids, "y")?);
                let wt = ws
                    .as_ref()
                    .map(|w| w.pick(ids, "sample_weight"))
                    .transpose()?;
                self.train_step(&xt, &yt, wt.as_ref(), lr)
            })
        });
        Ok(step_result(out.py_err()?))
    }

    #[pyo3(signature = (x, y, idx = None, sample_weight = None))]
    fn eval_batch(
        &self,
        py: Python<'_>,
        x: PyReadonlyArrayDyn<'_, f32>,
        y: PyReadonlyArrayDyn<'_, f32>,
        idx: Option<PyReadonlyArray1<'_, i64>>,
        sample_weight: Option<PyReadonlyArrayDyn<'_, f32>>,
    ) -> PyResult<(f32, Vec<(f64, f64)>)> {
        let ids = idx.as_ref().map(|i| i.as_slice()).transpose()?;
        let (xs, ys) = (Rows::of(&x, "x")?, Rows::of(&y, "y")?);
        let ws = weight_rows(sample_weight.as_ref())?;
        let out = py.detach(|| {
            within_pool(|| {
                let (xt, yt) = (xs.pick(ids, "x")?, ys.pick(ids, "y")?);
                let wt = ws
                    .as_ref()
                    .map(|w| w.pick(ids, "sample_weight"))
                    .transpose()?;
                let s = self.state.lock();
                let Some(loss) = s.loss else {
                    return Err(crate::error::Error::invalid(
                        "evaluate",
                        "the model must be compiled before evaluating",
                    ));
                };
                s.model.eval_step(loss, &s.metrics, &xt, &yt, wt.as_ref())
            })
        });
        Ok(step_result(out.py_err()?))
    }

    #[pyo3(signature = (x, idx = None))]
    fn predict_batch<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArrayDyn<'py, f32>,
        idx: Option<PyReadonlyArray1<'py, i64>>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let ids = idx.as_ref().map(|i| i.as_slice()).transpose()?;
        let xs = Rows::of(&x, "x")?;
        let out = py
            .detach(|| within_pool(|| self.state.lock().model.predict(&xs.pick(ids, "x")?)))
            .py_err()?;
        let shape = out.shape().to_vec();
        numpy::PyArray1::from_vec(py, out.to_vec())
            .reshape(shape)
            .map_err(|e| ShapeError::new_err(e.to_string()))
    }

    /// The forward pass on a Tensor, recording the graph (for learners who want to see backprop).
    #[pyo3(signature = (x, training = false))]
    fn forward(&self, x: &Bound<'_, PyAny>, training: bool) -> PyResult<PyTensor> {
        let t = super::convert::to_tensor(x, "model")?;
        let model = self.state.lock().model.clone();
        Ok(PyTensor::wrap(model.forward(&t, training).py_err()?))
    }
}
