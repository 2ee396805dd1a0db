//! `_core.metric_batch`, `_core.metric_values`, `_core.mean_batch`, `_core.confusion_batch`,
//! `_core.f1_batch`, `_core.loss` and `_core.reduce_loss`: a Keras metric object's batch, the
//! metric functions' per-sample values and losses on Tensors, computed by the core functions `fit`
//! runs.
use super::convert::to_tensor;
use super::errors::IntoPy;
use super::tensor::PyTensor;
use crate::losses::Reduction;
use crate::metrics;
use crate::registry::LossArgs;
use pyo3::prelude::*;

/// (Σ per-sample values, Σ per-sample weights) of `name` on one batch, as Keras' Mean metrics add;
/// `threshold` is binary_accuracy's, or the k of the top-k accuracies.
#[pyfunction]
#[pyo3(signature = (name, y_true, y_pred, sample_weight = None, threshold = 0.5))]
pub fn metric_batch(
    name: &str,
    y_true: &Bound<'_, PyAny>,
    y_pred: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
    threshold: f32,
) -> PyResult<(f64, f64)> {
    let metric = crate::registry::metric(name, threshold).py_err()?;
    let t = to_tensor(y_true, name)?;
    let p = to_tensor(y_pred, name)?;
    let w = sample_weight.map(|w| to_tensor(w, name)).transpose()?;
    metrics::batch(metric, &t, &p, w.as_ref()).py_err()
}

/// The per-sample values of the metric `name` (a Tensor with y_pred's leading shape), as Keras'
/// metric functions (`keras.metrics.binary_accuracy`, ...) return them; `threshold` as above.
#[pyfunction]
#[pyo3(signature = (name, y_true, y_pred, threshold = 0.5))]
pub fn metric_values(
    name: &str,
    y_true: &Bound<'_, PyAny>,
    y_pred: &Bound<'_, PyAny>,
    threshold: f32,
) -> PyResult<PyTensor> {
    let metric = crate::registry::metric(name, threshold).py_err()?;
    let t = to_tensor(y_true, name)?;
    let p = to_tensor(y_pred, name)?;
    Ok(PyTensor::wrap(
        metrics::per_sample(metric, &t, &p).py_err()?,
    ))
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
                    reduction = "sum_over_batch_size", alpha = 0.25, gamma = 2.0,
                    apply_class_balancing = false))]
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
    alpha: f32,
    gamma: f32,
    apply_class_balancing: bool,
) -> PyResult<PyTensor> {
    let r = Reduction::from_name(reduction).py_err()?;
    let args = LossArgs {
        from_logits,
        delta,
        label_smoothing,
        alpha,
        gamma,
        apply_class_balancing,
    };
    let (l, t, p) = loss_args(name, y_true, y_pred, &args)?;
    let w = sample_weight.map(|w| to_tensor(w, name)).transpose()?;
    Ok(PyTensor::wrap(
        crate::losses::reduce(l, &t, &p, w.as_ref(), r).py_err()?,
    ))
}

/// The loss by name with its keywords, and the two operands.
fn loss_args(
    name: &str,
    y_true: &Bound<'_, PyAny>,
    y_pred: &Bound<'_, PyAny>,
    args: &LossArgs,
) -> PyResult<(
    crate::losses::Loss,
    crate::tensor::Tensor,
    crate::tensor::Tensor,
)> {
    let l = crate::registry::loss(name, args).py_err()?;
    Ok((l, to_tensor(y_true, name)?, to_tensor(y_pred, name)?))
}

/// Per-sample losses computed in Python (a `Loss` subclass's `call`, a loss function) weighted
/// and reduced by Keras' rules, recording the graph back to `values`.
#[pyfunction]
#[pyo3(signature = (values, sample_weight = None, reduction = "sum_over_batch_size"))]
pub fn reduce_loss(
    values: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
    reduction: &str,
) -> PyResult<PyTensor> {
    let r = Reduction::from_name(reduction).py_err()?;
    let v = to_tensor(values, "loss")?;
    let w = sample_weight.map(|w| to_tensor(w, "loss")).transpose()?;
    Ok(PyTensor::wrap(
        crate::losses::reduce_values(&v, w.as_ref(), r).py_err()?,
    ))
}

/// (tp, fp, tn, fn) per threshold of one batch, as Keras' Precision, Recall and AUC add them.
#[pyfunction]
#[pyo3(signature = (name, y_true, y_pred, thresholds, top_k = None, class_id = None,
                    sample_weight = None))]
#[allow(clippy::type_complexity)]
pub fn confusion_batch(
    name: &str,
    y_true: &Bound<'_, PyAny>,
    y_pred: &Bound<'_, PyAny>,
    thresholds: Vec<f32>,
    top_k: Option<usize>,
    class_id: Option<usize>,
    sample_weight: Option<&Bound<'_, PyAny>>,
) -> PyResult<(Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>)> {
    let t = to_tensor(y_true, name)?;
    let p = to_tensor(y_pred, name)?;
    let w = sample_weight.map(|w| to_tensor(w, name)).transpose()?;
    let c = metrics::confusion(name, &t, &p, &thresholds, top_k, class_id, w.as_ref()).py_err()?;
    Ok((c.tp, c.fp, c.tn, c.fn_))
}

/// Per class [tp, fp, fn, support] of one batch, as Keras' F1Score adds them.
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, threshold = None, sample_weight = None))]
pub fn f1_batch(
    y_true: &Bound<'_, PyAny>,
    y_pred: &Bound<'_, PyAny>,
    threshold: Option<f32>,
    sample_weight: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<[f64; 4]>> {
    let t = to_tensor(y_true, "F1Score")?;
    let p = to_tensor(y_pred, "F1Score")?;
    let w = sample_weight.map(|w| to_tensor(w, "F1Score")).transpose()?;
    metrics::f1_counts(&t, &p, threshold, w.as_ref()).py_err()
}
