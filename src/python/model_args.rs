//! What the model bindings read from Python: one array or a list of them per input/output, a
//! batch's rows picked from each, compile's per-output losses and metrics; and outputs written back.
use super::batch::Rows;
use super::errors::{IntoPy, InvalidArgumentError};
use super::tensor::PyTensor;
use crate::model::Head;
use crate::registry;
use crate::tensor::Tensor;
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArrayDyn};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

fn is_seq(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>()
}

/// One float32 array, or a list/tuple of them (one per model input or output).
pub(super) fn arrays<'py>(
    obj: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Vec<PyReadonlyArrayDyn<'py, f32>>> {
    let one = |o: &Bound<'py, PyAny>| {
        o.extract::<PyReadonlyArrayDyn<'py, f32>>()
            .map_err(|_| InvalidArgumentError::new_err(format!("{what} must be float32 arrays")))
    };
    if is_seq(obj) {
        obj.try_iter()?.map(|o| one(&o?)).collect()
    } else {
        Ok(vec![one(obj)?])
    }
}

pub(super) fn rows_of<'a>(
    arrays: &'a [PyReadonlyArrayDyn<'_, f32>],
    what: &str,
) -> PyResult<Vec<Rows<'a>>> {
    arrays.iter().map(|a| Rows::of(a, what)).collect()
}

/// A batch: the rows `idx` picks from every input and target, and their sample weights.
pub(super) struct Picked {
    pub xs: Vec<Tensor>,
    pub ys: Vec<Tensor>,
    pub sw: Option<Tensor>,
}

impl Picked {
    pub(super) fn new(
        xs: &[Rows],
        ys: &[Rows],
        idx: Option<&[i64]>,
        sw: Option<&Rows>,
    ) -> crate::error::Result<Picked> {
        Ok(Picked {
            xs: xs
                .iter()
                .map(|r| r.pick(idx, "x"))
                .collect::<Result<_, _>>()?,
            ys: ys
                .iter()
                .map(|r| r.pick(idx, "y"))
                .collect::<Result<_, _>>()?,
            sw: sw.map(|w| w.pick(idx, "sample_weight")).transpose()?,
        })
    }
}

/// A Tensor (or array), or a list/tuple of them; and whether it was a list.
pub(super) fn tensors_in(obj: &Bound<'_, PyAny>, op: &str) -> PyResult<(Vec<Tensor>, bool)> {
    if is_seq(obj) && !obj.is_empty()? && obj.get_item(0)?.cast::<PyTensor>().is_ok() {
        let ts = obj
            .try_iter()?
            .map(|o| super::convert::to_tensor(&o?, op))
            .collect::<PyResult<_>>()?;
        return Ok((ts, true));
    }
    Ok((vec![super::convert::to_tensor(obj, op)?], false))
}

/// One output as it is, several as a list: NumPy arrays (moved, not copied) or Tensors.
pub(super) fn tensors_out(py: Python<'_>, outs: Vec<Tensor>, numpy: bool) -> PyResult<Py<PyAny>> {
    let conv = |t: Tensor| -> PyResult<Py<PyAny>> {
        if !numpy {
            return Ok(Py::new(py, PyTensor::wrap(t))?.into_any());
        }
        let shape = t.shape().to_vec();
        Ok(PyArray1::from_vec(py, t.to_vec())
            .reshape(shape)?
            .into_any()
            .unbind())
    };
    let mut items = outs.into_iter().map(conv).collect::<PyResult<Vec<_>>>()?;
    if items.len() == 1 {
        return items
            .pop()
            .ok_or_else(|| InvalidArgumentError::new_err("no output"));
    }
    Ok(PyList::new(py, items)?.into_any().unbind())
}

