//! `_core.Layer` constructors of the activation and utility layers (Softmax, ReLU, PReLU,
//! Rescaling, Normalization, Permute, RepeatVector, GaussianNoise/Dropout, global poolings) and of layers with
//! weight options (regularizers, constraints, activity regularizer), plus the penalty a layer
//! adds to the loss.
use super::convert::to_tensor;
use super::errors::IntoPy;
use super::model::PyLayer;
use super::tensor::PyTensor;
use crate::layers::{
    Activation, ActivationLayer, Constraint, GaussianNoise, GlobalPool, Normalization, PRelu,
    Permute, Regularizer, ReluLayer, RepeatVector, Rescaling, SoftmaxLayer, Weighted,
};
use crate::ops::Unary;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Arc;

fn layer(l: impl crate::layers::Layer + 'static) -> PyLayer {
    PyLayer { inner: Arc::new(l) }
}

fn reg(l1l2: Option<(f32, f32)>) -> Option<Regularizer> {
    l1l2.map(|(l1, l2)| Regularizer { l1, l2 })
}

/// A constraint as Python spells it: (name, numbers, axes), e.g. ("max_norm", [2.0], [0]).
type ConstraintSpec = (String, Vec<f32>, Vec<isize>);

fn constraint(spec: Option<ConstraintSpec>) -> PyResult<Option<Constraint>> {
    spec.map(|(name, args, axes)| Constraint::from_parts(&name, &args, axes).py_err())
        .transpose()
}

