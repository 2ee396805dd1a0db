//! `_core.metric_batch`: one batch of a Keras metric object's update_state, computed by the same
//! core metric that `fit` runs, so the two never disagree.
use super::convert::to_tensor;
use super::errors::IntoPy;
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