/// `v` for every output: a single value applies to all, a list gives one each.
fn per_output<T: Clone>(
    v: Option<&Bound<'_, PyAny>>,
    outputs: usize,
    what: &str,
    default: T,
    read: impl Fn(&Bound<'_, PyAny>) -> PyResult<T>,
) -> PyResult<Vec<T>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(vec![default; outputs]);
    };
    if !is_seq(v) {
        return Ok(vec![read(v)?; outputs]);
    }
    let items = v
        .try_iter()?
        .map(|o| read(&o?))
        .collect::<PyResult<Vec<T>>>()?;
    if items.len() != outputs {
        return Err(InvalidArgumentError::new_err(format!(
            "compile: {what} has {} entries for {outputs} outputs",
            items.len()
        )));
    }
    Ok(items)
}

/// One head per output from compile's arguments (each a single value or a list per output).
#[allow(clippy::too_many_arguments)]
pub(super) fn compile_heads(
    outputs: usize,
    loss: &Bound<'_, PyAny>,
    metrics: &Bound<'_, PyAny>,
    from_logits: Option<&Bound<'_, PyAny>>,
    delta: Option<&Bound<'_, PyAny>>,
    label_smoothing: Option<&Bound<'_, PyAny>>,
    focal: Option<&Bound<'_, PyAny>>,
    loss_weights: Option<Vec<f32>>,
) -> PyResult<Vec<Head>> {
    // The focal losses' (alpha, gamma, apply_class_balancing): a list with one per output.
    let focal = per_output(focal, outputs, "focal", (0.25f32, 2.0f32, false), |v| {
        v.extract()
    })?;
    let names = per_output(Some(loss), outputs, "loss", String::new(), |v| v.extract())?;
    let logits = per_output(from_logits, outputs, "from_logits", false, |v| {
        v.is_truthy()
    })?;
    let deltas = per_output(delta, outputs, "delta", 1.0f32, |v| v.extract())?;
    let smooth = per_output(label_smoothing, outputs, "label_smoothing", 0.0f32, |v| {
        v.extract()
    })?;
    let weights = loss_weights.unwrap_or(vec![1.0; outputs]);
    if weights.len() != outputs {
        return Err(InvalidArgumentError::new_err(format!(
            "compile: loss_weights has {} entries for {outputs} outputs",
            weights.len()
        )));
    }
    // Metrics: a flat list (every output, or the one output) or a list per output; each metric a
    // core name or (core name, threshold).
    let first = metrics.try_iter()?.next().transpose()?;
    let nested = match first {
        Some(m) if is_seq(&m) => m.try_iter()?.next().transpose()?.is_none_or(|e| is_seq(&e)),
        _ => false,
    };
    let metric_list = |l: &Bound<'_, PyAny>| -> PyResult<Vec<(String, f32)>> {
        l.try_iter()?
            .map(|m| {
                let m = m?;
                match m.extract::<String>() {
                    Ok(name) => Ok((name, 0.5)),
                    Err(_) => m.extract::<(String, f32)>(),
                }
            })
            .collect()
    };
    let metric_names: Vec<Vec<(String, f32)>> = if nested {
        metrics
            .try_iter()?
            .map(|l| metric_list(&l?))
            .collect::<PyResult<_>>()?
    } else {
        vec![metric_list(metrics)?; outputs]
    };
    if metric_names.len() != outputs {
        return Err(InvalidArgumentError::new_err(format!(
            "compile: metrics has {} lists for {outputs} outputs",
            metric_names.len()
        )));
    }
    (0..outputs)
        .map(|k| {
            Ok(Head {
                loss: registry::loss(
                    &names[k],
                    &registry::LossArgs {
                        from_logits: logits[k],
                        delta: deltas[k],
                        label_smoothing: smooth[k],
                        alpha: focal[k].0,
                        gamma: focal[k].1,
                        apply_class_balancing: focal[k].2,
                    },
                )
                .py_err()?,
                weight: weights[k],
                metrics: metric_names[k]
                    .iter()
                    .map(|(m, threshold)| registry::metric(m, *threshold).py_err())
                    .collect::<PyResult<_>>()?,
            })
        })
        .collect()
}
