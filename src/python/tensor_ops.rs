//! Math methods and operators of `rustgrad.Tensor`, each forwarding to one core op.
use super::convert::{operand, Operand};
use super::errors::IntoPy;
use super::tensor::PyTensor;
use crate::error::Result;
use crate::ops::{binary::compare, Binary, Compare};
use crate::tensor::Tensor;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// Work above this many elements (or multiply-adds) runs with the GIL released.
const GIL_FREE_WORK: usize = 1 << 16;

pub fn heavy<R: Send>(py: Python<'_>, work: usize, f: impl FnOnce() -> R + Send) -> R {
    if work >= GIL_FREE_WORK {
        py.detach(f)
    } else {
        f()
    }
}

type Out = PyResult<Py<PyAny>>;

fn wrap(py: Python<'_>, t: Result<Tensor>) -> Out {
    Ok(Py::new(py, PyTensor::wrap(t.py_err()?))?.into_any())
}

/// `self op other`, or `other op self` when `reflected`; scalars never become tensors.
fn arith(slf: &PyTensor, other: &Bound<'_, PyAny>, op: Binary, reflected: bool) -> Out {
    let py = other.py();
    let Some(o) = operand(other)? else {
        return Ok(py.NotImplemented());
    };
    let x = &slf.t;
    let r = match (o, reflected) {
        (Operand::S(c), false) => Ok(match op {
            Binary::Add => x.add_scalar(c),
            Binary::Sub => x.add_scalar(-c),
            Binary::Mul => x.mul_scalar(c),
            Binary::Div => x.mul_scalar(1.0 / c),
            Binary::Pow => x.pow_scalar(c),
            _ => return wrap(py, crate::ops::binary::binary(x, &Tensor::scalar(c), op)),
        }),
        (Operand::S(c), true) => Ok(match op {
            Binary::Add => x.add_scalar(c),
            Binary::Sub => x.rsub_scalar(c),
            Binary::Mul => x.mul_scalar(c),
            Binary::Div => x.rdiv_scalar(c),
            Binary::Pow => x.rpow_scalar(c),
            _ => return wrap(py, crate::ops::binary::binary(&Tensor::scalar(c), x, op)),
        }),
        (Operand::T(o), false) => heavy(py, x.numel().max(o.numel()), || {
            crate::ops::binary::binary(x, &o, op)
        }),
        (Operand::T(o), true) => heavy(py, x.numel().max(o.numel()), || {
            crate::ops::binary::binary(&o, x, op)
        }),
    };
    wrap(py, r)
}

/// Method forms (`t.add(x)`, `t.maximum(x)`) have no reflected fallback: a foreign operand is a
/// TypeError here, where an operator would return NotImplemented.
fn method(slf: &PyTensor, other: &Bound<'_, PyAny>, op: Binary) -> Out {
    let r = arith(slf, other, op, false)?;
    if r.is(other.py().NotImplemented()) {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "{}: expected a Tensor, a number or an array-like, got {}",
            op.name(),
            other.get_type().name()?
        )));
    }
    Ok(r)
}

fn cmp(slf: &PyTensor, other: &Bound<'_, PyAny>, c: Compare) -> Out {
    let py = other.py();
    // `t == None` or `t == "a"` is not ours to answer: Python then falls back to identity (== is
    // False) or raises TypeError for ordering, as it does for NumPy arrays and torch tensors.
    let o = match operand(other).or_else(|e| {
        if e.is_instance_of::<pyo3::exceptions::PyTypeError>(py) {
            Ok(None)
        } else {
            Err(e)
        }
    })? {
        Some(Operand::T(t)) => t,
        Some(Operand::S(s)) => Tensor::scalar(s),
        None => return Ok(py.NotImplemented()),
    };
    wrap(py, compare(&slf.t, &o, c))
}

