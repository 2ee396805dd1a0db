//! Tensor creation functions (tensor, zeros, full, arange, linspace, eye, rand, the *_like family),
//! each taking PyTorch's keyword-only `dtype=`, `device=` and `requires_grad=`.
use super::convert::{shape_arg, to_tensor, usize_shape};
use super::dtype::check;
use super::errors::{self, IntoPy};
use super::tensor::PyTensor;
use crate::tensor::Tensor;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

type Opt<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

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

/// A count argument (linspace's steps, eye's n and m) that must be >= 0.
fn count(op: &str, what: &str, n: i64) -> PyResult<usize> {
    usize::try_from(n).map_err(|_| {
        errors::InvalidArgumentError::new_err(format!("{op}: {what} must be >= 0, got {n}"))
    })
}

/// A new leaf tensor (always a copy), like `torch.tensor`.
///
/// Args:
///     data: a number, nested lists, a NumPy array or a Tensor.
///     dtype: None or float32 (rustgrad stores float32); anything else is refused.
///     device: None or "cpu"; anything else is refused.
///     requires_grad: make the result a leaf that records gradients.
///
/// Returns:
///     Tensor: the new leaf.
///
/// Raises:
///     TypeError: when `data` is not numeric or `dtype` is not float32.
///     ShapeError: when `data` is a ragged nested sequence.
///     InvalidArgumentError: when `device` is not the CPU.
#[pyfunction(name = "tensor")]
#[pyo3(signature = (data, *, dtype = None, device = None, requires_grad = false))]
pub fn new_tensor(
    data: &Bound<'_, PyAny>,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    check("tensor", dtype, device)?;
    let t = to_tensor(data, "tensor")?;
    leaf(
        Tensor::from_parts(t.to_vec(), t.shape().to_vec()),
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (*shape, dtype = None, device = None, requires_grad = false))]
pub fn zeros(
    shape: &Bound<'_, PyTuple>,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    check("zeros", dtype, device)?;
    let s = new_shape("zeros", &shape_arg(shape)?)?;
    leaf(Tensor::zeros(&s), requires_grad)
}

#[pyfunction]
#[pyo3(signature = (*shape, dtype = None, device = None, requires_grad = false))]
pub fn ones(
    shape: &Bound<'_, PyTuple>,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    check("ones", dtype, device)?;
    let s = new_shape("ones", &shape_arg(shape)?)?;
    leaf(Tensor::ones(&s), requires_grad)
}

