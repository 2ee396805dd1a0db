//! `_core.metric_batch`, `_core.mean_batch`, `_core.loss` and `_core.loss_values`: a Keras metric
//! object's batch and losses on Tensors, computed by the core functions `fit` runs.
use super::convert::to_tensor;
use super::errors::IntoPy;
use super::tensor::PyTensor;
use crate::losses::Reduction;
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

/// (Σ values, Σ weights) of one batch of values as Keras' `Mean.update_state` adds them
/// (`reduce_to_samplewise_values`); a Tensor that requires grad is read, never recorded.
#[pyfunction]
#[pyo3(signature = (values, sample_weight = None))]
pub fn mean_batch(
    values: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
) -> PyResult<(f64, f64)> {
    let v = to_tensor(values, "Mean")?;
    let w = sample_weight.map(|w| to_tensor(w, "Mean")).transpose()?;
    let vals: Vec<f64> = v.data().iter().map(|&x| f64::from(x)).collect();
    let guard = w.as_ref().map(|w| w.data());
    let pair = w.as_ref().zip(guard.as_ref());
    let w = pair.map(|(w, d)| (&d[..], w.shape()));
    crate::sample_weight::for_metric("Mean", &vals, v.shape(), w).py_err()
}

/// The loss `name` of `y_pred` against `y_true` reduced as Keras' `reduction` says (a 0-d Tensor,
/// or one value per sample for "none"), recording the graph when y_pred requires grad, so a loop
/// written with Tensors (a model's Python `call`, a custom train step) can call `backward()`.
#[pyfunction]
#[pyo3(signature = (name, y_true, y_pred, from_logits = false, delta = 1.0,
                    label_smoothing = 0.0, sample_weight = None,
                    reduction = "sum_over_batch_size"))]
#[allow(clippy::too_many_arguments)]
pub fn loss(
    name: &str,
    y_true: &Bound<'_, PyAny>,
    y_pred: &Bound<'_, PyAny>,
    from_logits: bool,
    delta: f32,
    label_smoothing: f32,
    sample_weight: Option<&Bound<'_, PyAny>>,
    reduction: &str,
) -> PyResult<PyTensor> {
    let r = Reduction::from_name(reduction).py_err()?;
    let (l, t, p) = loss_args(name, y_true, y_pred, (from_logits, delta, label_smoothing))?;
    let w = sample_weight.map(|w| to_tensor(w, name)).transpose()?;
    Ok(PyTensor::wrap(
        crate::losses::reduce(l, &t, &p, w.as_ref(), r).py_err()?,
    ))
}

/// Keras' loss functions: the loss of each sample (no reduction) as a Tensor, recording the graph
/// when y_pred requires grad.
#[pyfunction]
#[pyo3(signature = (name, y_true, y_pred, from_logits = false, delta = 1.0, label_smoothing = 0.0))]
pub fn loss_values(
    name: &str,
    y_true: &Bound<'_, PyAny>,
    y_pred: &Bound<'_, PyAny>,
    from_logits: bool,
    delta: f32,
    label_smoothing: f32,
) -> PyResult<PyTensor> {
    let (l, t, p) = loss_args(name, y_true, y_pred, (from_logits, delta, label_smoothing))?;
    Ok(PyTensor::wrap(
        crate::losses::per_sample(l, &t, &p).py_err()?,
    ))
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
