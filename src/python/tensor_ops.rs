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

    fn add(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Add)
    }
    fn sub(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Sub)
    }
    fn mul(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Mul)
    }
    fn div(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Div)
    }
    fn pow(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Pow)
    }
    fn maximum(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Maximum)
    }
    fn minimum(&self, o: &Bound<'_, PyAny>) -> Out {
        method(self, o, Binary::Minimum)
    }

    fn exp(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.exp())
    }
    fn log(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.log())
    }
    fn sqrt(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.sqrt())
    }
    fn abs(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.abs())
    }
    fn relu(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.relu())
    }
    #[pyo3(signature = (alpha = 0.2))]
    fn leaky_relu(&self, py: Python<'_>, alpha: f32) -> PyTensor {
        unary(py, &self.t, |x| x.leaky_relu(alpha))
    }
    fn sigmoid(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.sigmoid())
    }
    fn tanh(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.tanh())
    }
    fn sin(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.sin())
    }
    fn cos(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.cos())
    }
    /// x², one node (x ** 2) rather than x * x.
    fn square(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.pow_scalar(2.0))
    }
    #[pyo3(signature = (alpha = 1.0))]
    fn elu(&self, py: Python<'_>, alpha: f32) -> PyTensor {
        unary(py, &self.t, |x| x.elu(alpha))
    }
    fn gelu(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.gelu())
    }
    fn softplus(&self, py: Python<'_>) -> PyTensor {
        unary(py, &self.t, |x| x.softplus())
    }
    /// The activation Keras knows by `name` (keras.activations), from the core's table.
    fn activation(&self, py: Python<'_>, name: &str) -> PyResult<PyTensor> {
        let act = crate::layers::Activation::from_name(name).py_err()?;
        Ok(PyTensor::wrap(
            heavy(py, self.t.numel(), || act.apply(&self.t)).py_err()?,
        ))
    }
    #[pyo3(signature = (axis = -1))]
    fn softmax(&self, py: Python<'_>, axis: isize) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(
            heavy(py, self.t.numel(), || self.t.softmax(axis)).py_err()?,
        ))
    }
    #[pyo3(signature = (axis = -1))]
    fn log_softmax(&self, py: Python<'_>, axis: isize) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(
            heavy(py, self.t.numel(), || self.t.log_softmax(axis)).py_err()?,
        ))
    }
    #[pyo3(signature = (lo = None, hi = None))]
    fn clip(&self, lo: Option<f32>, hi: Option<f32>) -> PyResult<PyTensor> {
        let t = self
            .t
            .clip(lo.unwrap_or(f32::NEG_INFINITY), hi.unwrap_or(f32::INFINITY))
            .py_err()?;
        Ok(PyTensor::wrap(t))
    }

    #[pyo3(signature = (axis = None, keepdims = false))]
    fn sum(&self, axis: Option<&Bound<'_, PyAny>>, keepdims: bool) -> PyResult<PyTensor> {
        let ax = axes(axis)?;
        Ok(PyTensor::wrap(
            self.t.sum_axes(ax.as_deref(), keepdims).py_err()?,
        ))
    }
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn mean(&self, axis: Option<&Bound<'_, PyAny>>, keepdims: bool) -> PyResult<PyTensor> {
        let ax = axes(axis)?;
        Ok(PyTensor::wrap(
            self.t.mean_axes(ax.as_deref(), keepdims).py_err()?,
        ))
    }
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn max(&self, axis: Option<&Bound<'_, PyAny>>, keepdims: bool) -> PyResult<PyTensor> {
        let ax = axes(axis)?;
        Ok(PyTensor::wrap(
            self.t.max_axes(ax.as_deref(), keepdims).py_err()?,
        ))
    }
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn min(&self, axis: Option<&Bound<'_, PyAny>>, keepdims: bool) -> PyResult<PyTensor> {
        let ax = axes(axis)?;
        Ok(PyTensor::wrap(
            self.t.min_axes(ax.as_deref(), keepdims).py_err()?,
        ))
    }
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn argmax(&self, axis: Option<isize>, keepdims: bool) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.argmax(axis, keepdims).py_err()?))
    }
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