/// A new tensor of `shape` filled with `fill_value`, as numpy.full / torch.full.
///
/// Args:
///     shape: an int or a sequence of ints.
///     fill_value: the number to fill with.
///     dtype: None or float32 (rustgrad stores float32); anything else is refused.
///     device: None or "cpu"; anything else is refused.
///     requires_grad: make the result a leaf that records gradients.
///
/// Returns:
///     Tensor: the new leaf.
///
/// Raises:
///     TypeError: when `shape` is not an int or ints, or `dtype` is not float32.
///     TypeError: when `dtype` is not float32.
///     InvalidArgumentError: when `device` is not the CPU, or a size is negative or too large.
#[pyfunction]
#[pyo3(signature = (shape, fill_value, *, dtype = None, device = None, requires_grad = false))]
pub fn full(
    shape: &Bound<'_, PyAny>,
    fill_value: f32,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    check("full", dtype, device)?;
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
///
/// `arange(stop)` counts from 0.
///
/// Args:
///     start: the first value (the end when `stop` is None).
///     stop: the end (excluded), or None.
///     step: the spacing (non-zero, finite).
///     dtype: None or float32 (rustgrad stores float32); anything else is refused.
///     device: None or "cpu"; anything else is refused.
///     requires_grad: make the result a leaf that records gradients.
///
/// Returns:
///     Tensor: a 1-d leaf.
///
/// Raises:
///     TypeError: when `dtype` is not float32.
///     InvalidArgumentError: when `device` is not the CPU, `step` is 0 or not finite, or the range is too long.
#[pyfunction]
#[pyo3(signature = (start, stop = None, step = 1.0, *, dtype = None, device = None, requires_grad = false))]
pub fn arange(
    start: f64,
    stop: Option<f64>,
    step: f64,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    check("arange", dtype, device)?;
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

/// `steps` values from `start` to `end`, both included, as torch.linspace.
///
/// Args:
///     start: the first value.
///     end: the last value.
///     steps: how many values (>= 0).
///     dtype: None or float32 (rustgrad stores float32); anything else is refused.
///     device: None or "cpu"; anything else is refused.
///     requires_grad: make the result a leaf that records gradients.
///
/// Returns:
///     Tensor: a 1-d leaf.
///
/// Raises:
///     TypeError: when `dtype` is not float32.
///     InvalidArgumentError: when `device` is not the CPU, or `steps` is negative.
#[pyfunction]
#[pyo3(signature = (start, end, steps, *, dtype = None, device = None, requires_grad = false))]
pub fn linspace(
    start: f64,
    end: f64,
    steps: i64,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    check("linspace", dtype, device)?;
    let n = count("linspace", "steps", steps)?;
    crate::shape::check_alloc("linspace", &[n]).py_err()?;
    let step = if n > 1 {
        (end - start) / (n - 1) as f64
    } else {
        0.0
    };
    // The second half counts back from `end` (as PyTorch does), so both endpoints are exact.
    let at = |i: usize| {
        if i < n / 2 {
            start + step * i as f64
        } else {
            end - step * (n - 1 - i) as f64
        }
    };
    let data = if n == 1 {
        vec![start as f32]
    } else {
        (0..n).map(|i| at(i) as f32).collect()
    };
    leaf(Tensor::from_parts(data, vec![n]), requires_grad)
}

/// An n × m matrix (m = n by default) with ones on the diagonal, as torch.eye.
///
/// Args:
///     n: the rows (>= 0).
///     m: the columns (>= 0), or None for n.
///     dtype: None or float32 (rustgrad stores float32); anything else is refused.
///     device: None or "cpu"; anything else is refused.
///     requires_grad: make the result a leaf that records gradients.
///
/// Returns:
///     Tensor: a 2-d leaf.
///
/// Raises:
///     TypeError: when `dtype` is not float32.
///     InvalidArgumentError: when `device` is not the CPU, or a size is negative.
#[pyfunction]
#[pyo3(signature = (n, m = None, *, dtype = None, device = None, requires_grad = false))]
pub fn eye(
    n: i64,
    m: Option<i64>,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    check("eye", dtype, device)?;
    let rows = count("eye", "n", n)?;
    let cols = count("eye", "m", m.unwrap_or(n))?;
    crate::shape::check_alloc("eye", &[rows, cols]).py_err()?;
    let mut data = vec![0.0; rows * cols];
    for i in 0..rows.min(cols) {
        data[i * cols + i] = 1.0;
    }
    leaf(Tensor::from_parts(data, vec![rows, cols]), requires_grad)
}

/// A new tensor of uniform [0, 1) samples from the generator manual_seed governs, as torch.rand.
///
/// Args:
///     *shape: ints or one tuple of ints.
///     dtype: None or float32 (rustgrad stores float32); anything else is refused.
///     device: None or "cpu"; anything else is refused.
///     requires_grad: make the result a leaf that records gradients.
///
/// Returns:
///     Tensor: a new leaf of that shape.
///
/// Raises:
///     TypeError: when `dtype` is not float32.
///     InvalidArgumentError: when `device` is not the CPU.
///     InvalidArgumentError: when a size is negative or too large to allocate.
#[pyfunction]
#[pyo3(signature = (*shape, dtype = None, device = None, requires_grad = false))]
pub fn rand(
    shape: &Bound<'_, PyTuple>,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    check("rand", dtype, device)?;
    let s = new_shape("rand", &shape_arg(shape)?)?;
    leaf(crate::init::rand(&s), requires_grad)
}

/// A new tensor of standard normal samples from the generator manual_seed governs, as torch.randn.
///
/// Args:
///     *shape: ints or one tuple of ints.
///     dtype: None or float32 (rustgrad stores float32); anything else is refused.
///     device: None or "cpu"; anything else is refused.
///     requires_grad: make the result a leaf that records gradients.
///
/// Returns:
///     Tensor: a new leaf of that shape.
///
/// Raises:
///     TypeError: when `dtype` is not float32.
///     InvalidArgumentError: when `device` is not the CPU.
///     InvalidArgumentError: when a size is negative or too large to allocate.
#[pyfunction]
#[pyo3(signature = (*shape, dtype = None, device = None, requires_grad = false))]
pub fn randn(
    shape: &Bound<'_, PyTuple>,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    check("randn", dtype, device)?;
    let s = new_shape("randn", &shape_arg(shape)?)?;
    leaf(crate::init::randn(&s), requires_grad)
}

/// The four `*_like` functions without a fill value share their signature; `make` builds the data.
fn like(
    op: &str,
    input: &Bound<'_, PyAny>,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
    make: impl FnOnce(&[usize]) -> Tensor,
) -> PyResult<PyTensor> {
    check(op, dtype, device)?;
    let s = to_tensor(input, op)?.shape().to_vec();
    leaf(make(&s), requires_grad)
}

#[pyfunction]
#[pyo3(signature = (input, *, dtype = None, device = None, requires_grad = false))]
pub fn zeros_like(
    input: &Bound<'_, PyAny>,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    like(
        "zeros_like",
        input,
        dtype,
        device,
        requires_grad,
        Tensor::zeros,
    )
}

#[pyfunction]
#[pyo3(signature = (input, *, dtype = None, device = None, requires_grad = false))]
pub fn ones_like(
    input: &Bound<'_, PyAny>,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    like(
        "ones_like",
        input,
        dtype,
        device,
        requires_grad,
        Tensor::ones,
    )
}

