//! `_core.Layer` and `_core.Model`: the Keras layer objects' Rust halves and the one-batch steps
//! that `fit`, `evaluate` and `predict` call. The GIL is released for every batch.
use super::batch::weight_rows;
use super::errors::IntoPy;
use super::model_args::{arrays, compile_heads, rows_of, tensors_in, tensors_out, Picked};
use super::tensor::PyTensor;
use crate::kernels::parallel::within_pool;
use crate::layers::{
    Activation, ActivationLayer, Dense, Dropout, Flatten, Layer, Merge, MergeKind,
};
use crate::model::{Compiled, Graph, Node, StepOut};
use crate::optimizers::OptimizerState;
use numpy::{PyReadonlyArray1, PyReadonlyArrayDyn};
use parking_lot::RwLock;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::HashMap;
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
    #[staticmethod]
    #[pyo3(signature = (kind, axis = -1))]
    fn merge(kind: &str, axis: isize) -> PyResult<Self> {
        Ok(PyLayer {
            inner: Arc::new(Merge(MergeKind::from_name(kind, axis).py_err()?)),
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
        // A list or tuple feeds a merge layer's several inputs.
        let (ts, _) = tensors_in(x, self.inner.kind())?;
        Ok(PyTensor::wrap(
            self.inner.forward_many(&ts, training).py_err()?,
        ))
    }
}

pub(super) struct State {
    pub(super) model: Graph,
    pub(super) compiled: Option<Compiled>,
}

/// The model's lock is only ever taken by the thread that called in from Python, with the GIL
/// released, before it enters the pool; pool jobs get the state it guards by reference. A pool
/// worker blocked on this lock could hold up the very job that would release it (issue 20), and a
/// thread waiting for it with the GIL held would block the holder's Ctrl-C polls.
#[pyclass(name = "Model", module = "rustgrad._core", frozen)]
pub struct PyModel {
    state: RwLock<State>,
}

/// The optimizer `name` with Keras keywords from Python (None means Keras' default); the name
/// table and the defaults live in the core's registry.
pub(crate) fn opt_from(name: &str, kw: &Bound<'_, PyDict>) -> PyResult<OptimizerState> {
    let (mut num, mut flags) = (HashMap::new(), HashMap::new());
    for (k, v) in kw.iter() {
        let key: String = k.extract()?;
        if v.is_none() {
            continue;
        }
        if v.is_instance_of::<pyo3::types::PyBool>() {
            flags.insert(key, v.is_truthy()?);
        } else {
            num.insert(key, v.extract::<f32>()?);
        }
    }
    crate::registry::optimizer(name, &num, &flags).py_err()
}

impl PyModel {
    /// `f` with exclusive access (a train step, compile): steps never interleave or tear.
    pub(super) fn with_write<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut State) -> R + Send,
    ) -> R {
        py.detach(|| f(&mut self.state.write()))
    }
    /// `f` with shared access (predict, evaluate, reading weights): it sees whole steps only.
    pub(super) fn with_read<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&State) -> R + Send,
    ) -> R {
        py.detach(|| f(&self.state.read()))
    }
}

pub(super) fn not_compiled(what: &str) -> crate::error::Error {
    crate::error::Error::invalid(what, "the model must be compiled first")
}

impl State {
    /// One training step; the caller holds the model's write lock.
    pub(super) fn train_step(&mut self, b: &Picked, lr: f32) -> crate::error::Result<StepOut> {
        let Some(c) = self.compiled.as_mut() else {
            return Err(not_compiled("train_batch"));
        };
        self.model.train_step(c, &b.xs, &b.ys, b.sw.as_ref(), lr)
    }
}

fn step_result(o: StepOut) -> (f32, Vec<(f64, f64)>) {
    (o.loss, o.stats)
}

#[pymethods]
impl PyModel {
    /// `layers` chained (Sequential), or the graph `graph`: nodes in topological order, each
    /// (layer index, or -1 for a model input; the ids of the nodes it reads).
    #[new]
    #[pyo3(signature = (layers, graph = None, inputs = None, outputs = None))]
    fn new(
        layers: Vec<PyRef<'_, PyLayer>>,
        graph: Option<Vec<(i64, Vec<usize>)>>,
        inputs: Option<Vec<usize>>,
        outputs: Option<Vec<usize>>,
    ) -> PyResult<Self> {
        let layers: Vec<_> = layers.iter().map(|l| l.inner.clone()).collect();
        let model = match graph {
            None => Graph::chain(layers),
            Some(g) => {
                let nodes: Vec<Node> = g
                    .into_iter()
                    .map(|(l, inputs)| Node {
                        layer: usize::try_from(l).ok(),
                        inputs,
                    })
                    .collect();
                let inputs = inputs.unwrap_or_else(|| {
                    (0..nodes.len())
                        .filter(|&i| nodes[i].layer.is_none())
                        .collect()
                });
                let outputs = outputs.unwrap_or(vec![nodes.len().saturating_sub(1)]);
                Graph::new(layers, nodes, inputs, outputs).py_err()?
            }
        };
        Ok(PyModel {
            state: RwLock::new(State {
                model,
                compiled: None,
            }),
        })
    }

    #[getter]
    fn num_outputs(&self, py: Python<'_>) -> usize {
        self.with_read(py, |s| s.model.outputs.len())
    }

