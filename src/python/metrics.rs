//! `_core.metric_batch` and `_core.loss`: a Keras metric object's batch and a loss on Tensors,
//! computed by the same core functions `fit` runs, so the two never disagree.
use super::convert::to_tensor;
use super::errors::IntoPy;
use super::tensor::PyTensor;
use crate::metrics::{self, Metric};
use pyo3::prelude::*;

/// (Σ per-sample values, Σ per-sample weights) of `name` on one batch, as Keras' Mean metrics add.
#[pyfunction]
#[pyo3(signature = (name, y_true, y_pred, sample_weight = None, threshold = 0.5))]
pub fn metric_batch(
    name: &str,
    y_true: &Bound<'_, PyAny>,
    y_pred: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
    threshold: f32,
) -> PyResult<(f64, f64)> {
    let metric = Metric::from_name(name, threshold).py_err()?;
    let t = to_tensor(y_true, name)?;
    let p = to_tensor(y_pred, name)?;
    let w = sample_weight.map(|w| to_tensor(w, name)).transpose()?;
    metrics::batch(metric, &t, &p, w.as_ref()).py_err()
}

/// The scalar loss `name` of `y_pred` against `y_true` as a Tensor that records the graph, so a
/// training loop written with Tensors (a model's Python `call`, a custom train step) can call
/// `backward()` on it.
#[pyfunction]
#[pyo3(signature = (name, y_true, y_pred, from_logits = false, delta = 1.0,
                    label_smoothing = 0.0, sample_weight = None))]
pub fn loss(
    name: &str,
    y_true: &Bound<'_, PyAny>,
    y_pred: &Bound<'_, PyAny>,
    from_logits: bool,
    delta: f32,
    label_smoothing: f32,
    sample_weight: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let (l, t, p) = loss_args(name, y_true, y_pred, (from_logits, delta, label_smoothing))?;
    let w = sample_weight.map(|w| to_tensor(w, name)).transpose()?;
    Ok(PyTensor::wrap(
        crate::losses::compute(l, &t, &p, w.as_ref()).py_err()?,
    ))
}

/// Keras' loss functions: the loss of each sample, as a NumPy array (no reduction, no graph).
#[pyfunction]
#[pyo3(signature = (name, y_true, y_pred, from_logits = false, delta = 1.0, label_smoothing = 0.0))]
pub fn loss_values<'py>(
    py: Python<'py>,
    name: &str,
    y_true: &Bound<'py, PyAny>,
    y_pred: &Bound<'py, PyAny>,
    from_logits: bool,
    delta: f32,
    label_smoothing: f32,
) -> PyResult<Bound<'py, numpy::PyArrayDyn<f32>>> {
    use numpy::PyArrayMethods;
    let (l, t, p) = loss_args(name, y_true, y_pred, (from_logits, delta, label_smoothing))?;
    let v = crate::losses::per_sample(l, &t, &p).py_err()?;
    let shape = v.shape().to_vec();
    numpy::PyArray1::from_vec(py, v.to_vec()).reshape(shape)
}

/// The loss by name with its (from_logits, delta, label_smoothing), and the two operands.
fn loss_args(
    name: &str,
    y_true: &Bound<'_, PyAny>,
    y_pred: &Bound<'_, PyAny>,
    (from_logits, delta, smoothing): (bool, f32, f32),
) -> PyResult<(
    crate::losses::Loss,
    crate::tensor::Tensor,
    crate::tensor::Tensor,
)> {
    let l = crate::registry::loss(name, from_logits, delta, smoothing).py_err()?;
    Ok((l, to_tensor(y_true, name)?, to_tensor(y_pred, name)?))
}