/// A new tensor of `input`'s shape filled with `fill_value`, as torch.full_like.
///
/// Args:
///     input: a Tensor or array-like whose shape is used.
///     fill_value: the number to fill with.
///     dtype: None or float32 (rustgrad stores float32); anything else is refused.
///     device: None or "cpu"; anything else is refused.
///     requires_grad: make the result a leaf that records gradients.
///
/// Returns:
///     Tensor: a new leaf.
///
/// Raises:
///     TypeError: when `dtype` is not float32.
///     InvalidArgumentError: when `device` is not the CPU.
#[pyfunction]
#[pyo3(signature = (input, fill_value, *, dtype = None, device = None, requires_grad = false))]
pub fn full_like(
    input: &Bound<'_, PyAny>,
    fill_value: f32,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    like("full_like", input, dtype, device, requires_grad, |s| {
        Tensor::full(s, fill_value)
    })
}

/// Uniform [0, 1) samples of `input`'s shape, from the generator manual_seed governs.
///
/// As torch.rand_like.
///
/// Args:
///     input: a Tensor or array-like whose shape is used.
///     dtype: None or float32 (rustgrad stores float32); anything else is refused.
///     device: None or "cpu"; anything else is refused.
///     requires_grad: make the result a leaf that records gradients.
///
/// Returns:
///     Tensor: a new leaf.
///
/// Raises:
///     TypeError: when `dtype` is not float32.
///     InvalidArgumentError: when `device` is not the CPU.
#[pyfunction]
#[pyo3(signature = (input, *, dtype = None, device = None, requires_grad = false))]
pub fn rand_like(
    input: &Bound<'_, PyAny>,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    like(
        "rand_like",
        input,
        dtype,
        device,
        requires_grad,
        crate::init::rand,
    )
}

/// Standard normal samples of `input`'s shape, from the generator manual_seed governs.
///
/// As torch.randn_like.
///
/// Args:
///     input: a Tensor or array-like whose shape is used.
///     dtype: None or float32 (rustgrad stores float32); anything else is refused.
///     device: None or "cpu"; anything else is refused.
///     requires_grad: make the result a leaf that records gradients.
///
/// Returns:
///     Tensor: a new leaf.
///
/// Raises:
///     TypeError: when `dtype` is not float32.
///     InvalidArgumentError: when `device` is not the CPU.
#[pyfunction]
#[pyo3(signature = (input, *, dtype = None, device = None, requires_grad = false))]
pub fn randn_like(
    input: &Bound<'_, PyAny>,
    dtype: Opt<'_, '_>,
    device: Opt<'_, '_>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    like(
        "randn_like",
        input,
        dtype,
        device,
        requires_grad,
        crate::init::randn,
    )
}