    /// Keras' compile: a loss (or one per output) with its from_logits/delta, metric names (or a
    /// list per output), loss weights per output, frozen layer indices, the optimizer's keywords.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (loss, metrics, optimizer, from_logits = None, delta = None,
                        label_smoothing = None, loss_weights = None, frozen = None, focal = None,
                        **kwargs))]
    fn compile(
        &self,
        py: Python<'_>,
        loss: &Bound<'_, PyAny>,
        metrics: &Bound<'_, PyAny>,
        optimizer: &str,
        from_logits: Option<&Bound<'_, PyAny>>,
        delta: Option<&Bound<'_, PyAny>>,
        label_smoothing: Option<&Bound<'_, PyAny>>,
        loss_weights: Option<Vec<f32>>,
        frozen: Option<Vec<usize>>,
        focal: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let kw = kwargs.cloned().unwrap_or_else(|| PyDict::new(py));
        let opt = opt_from(optimizer, &kw)?;
        let outputs = self.with_read(py, |s| s.model.outputs.len());
        let heads = compile_heads(
            outputs,
            loss,
            metrics,
            from_logits,
            delta,
            label_smoothing,
            focal,
            loss_weights,
        )?;
        let frozen = frozen.unwrap_or_default();
        self.with_write(py, |s| {
            s.compiled = Some(Compiled::new(&s.model, heads, opt, &frozen)?);
            Ok::<(), crate::error::Error>(())
        })
        .py_err()
    }

    /// The weights take the optimizer's moving average when it keeps one (end of fit, use_ema).
    fn finalize_variable_values(&self, py: Python<'_>) {
        self.with_write(py, |s| {
            if let Some(c) = s.compiled.as_mut() {
                c.finalize_variable_values(&s.model);
            }
        })
    }

    fn params(&self, py: Python<'_>) -> Vec<PyTensor> {
        self.with_read(py, |s| s.model.params())
            .into_iter()
            .map(PyTensor::wrap)
            .collect()
    }

    /// One training step on rows `idx` of (x, y); returns (loss, [(sum, count), ...]). x and y
    /// are arrays, or lists of arrays for several inputs or outputs.
    #[pyo3(signature = (x, y, idx = None, sample_weight = None, lr = 0.001))]
    fn train_batch(
        &self,
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        y: &Bound<'_, PyAny>,
        idx: Option<PyReadonlyArray1<'_, i64>>,
        sample_weight: Option<PyReadonlyArrayDyn<'_, f32>>,
        lr: f32,
    ) -> PyResult<(f32, Vec<(f64, f64)>)> {
        let (xa, ya) = (arrays(x, "x")?, arrays(y, "y")?);
        let (xs, ys) = (rows_of(&xa, "x")?, rows_of(&ya, "y")?);
        let ids = idx.as_ref().map(|i| i.as_slice()).transpose()?;
        let sw = weight_rows(sample_weight.as_ref())?;
        let out = self.with_write(py, |s| {
            within_pool(|| s.train_step(&Picked::new(&xs, &ys, ids, sw.as_ref())?, lr))
        });
        Ok(step_result(out.py_err()?))
    }

    #[pyo3(signature = (x, y, idx = None, sample_weight = None))]
    fn eval_batch(
        &self,
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        y: &Bound<'_, PyAny>,
        idx: Option<PyReadonlyArray1<'_, i64>>,
        sample_weight: Option<PyReadonlyArrayDyn<'_, f32>>,
    ) -> PyResult<(f32, Vec<(f64, f64)>)> {
        let (xa, ya) = (arrays(x, "x")?, arrays(y, "y")?);
        let (xs, ys) = (rows_of(&xa, "x")?, rows_of(&ya, "y")?);
        let ids = idx.as_ref().map(|i| i.as_slice()).transpose()?;
        let sw = weight_rows(sample_weight.as_ref())?;
        let out = self.with_read(py, |s| {
            within_pool(|| {
                let b = Picked::new(&xs, &ys, ids, sw.as_ref())?;
                let c = s
                    .compiled
                    .as_ref()
                    .ok_or_else(|| not_compiled("evaluate"))?;
                s.model.eval_step(&c.heads, &b.xs, &b.ys, b.sw.as_ref())
            })
        });
        Ok(step_result(out.py_err()?))
    }

    /// The outputs for rows `idx` of x: an array, or a list of arrays for several outputs.
    #[pyo3(signature = (x, idx = None))]
    fn predict_batch<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        idx: Option<PyReadonlyArray1<'py, i64>>,
    ) -> PyResult<Py<PyAny>> {
        let xa = arrays(x, "x")?;
        let xs = rows_of(&xa, "x")?;
        let ids = idx.as_ref().map(|i| i.as_slice()).transpose()?;
        let outs = self
            .with_read(py, |s| {
                within_pool(|| {
                    let b = Picked::new(&xs, &[], ids, None)?;
                    s.model.predict(&b.xs)
                })
            })
            .py_err()?;
        tensors_out(py, outs, true)
    }

    /// The forward pass on a Tensor (or a list, one per input), recording the graph (for learners
    /// who want to see backprop); a Tensor out, or a list for several outputs.
    #[pyo3(signature = (x, training = false))]
    fn forward(&self, py: Python<'_>, x: &Bound<'_, PyAny>, training: bool) -> PyResult<Py<PyAny>> {
        let (ts, _) = tensors_in(x, "model")?;
        let model = self.with_read(py, |s| s.model.clone());
        tensors_out(py, model.forward(&ts, training).py_err()?, false)
    }
}