#[pymethods]
impl PyLayer {
    #[staticmethod]
    fn softmax(axis: isize) -> Self {
        layer(SoftmaxLayer { axis })
    }
    #[staticmethod]
    fn elu(alpha: f32) -> Self {
        layer(ActivationLayer(Activation::Elementwise(Unary::Elu(alpha))))
    }
    #[staticmethod]
    #[pyo3(signature = (max_value, negative_slope, threshold))]
    fn relu(max_value: Option<f32>, negative_slope: f32, threshold: f32) -> PyResult<Self> {
        Ok(layer(
            ReluLayer::new(max_value, negative_slope, threshold).py_err()?,
        ))
    }
    /// PReLU with the slope `alpha` (its values are copied into a new trainable weight).
    #[staticmethod]
    fn prelu(alpha: &Bound<'_, PyAny>) -> PyResult<Self> {
        let a = to_tensor(alpha, "PReLU")?;
        let alpha = crate::tensor::Tensor::new(a.to_vec(), a.shape().to_vec())
            .py_err()?
            .with_grad();
        Ok(layer(PRelu { alpha }))
    }
    #[staticmethod]
    fn rescaling(scale: &Bound<'_, PyAny>, offset: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(layer(Rescaling {
            scale: to_tensor(scale, "Rescaling")?.detach(),
            offset: to_tensor(offset, "Rescaling")?.detach(),
        }))
    }
    /// Normalization with `mean` and `variance` (copied); `weights` makes them the layer's
    /// weights with Keras' `count` beside them (the adapt case), else constants.
    #[staticmethod]
    fn normalization(
        mean: &Bound<'_, PyAny>,
        variance: &Bound<'_, PyAny>,
        broadcast: Vec<isize>,
        invert: bool,
        weights: bool,
    ) -> PyResult<Self> {
        let copy = |t: &Bound<'_, PyAny>| -> PyResult<crate::tensor::Tensor> {
            let t = to_tensor(t, "Normalization")?;
            crate::tensor::Tensor::new(t.to_vec(), t.shape().to_vec()).py_err()
        };
        Ok(layer(Normalization {
            mean: copy(mean)?,
            variance: copy(variance)?,
            count: weights.then(|| crate::tensor::Tensor::scalar(0.0)),
            broadcast,
            invert,
        }))
    }
    #[staticmethod]
    fn permute(dims: Vec<usize>) -> Self {
        layer(Permute { dims })
    }
    #[staticmethod]
    fn repeat_vector(n: usize) -> Self {
        layer(RepeatVector { n })
    }
    /// GaussianDropout when `multiplicative` (`amount` is the rate), else GaussianNoise (stddev).
    #[staticmethod]
    fn gaussian_noise(amount: f32, seed: u64, multiplicative: bool) -> PyResult<Self> {
        let l = if multiplicative {
            GaussianNoise::dropout(amount, seed)
        } else {
            GaussianNoise::additive(amount, seed)
        };
        Ok(layer(l.py_err()?))
    }
    #[staticmethod]
    fn global_pool(spatial_dims: usize, max: bool, keepdims: bool) -> Self {
        layer(GlobalPool {
            spatial_dims,
            max,
            keepdims,
        })
    }
    /// This layer with (l1, l2) regularizers on its kernel and bias.
    #[pyo3(signature = (kernel = None, bias = None))]
    fn regularized(&self, kernel: Option<(f32, f32)>, bias: Option<(f32, f32)>) -> Self {
        PyLayer {
            inner: Arc::new(Weighted::regularized(
                self.inner.clone(),
                reg(kernel),
                reg(bias),
            )),
        }
    }
    /// This layer with weight options: per parameter (params() order) an (l1, l2) regularizer
    /// and a constraint, and an (l1, l2) regularizer of its output.
    #[pyo3(signature = (regularizers = vec![], constraints = vec![], activity = None))]
    fn weighted(
        &self,
        regularizers: Vec<Option<(f32, f32)>>,
        constraints: Vec<Option<ConstraintSpec>>,
        activity: Option<(f32, f32)>,
    ) -> PyResult<Self> {
        Ok(PyLayer {
            inner: Arc::new(Weighted {
                inner: self.inner.clone(),
                regularizers: regularizers.into_iter().map(reg).collect(),
                constraints: constraints
                    .into_iter()
                    .map(constraint)
                    .collect::<PyResult<_>>()?,
                activity: reg(activity),
            }),
        })
    }
    /// Project the weights onto their constraints, in place.
    fn constrain(&self) -> PyResult<()> {
        self.inner.constrain().py_err()
    }
    /// The activity penalty of `y` (this layer's output), divided by its batch size; None when
    /// the layer has no activity regularizer. Recorded, so its gradient reaches the weights.
    fn activity_penalty(&self, y: &PyTensor) -> PyResult<Option<PyTensor>> {
        self.inner
            .activity()
            .map(|r| r.activity_penalty(&y.t).py_err().map(PyTensor::wrap))
            .transpose()
    }
    /// The regularization term the layer adds to the loss, or None.
    fn penalty(&self) -> PyResult<Option<PyTensor>> {
        Ok(self.inner.penalty().py_err()?.map(PyTensor::wrap))
    }
    /// The position of the layer's random stream (Dropout, noise, augmentation), None for a
    /// layer that draws nothing.
    fn random_state(&self) -> Option<[u64; 4]> {
        self.inner.rng().map(|r| r.lock().state())
    }
    /// Continue the layer's random stream from a `random_state`.
    fn set_random_state(&self, state: [u64; 4]) -> PyResult<()> {
        let Some(r) = self.inner.rng() else {
            return Err(PyValueError::new_err(format!(
                "{} draws no random numbers: it has no random state to set",
                self.inner.kind()
            )));
        };
        *r.lock() = crate::init::Rng::from_state(state)
            .ok_or_else(|| PyValueError::new_err("a random state of all zeros is not valid"))?;
        Ok(())
    }
}

#[pymethods]
impl PyTensor {
    /// A new Tensor: these values projected onto a constraint (name, numbers, axes), unrecorded.
    fn _constrained(&self, name: &str, args: Vec<f32>, axes: Vec<isize>) -> PyResult<PyTensor> {
        let c = Constraint::from_parts(name, &args, axes).py_err()?;
        let out = c.project(&self.t.data(), self.t.shape()).py_err()?;
        Ok(PyTensor::wrap(crate::tensor::Tensor::from_parts(
            out,
            self.t.shape().to_vec(),
        )))
    }
}
