//! `Model.set_grad_hook`: a Python callable run on every train step's packed gradients (one float32
//! array: all trainable gradients in layer order, then the batch's rows), changed in place.
use super::errors::IntoPy;
use super::model::{not_compiled, PyModel};
use crate::error::{Error, Result};
use crate::model::GradHook;
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;

/// The step runs on a pool thread with the GIL released; the hook takes the GIL for the call only.
/// One copy each way between the core's buffer and a NumPy array (≈ 25 µs for 100 k floats) keeps
/// the array's memory Python's, so a callable that keeps a reference never sees freed memory.
struct PyGradHook(Py<PyAny>);

impl GradHook for PyGradHook {
    fn reduce(&self, buf: &mut [f32]) -> Result<()> {
        Python::attach(|py| {
            let arr = PyArray1::from_slice(py, buf);
            self.0.call1(py, (arr.clone(),)).map_err(|e| {
                let what = e
                    .get_type(py)
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default();
                Error::invalid("gradient hook", format!("{what}: {}", e.value(py)))
            })?;
            let out = arr.readonly();
            let out = out
                .as_slice()
                .map_err(|e| Error::invalid("gradient hook", e.to_string()))?;
            if out.len() != buf.len() {
                return Err(Error::invalid("gradient hook", "the array changed size"));
            }
            buf.copy_from_slice(out);
            Ok(())
        })
    }
}

#[pymethods]
impl PyModel {
    /// Run `hook(grads)` between backward and the optimizer update of every train step (None
    /// removes it). Compiling again removes it too.
    #[pyo3(signature = (hook))]
    fn set_grad_hook(&self, py: Python<'_>, hook: Option<Py<PyAny>>) -> PyResult<()> {
        let hook = hook.map(|h| Box::new(PyGradHook(h)) as Box<dyn GradHook>);
        self.with_write(py, |s| match s.compiled.as_mut() {
            Some(c) => {
                c.grad_hook = hook;
                Ok(())
            }
            None => Err(not_compiled("set_grad_hook")),
        })
        .py_err()
    }

    /// How many floats the packed gradients hold (before the row count).
    fn grad_size(&self, py: Python<'_>) -> PyResult<usize> {
        self.with_read(py, |s| match s.compiled.as_ref() {
            Some(c) => Ok(c.trainable_size(&s.model)),
            None => Err(not_compiled("grad_size")),
        })
        .py_err()
    }
}
