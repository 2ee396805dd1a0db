//! `Model.set_grad_monitor` and `Model.take_grad_stats`: the per-layer gradient statistics the
//! train step records (core: model/grad_monitor.rs), read by keras.callbacks.GradientMonitor.
use super::errors::IntoPy;
use super::model::{not_compiled, PyModel};
use crate::model::GradMonitor;
use numpy::{IntoPyArray, PyArray3, PyArrayMethods};
use pyo3::prelude::*;

/// (graph indices of the monitored layers, the step of each record, stats of shape
/// (records, layers, 3): gradient norm, weight norm, update/weight ratio).
type Taken<'py> = (Vec<usize>, Vec<usize>, Bound<'py, PyArray3<f32>>);

#[pymethods]
impl PyModel {
    /// Record per-layer norms every `every`-th train step from now on (None stops). Compiling
    /// again removes the monitor.
    #[pyo3(signature = (every))]
    fn set_grad_monitor(&self, py: Python<'_>, every: Option<usize>) -> PyResult<()> {
        let monitor = every.map(GradMonitor::new).transpose().py_err()?;
        self.with_write(py, |s| match s.compiled.as_mut() {
            Some(c) => {
                c.grad_monitor = monitor;
                Ok(())
            }
            None => Err(not_compiled("set_grad_monitor")),
        })
        .py_err()
    }

    /// The records since the last call (and which layers they describe).
    fn take_grad_stats<'py>(&self, py: Python<'py>) -> PyResult<Taken<'py>> {
        let (layers, records) = self
            .with_write(py, |s| {
                let graph = &s.model;
                match s.compiled.as_mut() {
                    Some(c) => {
                        let layers = c.monitored(graph).0;
                        let records = c.grad_monitor.as_mut().map(GradMonitor::take);
                        Ok((layers, records.unwrap_or_default()))
                    }
                    None => Err(not_compiled("take_grad_stats")),
                }
            })
            .py_err()?;
        let steps = records.iter().map(|r| r.step).collect();
        let flat: Vec<f32> = records
            .iter()
            .flat_map(|r| r.stats.iter().flatten())
            .copied()
            .collect();
        let arr = flat
            .into_pyarray(py)
            .reshape([records.len(), layers.len(), 3])?;
        Ok((layers, steps, arr))
    }
}
