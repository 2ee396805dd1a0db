//! The `rustgrad._core` extension module: registers classes, functions and exception types.
//! Thin skin only: convert arguments, call the core, convert back.
mod convert;
pub mod errors;
mod model;
mod optimizer;
mod tensor;
mod tensor_ops;

use convert::{shape_arg, to_tensor, usize_shape};
use errors::IntoPy;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use tensor::PyTensor;

use crate::tensor::Tensor;

fn leaf(t: Tensor, requires_grad: bool) -> PyResult<PyTensor> {
    t.set_requires_grad(requires_grad).py_err()?;
    Ok(PyTensor::wrap(t))
}

/// A new leaf tensor (always a copy), like `torch.tensor`.
#[pyfunction(name = "tensor")]
#[pyo3(signature = (data, requires_grad = false))]
fn new_tensor(data: &Bound<'_, PyAny>, requires_grad: bool) -> PyResult<PyTensor> {
    let t = to_tensor(data, "tensor")?;
    leaf(
        Tensor::from_parts(t.to_vec(), t.shape().to_vec()),
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (*shape, requires_grad = false))]
fn zeros(shape: &Bound<'_, PyTuple>, requires_grad: bool) -> PyResult<PyTensor> {
    leaf(
        Tensor::zeros(&usize_shape("zeros", &shape_arg(shape)?)?),
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (*shape, requires_grad = false))]
fn ones(shape: &Bound<'_, PyTuple>, requires_grad: bool) -> PyResult<PyTensor> {
    leaf(
        Tensor::ones(&usize_shape("ones", &shape_arg(shape)?)?),
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (shape, fill_value, requires_grad = false))]
fn full(shape: Vec<isize>, fill_value: f32, requires_grad: bool) -> PyResult<PyTensor> {
    leaf(
        Tensor::full(&usize_shape("full", &shape)?, fill_value),
        requires_grad,
    )
}

/// Values from `start` up to (not including) `stop` by `step`, like NumPy's arange.
#[pyfunction]
#[pyo3(signature = (start, stop = None, step = 1.0, requires_grad = false))]
fn arange(start: f64, stop: Option<f64>, step: f64, requires_grad: bool) -> PyResult<PyTensor> {
    let (a, b) = match stop {
        Some(s) => (start, s),
        None => (0.0, start),
    };
    if step == 0.0 || !step.is_finite() {
        return Err(errors::InvalidArgumentError::new_err(format!(
            "arange: step must be a non-zero finite number, got {step}"
        )));
    }
    let n = ((b - a) / step).ceil().max(0.0) as usize;
    let data = (0..n).map(|i| (a + i as f64 * step) as f32).collect();
    leaf(Tensor::from_parts(data, vec![n]), requires_grad)
}

#[pyfunction]
#[pyo3(signature = (*shape, requires_grad = false))]
fn rand(shape: &Bound<'_, PyTuple>, requires_grad: bool) -> PyResult<PyTensor> {
    leaf(
        crate::init::rand(&usize_shape("rand", &shape_arg(shape)?)?),
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (*shape, requires_grad = false))]
fn randn(shape: &Bound<'_, PyTuple>, requires_grad: bool) -> PyResult<PyTensor> {
    leaf(
        crate::init::randn(&usize_shape("randn", &shape_arg(shape)?)?),
        requires_grad,
    )
}

#[pyfunction]
fn manual_seed(seed: u64) {
    crate::init::manual_seed(seed)
}

#[pyfunction]
#[pyo3(signature = (tensors, axis = 0))]
fn concatenate(tensors: &Bound<'_, PyAny>, axis: isize) -> PyResult<PyTensor> {
    let ts = tensor_ops::tensor_list(tensors)?;
    Ok(PyTensor::wrap(Tensor::concatenate(&ts, axis).py_err()?))
}

#[pyfunction]
#[pyo3(signature = (tensors, axis = 0))]
fn stack(tensors: &Bound<'_, PyAny>, axis: isize) -> PyResult<PyTensor> {
    let ts = tensor_ops::tensor_list(tensors)?;
    Ok(PyTensor::wrap(Tensor::stack(&ts, axis).py_err()?))
}

#[pyfunction]
fn one_hot(labels: &Bound<'_, PyAny>, num_classes: usize) -> PyResult<PyTensor> {
    let l = to_tensor(labels, "one_hot")?;
    Ok(PyTensor::wrap(Tensor::one_hot(&l, num_classes).py_err()?))
}

/// Turn graph recording on or off for this thread; returns the previous mode.
#[pyfunction]
fn set_grad_enabled(mode: bool) -> bool {
    crate::autograd::set_grad_enabled(mode)
}

#[pyfunction]
fn is_grad_enabled() -> bool {
    crate::autograd::is_grad_enabled()
}

#[pyfunction]
fn set_num_threads(n: usize) -> PyResult<()> {
    crate::kernels::parallel::set_num_threads(n).py_err()
}

#[pyfunction]
fn get_num_threads() -> usize {
    crate::kernels::parallel::num_threads()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyTensor>()?;
    m.add_class::<model::PyLayer>()?;
    m.add_class::<model::PyModel>()?;
    m.add_class::<optimizer::PyOptimizer>()?;
    m.add("ShapeError", py.get_type::<errors::ShapeError>())?;
    m.add(
        "InvalidArgumentError",
        py.get_type::<errors::InvalidArgumentError>(),
    )?;
    m.add("GraphError", py.get_type::<errors::GraphError>())?;
    m.add_function(wrap_pyfunction!(new_tensor, m)?)?;
    m.add_function(wrap_pyfunction!(zeros, m)?)?;
    m.add_function(wrap_pyfunction!(ones, m)?)?;
    m.add_function(wrap_pyfunction!(full, m)?)?;
    m.add_function(wrap_pyfunction!(arange, m)?)?;
    m.add_function(wrap_pyfunction!(rand, m)?)?;
    m.add_function(wrap_pyfunction!(randn, m)?)?;
    m.add_function(wrap_pyfunction!(manual_seed, m)?)?;
    m.add_function(wrap_pyfunction!(concatenate, m)?)?;
    m.add_function(wrap_pyfunction!(stack, m)?)?;
    m.add_function(wrap_pyfunction!(one_hot, m)?)?;
    m.add_function(wrap_pyfunction!(set_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(is_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    Ok(())
}
