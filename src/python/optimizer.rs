//! `_core.Optimizer`: a Keras optimizer's update rule applied to user Tensors, so that
//! `optimizer.apply_gradients(zip(grads, vars))` runs the same Rust update `fit` runs.
use super::errors::IntoPy;
use super::model::opt_from;
use super::tensor::PyTensor;
use crate::optimizers::OptimizerState;
use crate::tensor::Tensor;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyDict;

#[pyclass(name = "Optimizer", module = "rustgrad._core", frozen)]
pub struct PyOptimizer {
    pub(super) state: Mutex<OptimizerState>,
}

#[pymethods]
impl PyOptimizer {
    /// `name` is a core optimizer name ("sgd", "adam", ...); keywords as for `Model.compile`.
    #[new]
    #[pyo3(signature = (name, **kwargs))]
    fn new(py: Python<'_>, name: &str, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let kw = kwargs.cloned().unwrap_or_else(|| PyDict::new(py));
        Ok(PyOptimizer {
            state: Mutex::new(opt_from(name, &kw)?),
        })
    }

    /// One update of every tensor in `params` whose `.grad` is set, clearing those grads.
    /// Position i owns state slot i (momentum, Adam moments); None leaves slot i untouched.
    fn step(
        &self,
        py: Python<'_>,
        params: Vec<Option<PyRef<'_, PyTensor>>>,
        lr: f32,
    ) -> PyResult<()> {
        // A fresh tensor has no grad, so the core skips it and its slot keeps its state.
        let ts: Vec<Tensor> = params
            .iter()
            .map(|p| match p {
                Some(p) => p.t.clone(),
                None => Tensor::zeros(&[0]),
            })
            .collect();
        py.detach(|| self.state.lock().step(&ts, lr)).py_err()
    }

    /// Replace each tensor by its moving average (use_ema); position i as in `step`.
    fn finalize(&self, py: Python<'_>, params: Vec<PyRef<'_, PyTensor>>) {
        let ts: Vec<Tensor> = params.iter().map(|p| p.t.clone()).collect();
        py.detach(|| self.state.lock().finalize(&ts))
    }

    #[getter]
    fn iterations(&self) -> u64 {
        self.state.lock().iterations
    }
}
