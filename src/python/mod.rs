//! The `rustgrad._core` extension module: registers classes, functions and exception types.
//! Thin skin only: convert arguments, call the core, convert back.
mod batch;
mod convert;
pub mod errors;
mod layers;
mod metrics;
mod model;
mod model_args;
mod model_epoch;
mod optimizer;
mod tensor;
mod tensor_ops;

use convert::{shape_arg, to_tensor, usize_shape};
use errors::IntoPy;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use tensor::PyTensor;

use crate::tensor::Tensor;

/// A shape argument checked for negative sizes and for an element count that can be allocated.
fn new_shape(op: &str, shape: &[isize]) -> PyResult<Vec<usize>> {
    let s = usize_shape(op, shape)?;
    crate::shape::check_alloc(op, &s).py_err()?;
    Ok(s)
}

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
        Tensor::zeros(&new_shape("zeros", &shape_arg(shape)?)?),
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (*shape, requires_grad = false))]
fn ones(shape: &Bound<'_, PyTuple>, requires_grad: bool) -> PyResult<PyTensor> {
    leaf(
        Tensor::ones(&new_shape("ones", &shape_arg(shape)?)?),
        requires_grad,
    )
}

/// `shape` is an int or a sequence of ints, as in NumPy's and PyTorch's full.
#[pyfunction]
#[pyo3(signature = (shape, fill_value, requires_grad = false))]
fn full(shape: &Bound<'_, PyAny>, fill_value: f32, requires_grad: bool) -> PyResult<PyTensor> {
    let dims = match shape.extract::<isize>() {
        Ok(n) => vec![n],
        Err(_) => shape.extract::<Vec<isize>>().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(
                "full: shape must be an int or a sequence of ints",
            )
        })?,
    };
    leaf(
        Tensor::full(&new_shape("full", &dims)?, fill_value),
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
    let n = ((b - a) / step).ceil().max(0.0);
    if !n.is_finite() || n > isize::MAX as f64 {
        return Err(errors::InvalidArgumentError::new_err(format!(
            "arange: the range from {a} to {b} by {step} has too many values"
        )));
    }
    let n = n as usize;
    crate::shape::check_alloc("arange", &[n]).py_err()?;
    let data = (0..n).map(|i| (a + i as f64 * step) as f32).collect();
    leaf(Tensor::from_parts(data, vec![n]), requires_grad)
}

#[pyfunction]
#[pyo3(signature = (*shape, requires_grad = false))]
fn rand(shape: &Bound<'_, PyTuple>, requires_grad: bool) -> PyResult<PyTensor> {
    leaf(
        crate::init::rand(&new_shape("rand", &shape_arg(shape)?)?),
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (*shape, requires_grad = false))]
fn randn(shape: &Bound<'_, PyTuple>, requires_grad: bool) -> PyResult<PyTensor> {
    leaf(
        crate::init::randn(&new_shape("randn", &shape_arg(shape)?)?),
        requires_grad,
    )
}

/// Any integer in [-2**63, 2**64); negative seeds wrap to u64 as in torch.manual_seed.
#[pyfunction]
fn manual_seed(seed: &Bound<'_, PyAny>) -> PyResult<()> {
    let s = match seed.extract::<u64>() {
        Ok(s) => s,
        Err(_) => seed.extract::<i64>().map(|s| s as u64).map_err(|_| {
            errors::InvalidArgumentError::new_err(format!(
                "manual_seed: the seed must be an integer in [-2**63, 2**64), got {seed}"
            ))
        })?,
    };
    crate::init::manual_seed(s);
    Ok(())
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
fn one_hot(labels: &Bound<'_, PyAny>, num_classes: i64) -> PyResult<PyTensor> {
    let l = to_tensor(labels, "one_hot")?;
    let num_classes = usize::try_from(num_classes).map_err(|_| {
        errors::InvalidArgumentError::new_err(format!(
            "one_hot: num_classes must be a positive number, got {num_classes}"
        ))
    })?;
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

/// Threads for big kernels; n < 1 is a ValueError (not an OverflowError from the conversion).
#[pyfunction]
fn set_num_threads(n: &Bound<'_, PyAny>) -> PyResult<()> {
    if !n.is_instance_of::<pyo3::types::PyInt>() {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "set_num_threads: expected an int, got {}",
            n.get_type().name()?
        )));
    }
    let count = n
        .extract::<i64>()
        .ok()
        .and_then(|v| usize::try_from(v).ok())
        .filter(|v| (1..=1 << 16).contains(v))
        .ok_or_else(|| {
            errors::InvalidArgumentError::new_err(format!(
                "set_num_threads: the number of threads must be between 1 and 65536, got {n}"
            ))
        })?;
    crate::kernels::parallel::set_num_threads(count).py_err()
}

#[pyfunction]
/// The core's valid names of one kind ("loss", "metric", "optimizer", "activation", "merge").
fn registry_names(kind: &str) -> PyResult<Vec<&'static str>> {
    Ok(crate::registry::names(kind).py_err()?.to_vec())
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
    m.add_function(wrap_pyfunction!(registry_names, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::metric_batch, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::mean_batch, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::loss, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::loss_values, m)?)?;
    Ok(())
}
