//! `Tensor.graph_inputs` and `Tensor.node_id`: enough of the recorded autograd graph for Python to
//! walk it (rustgrad.viz.draw_graph), as PyTorch's `grad_fn.next_functions` allows.
use super::tensor::PyTensor;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

#[pymethods]
impl PyTensor {
    /// The tensors the op that made this one read (empty for a leaf); raises once backward freed
    /// the graph, since the inputs are gone (backward with retain_graph=True keeps them).
    fn graph_inputs(&self) -> PyResult<Vec<PyTensor>> {
        match self.t.graph_inputs() {
            Some(inputs) => Ok(inputs.into_iter().map(PyTensor::wrap).collect()),
            None => Err(PyRuntimeError::new_err(format!(
                "the graph behind this tensor ({}) was freed by backward; call \
                 backward(retain_graph=True) to keep it for drawing",
                self.t.grad_fn_name().unwrap_or("?")
            ))),
        }
    }

    /// An integer naming this tensor's graph node: equal for every handle on the same tensor.
    #[getter]
    fn node_id(&self) -> usize {
        self.t.ptr() as usize
    }
}