/// `axis=None | int | tuple` as the core's optional axis list.
pub fn axes(axis: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<isize>>> {
    match axis {
        None => Ok(None),
        Some(a) if a.is_none() => Ok(None),
        Some(a) => match a.extract::<isize>() {
            Ok(i) => Ok(Some(vec![i])),
            Err(_) => Ok(Some(a.extract::<Vec<isize>>()?)),
        },
    }
}

fn unary(py: Python<'_>, x: &Tensor, f: impl FnOnce(&Tensor) -> Tensor + Send) -> PyTensor {
    PyTensor::wrap(heavy(py, x.numel(), || f(x)))
}

#[pymethods]
impl PyTensor {
    fn __add__(&self, o: &Bound<'_, PyAny>) -> Out {
        arith(self, o, Binary::Add, false)
    }
    fn __radd__(&self, o: &Bound<'_, PyAny>) -> Out {
        arith(self, o, Binary::Add, true)
    }
    fn __sub__(&self, o: &Bound<'_, PyAny>) -> Out {
        arith(self, o, Binary::Sub, false)
    }
    fn __rsub__(&self, o: &Bound<'_, PyAny>) -> Out {
        arith(self, o, Binary::Sub, true)
    }
    fn __mul__(&self, o: &Bound<'_, PyAny>) -> Out {
        arith(self, o, Binary::Mul, false)
    }
    fn __rmul__(&self, o: &Bound<'_, PyAny>) -> Out {
        arith(self, o, Binary::Mul, true)
    }
    fn __truediv__(&self, o: &Bound<'_, PyAny>) -> Out {
        arith(self, o, Binary::Div, false)
    }
    fn __rtruediv__(&self, o: &Bound<'_, PyAny>) -> Out {
        arith(self, o, Binary::Div, true)
    }
    fn __pow__(&self, o: &Bound<'_, PyAny>, _modulo: Option<&Bound<'_, PyAny>>) -> Out {
        arith(self, o, Binary::Pow, false)
    }
    fn __rpow__(&self, o: &Bound<'_, PyAny>, _modulo: Option<&Bound<'_, PyAny>>) -> Out {
        arith(self, o, Binary::Pow, true)
    }
    fn __matmul__(&self, o: &Bound<'_, PyAny>) -> Out {
        let py = o.py();
        let Some(Operand::T(b)) = operand(o)? else {
            return Ok(py.NotImplemented());
        };
        let work = self
            .t
            .numel()
            .saturating_mul(b.shape().last().copied().unwrap_or(1));
        wrap(py, heavy(py, work, || self.t.matmul(&b)))
    }
    fn __rmatmul__(&self, o: &Bound<'_, PyAny>) -> Out {
        let py = o.py();
        let Some(Operand::T(a)) = operand(o)? else {
            return Ok(py.NotImplemented());
        };
        let work = a
            .numel()
            .saturating_mul(self.t.shape().last().copied().unwrap_or(1));
        wrap(py, heavy(py, work, || a.matmul(&self.t)))
    }
    /// The matrix product, with NumPy's matmul rules for 1-d and batched operands (torch.matmul).
    ///
    /// Args:
    ///     o: a Tensor or an array-like.
    ///
    /// Returns:
    ///     Tensor: the product.
    ///
    /// Raises:
    ///     ShapeError: when the inner dimensions differ or the batch axes do not broadcast.
    ///     TypeError: when `o` is not a Tensor or an array-like.
    fn matmul(&self, o: &Bound<'_, PyAny>) -> Out {
        let r = self.__matmul__(o)?;
        if r.is(o.py().NotImplemented()) {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "matmul: expected a Tensor or an array-like, got {}",
                o.get_type().name()?
            )));
        }
        Ok(r)
    }
    fn __neg__(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.neg())
    }
    fn __pos__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }
    fn __abs__(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.abs())
    }
    fn __lt__(&self, o: &Bound<'_, PyAny>) -> Out {
        cmp(self, o, Compare::Lt)
    }
    fn __le__(&self, o: &Bound<'_, PyAny>) -> Out {
        cmp(self, o, Compare::Le)
    }
    fn __gt__(&self, o: &Bound<'_, PyAny>) -> Out {
        cmp(self, o, Compare::Gt)
    }
    fn __ge__(&self, o: &Bound<'_, PyAny>) -> Out {
        cmp(self, o, Compare::Ge)
    }
    fn __eq__(&self, o: &Bound<'_, PyAny>) -> Out {
        cmp(self, o, Compare::Eq)
    }
    fn __ne__(&self, o: &Bound<'_, PyAny>) -> Out {
        cmp(self, o, Compare::Ne)
    }

    /// self + o, broadcasting as NumPy does (torch.Tensor.add).
    ///
    /// Args:
    ///     o: a Tensor, a number or an array-like.
    ///
    /// Returns:
    ///     Tensor: the elementwise result.
    ///
    /// Raises:
    ///     ShapeError: when the shapes do not broadcast.
    ///     TypeError: when `o` is not a Tensor, a number or an array-like.
    fn add(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Add)
    }
    /// self - o, broadcasting as NumPy does (torch.Tensor.sub).
    ///
    /// Args:
    ///     o: a Tensor, a number or an array-like.
    ///
    /// Returns:
    ///     Tensor: the elementwise result.
    ///
    /// Raises:
    ///     ShapeError: when the shapes do not broadcast.
    ///     TypeError: when `o` is not a Tensor, a number or an array-like.
    fn sub(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Sub)
    }
    /// self * o, broadcasting as NumPy does (torch.Tensor.mul).
    ///
    /// Args:
    ///     o: a Tensor, a number or an array-like.
    ///
    /// Returns:
    ///     Tensor: the elementwise result.
    ///
    /// Raises:
    ///     ShapeError: when the shapes do not broadcast.
    ///     TypeError: when `o` is not a Tensor, a number or an array-like.
    fn mul(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Mul)
    }
    /// self / o, broadcasting as NumPy does (torch.Tensor.div).
    ///
    /// Args:
    ///     o: a Tensor, a number or an array-like.
    ///
    /// Returns:
    ///     Tensor: the elementwise result.
    ///
    /// Raises:
    ///     ShapeError: when the shapes do not broadcast.
    ///     TypeError: when `o` is not a Tensor, a number or an array-like.
    fn div(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Div)
    }
    /// self ** o, broadcasting as NumPy does (torch.Tensor.pow).
    ///
    /// Args:
    ///     o: a Tensor, a number or an array-like.
    ///
    /// Returns:
    ///     Tensor: the elementwise result.
    ///
    /// Raises:
    ///     ShapeError: when the shapes do not broadcast.
    ///     TypeError: when `o` is not a Tensor, a number or an array-like.
    fn pow(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Pow)
    }
    /// The larger of self and o, broadcasting as NumPy does (torch.Tensor.maximum). At a tie the gradient goes to self.
    ///
    /// Args:
    ///     o: a Tensor, a number or an array-like.
    ///
    /// Returns:
    ///     Tensor: the elementwise result.
    ///
    /// Raises:
    ///     ShapeError: when the shapes do not broadcast.
    ///     TypeError: when `o` is not a Tensor, a number or an array-like.
    fn maximum(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Maximum)
    }
    /// The smaller of self and o, broadcasting as NumPy does (torch.Tensor.minimum). At a tie the gradient goes to self.
    ///
    /// Args:
    ///     o: a Tensor, a number or an array-like.
    ///
    /// Returns:
    ///     Tensor: the elementwise result.
    ///
    /// Raises:
    ///     ShapeError: when the shapes do not broadcast.
    ///     TypeError: when `o` is not a Tensor, a number or an array-like.
    fn minimum(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Minimum)
    }

    /// e ** x, elementwise (torch.Tensor.exp).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    fn exp(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.exp())
    }
    /// The natural logarithm (-inf at 0, NaN below), elementwise (torch.Tensor.log).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    fn log(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.log())
    }
    /// The square root (NaN below 0), elementwise (torch.Tensor.sqrt).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    fn sqrt(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.sqrt())
    }
    /// ``|x|`` (gradient 0 at 0), elementwise (torch.Tensor.abs).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    fn abs(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.abs())
    }
    /// max(x, 0) (gradient 0 at 0), elementwise (torch.Tensor.relu).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    fn relu(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.relu())
    }
    /// x where x > 0, else alpha * x.
    ///
    /// Args:
    ///     alpha: the slope below 0; 0.2 by default as keras.activations.leaky_relu (PyTorch's
    ///         default is 0.01).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    #[pyo3(signature = (alpha = 0.2))]
    fn leaky_relu(&self, py: Python<'_>, alpha: f32) -> PyTensor {
        unary(py, &self.t, |x| x.leaky_relu(alpha))
    }
    /// 1 / (1 + e ** -x), elementwise (torch.Tensor.sigmoid).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    fn sigmoid(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.sigmoid())
    }
    /// The hyperbolic tangent, elementwise (torch.Tensor.tanh).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    fn tanh(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.tanh())
    }
    /// The sine, elementwise (torch.Tensor.sin).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    fn sin(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.sin())
    }
    /// The cosine, elementwise (torch.Tensor.cos).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    fn cos(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.cos())
    }
    /// x², elementwise: one node (x ** 2) rather than x * x.
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    fn square(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.pow_scalar(2.0))
    }
    /// x where x > 0, else alpha * (e ** x - 1), as keras.activations.elu.
    ///
    /// Args:
    ///     alpha: the scale of the negative part.
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    #[pyo3(signature = (alpha = 1.0))]
    fn elu(&self, py: Python<'_>, alpha: f32) -> PyTensor {
        unary(py, &self.t, |x| x.elu(alpha))
    }
    /// The exact (erf) GELU, x * Φ(x); no tanh approximation, elementwise (torch.Tensor.gelu).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    fn gelu(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.gelu())
    }
    /// log(1 + e ** x), computed without overflow, elementwise (torch.Tensor.softplus).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    fn softplus(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.softplus())
    }
    /// The activation Keras knows by `name` (keras.activations), from the core's table.
    ///
    /// Args:
    ///     name: an activation name ("relu", "gelu", "mish", ...).
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    ///
    /// Raises:
    ///     InvalidArgumentError: for an unknown name (the message lists the valid ones).
    fn activation(&self, py: Python<'_>, name: &str) -> PyResult<PyTensor> {
        let act = crate::layers::Activation::from_name(name).py_err()?;
        Ok(PyTensor::wrap(
            heavy(py, self.t.numel(), || act.apply(&self.t)).py_err()?,
        ))
    }
    /// e ** x / sum(e ** x) along `axis`, computed stably by subtracting the maximum.
    ///
    /// Args:
    ///     axis: the axis whose entries sum to 1.
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    ///
    /// Raises:
    ///     ShapeError: when `axis` is out of range.
    #[pyo3(signature = (axis = -1))]
    fn softmax(&self, py: Python<'_>, axis: isize) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(
            heavy(py, self.t.numel(), || self.t.softmax(axis)).py_err()?,
        ))
    }
    /// x - logsumexp(x) along `axis`, stable for large inputs.
    ///
    /// Args:
    ///     axis: the axis to normalise.
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    ///
    /// Raises:
    ///     ShapeError: when `axis` is out of range.
    #[pyo3(signature = (axis = -1))]
    fn log_softmax(&self, py: Python<'_>, axis: isize) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(
            heavy(py, self.t.numel(), || self.t.log_softmax(axis)).py_err()?,
        ))
    }
    /// The values limited to [lo, hi]; the gradient is 0 where a bound is applied.
    ///
    /// Args:
    ///     lo: the lower bound, or None for none.
    ///     hi: the upper bound, or None for none.
    ///
    /// Returns:
    ///     Tensor: a tensor of this shape.
    ///
    /// Raises:
    ///     InvalidArgumentError: when `lo` is above `hi`.
    #[pyo3(signature = (lo = None, hi = None))]
    fn clip(&self, lo: Option<f32>, hi: Option<f32>) -> PyResult<PyTensor> {
        let t = self
            .t
            .clip(lo.unwrap_or(f32::NEG_INFINITY), hi.unwrap_or(f32::INFINITY))
            .py_err()?;
        Ok(PyTensor::wrap(t))
    }

    /// The sum over `axis`, as torch/NumPy reductions.
    ///
    /// Args:
    ///     axis: None (every element), an int or a tuple of ints; negative axes count from the end.
    ///     keepdims: keep the reduced axes with size 1.
    ///
    /// Returns:
    ///     Tensor: the reduced tensor (0-d when `axis` is None and `keepdims` False).
    ///
    /// Raises:
    ///     ShapeError: when an axis is out of range.
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn sum(&self, axis: Option<&Bound<'_, PyAny>>, keepdims: bool) -> PyResult<PyTensor> {
        let ax = axes(axis)?;
        Ok(PyTensor::wrap(
            self.t.sum_axes(ax.as_deref(), keepdims).py_err()?,
        ))
    }
    /// The mean over `axis`, as torch/NumPy reductions.
    ///
    /// Args:
    ///     axis: None (every element), an int or a tuple of ints; negative axes count from the end.
    ///     keepdims: keep the reduced axes with size 1.
    ///
    /// Returns:
    ///     Tensor: the reduced tensor (0-d when `axis` is None and `keepdims` False).
    ///
    /// Raises:
    ///     ShapeError: when an axis is out of range.
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn mean(&self, axis: Option<&Bound<'_, PyAny>>, keepdims: bool) -> PyResult<PyTensor> {
        let ax = axes(axis)?;
        Ok(PyTensor::wrap(
            self.t.mean_axes(ax.as_deref(), keepdims).py_err()?,
        ))
    }
    /// The maximum (the gradient goes to one maximal element) over `axis`, as torch/NumPy reductions.
    ///
    /// Args:
    ///     axis: None (every element), an int or a tuple of ints; negative axes count from the end.
    ///     keepdims: keep the reduced axes with size 1.
    ///
    /// Returns:
    ///     Tensor: the reduced tensor (0-d when `axis` is None and `keepdims` False).
    ///
    /// Raises:
    ///     ShapeError: when an axis is out of range.
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn max(&self, axis: Option<&Bound<'_, PyAny>>, keepdims: bool) -> PyResult<PyTensor> {
        let ax = axes(axis)?;
        Ok(PyTensor::wrap(
            self.t.max_axes(ax.as_deref(), keepdims).py_err()?,
        ))
    }
    /// The minimum (the gradient goes to one minimal element) over `axis`, as torch/NumPy reductions.
    ///
    /// Args:
    ///     axis: None (every element), an int or a tuple of ints; negative axes count from the end.
    ///     keepdims: keep the reduced axes with size 1.
    ///
    /// Returns:
    ///     Tensor: the reduced tensor (0-d when `axis` is None and `keepdims` False).
    ///
    /// Raises:
    ///     ShapeError: when an axis is out of range.
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn min(&self, axis: Option<&Bound<'_, PyAny>>, keepdims: bool) -> PyResult<PyTensor> {
        let ax = axes(axis)?;
        Ok(PyTensor::wrap(
            self.t.min_axes(ax.as_deref(), keepdims).py_err()?,
        ))
    }
    /// The index of the largest value along `axis` (ties give the first), as float32; no gradient.
    ///
    /// Args:
    ///     axis: an int, or None for the index into the flattened tensor.
    ///     keepdims: keep the reduced axis with size 1.
    ///
    /// Returns:
    ///     Tensor: the indices, stored as float32.
    ///
    /// Raises:
    ///     ShapeError: when `axis` is out of range or the tensor is empty.
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn argmax(&self, axis: Option<isize>, keepdims: bool) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.argmax(axis, keepdims).py_err()?))
    }
    /// The index of the smallest value along `axis` (ties give the first), as float32; no gradient.
    ///
    /// Args:
    ///     axis: an int, or None for the index into the flattened tensor.
    ///     keepdims: keep the reduced axis with size 1.
    ///
    /// Returns:
    ///     Tensor: the indices, stored as float32.
    ///
    /// Raises:
    ///     ShapeError: when `axis` is out of range or the tensor is empty.
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn argmin(&self, axis: Option<isize>, keepdims: bool) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.argmin(axis, keepdims).py_err()?))
    }
}

/// Tensors from a Python sequence of tensors (for concatenate / stack).
pub fn tensor_list(seq: &Bound<'_, PyAny>) -> PyResult<Vec<Tensor>> {
    let items: Vec<Bound<'_, PyAny>> = match seq.cast::<PyTuple>() {
        Ok(t) => t.iter().collect(),
        Err(_) => seq.try_iter()?.collect::<PyResult<_>>()?,
    };
    items
        .iter()
        .map(|x| super::convert::to_tensor(x, "concatenate"))
        .collect()
}
