//! An optimizer's state (step count and slots) to and from Python, for `_core.Model` (the state of
//! fit's optimizer) and `_core.Optimizer` (apply_gradients'): what checkpoints and BackupAndRestore
//! save so that a resumed run continues exactly where it stopped.
use super::errors::IntoPy;
use super::model::PyModel;
use super::optimizer::PyOptimizer;
use crate::optimizers::Snapshot;
use numpy::{PyArray1, PyArrayDyn, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// `{"iterations": int, "slots": {name: [array or None per parameter position]}}`.
fn to_py<'py>(py: Python<'py>, s: Snapshot) -> PyResult<Bound<'py, PyDict>> {
    let slots = PyDict::new(py);
    for (name, vecs) in s.slots {
        let list = PyList::empty(py);
        for v in vecs {
            if v.is_empty() {
                list.append(py.None())?;
            } else {
                list.append(PyArray1::from_vec(py, v))?;
            }
        }
        slots.set_item(name, list)?;
    }
    let out = PyDict::new(py);
    out.set_item("iterations", s.iterations)?;
    out.set_item("slots", slots)?;
    Ok(out)
}

fn from_py(state: &Bound<'_, PyDict>) -> PyResult<Snapshot> {
    let bad = |m: String| PyValueError::new_err(format!("optimizer state: {m}"));
    let iterations: u64 = state
        .get_item("iterations")?
        .ok_or_else(|| bad("needs an 'iterations' entry".into()))?
        .extract()
        .map_err(|_| bad("'iterations' must be a non-negative integer".into()))?;
    let slots_obj = state
        .get_item("slots")?
        .ok_or_else(|| bad("needs a 'slots' entry".into()))?;
    let slots_dict = slots_obj
        .cast::<PyDict>()
        .map_err(|_| bad("'slots' must be a dict of lists".into()))?;
    let np = state.py().import("numpy")?;
    let mut slots = Vec::new();
    for (k, v) in slots_dict.iter() {
        let name: String = k.extract()?;
        let mut vecs = Vec::new();
        for item in v.try_iter()? {
            let item = item?;
            if item.is_none() {
                vecs.push(Vec::new());
                continue;
            }
            let arr = np.call_method1("ascontiguousarray", (item, "float32"))?;
            let arr = arr.cast::<PyArrayDyn<f32>>()?;
            vecs.push(arr.to_vec().map_err(|e| bad(e.to_string()))?);
        }
        slots.push((name, vecs));
    }
    Ok(Snapshot { iterations, slots })
}

#[pymethods]
impl PyModel {
    /// The compiled optimizer's state; parameter positions follow the trainable weights.
    fn optimizer_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let snap = self
            .with_write(py, |s| {
                s.compiled
                    .as_mut()
                    .map(|c| c.optimizer_state())
                    .ok_or_else(|| super::model::not_compiled("optimizer_state"))
            })
            .py_err()?;
        to_py(py, snap)
    }

    /// Continue from a state made by `optimizer_state` (checked against the model's weights).
    fn set_optimizer_state(&self, py: Python<'_>, state: &Bound<'_, PyDict>) -> PyResult<()> {
        let snap = from_py(state)?;
        self.with_write(py, |s| {
            let c = s
                .compiled
                .as_mut()
                .ok_or_else(|| super::model::not_compiled("set_optimizer_state"))?;
            c.set_optimizer_state(&s.model, snap)
        })
        .py_err()
    }
}

#[pymethods]
impl PyOptimizer {
    /// The step count and slots of apply_gradients' updates (positions as in `step`).
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let snap = py.detach(|| self.state.lock().snapshot());
        to_py(py, snap)
    }

    /// Continue from a state made by `state`.
    fn set_state(&self, py: Python<'_>, state: &Bound<'_, PyDict>) -> PyResult<()> {
        let snap = from_py(state)?;
        py.detach(|| self.state.lock().restore(snap, None)).py_err()
    }
}
