//! In-place methods of `rustgrad.Tensor` (`+=`, `add_`, `zero_`, `t[i] = v`, `.data`), the
//! shared-memory `from_numpy`, and `_core.grad` (gradients without touching `.grad`).
use super::convert::{operand, to_tensor, Operand};
use super::errors::IntoPy;
use super::tensor::{parse_index, PyTensor};
use crate::ops::Binary;
use crate::tensor::{ForeignBuffer, Tensor};
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

/// The right-hand side of an in-place op as a tensor (scalars as one-element tensors).
fn rhs(other: &Bound<'_, PyAny>, op: &str) -> PyResult<Tensor> {
    match operand(other)? {
        Some(Operand::T(t)) => Ok(t),
        Some(Operand::S(c)) => Ok(Tensor::scalar(c)),
        None => Err(PyTypeError::new_err(format!(
            "{op}: expected a number, an array or a Tensor, got {}",
            other.get_type().name()?
        ))),
    }
}

/// `alpha * other` for ``add_``/``sub_`` (PyTorch's keyword), without a graph node when alpha is 1.
fn scaled(other: Tensor, alpha: f32) -> Tensor {
    if alpha == 1.0 {
        other
    } else {
        other.mul_scalar(alpha)
    }
}

fn in_place<'py>(
    slf: Bound<'py, PyTensor>,
    other: &Bound<'py, PyAny>,
    op: Binary,
    alpha: f32,
) -> PyResult<Bound<'py, PyTensor>> {
    let o = scaled(rhs(other, op.name())?, alpha);
    slf.get().t.binary_(&o, op).py_err()?;
    Ok(slf)
}

#[pymethods]
impl PyTensor {
    fn __iadd__(slf: Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
        in_place(slf, o, Binary::Add, 1.0).map(drop)
    }
    fn __isub__(slf: Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
        in_place(slf, o, Binary::Sub, 1.0).map(drop)
    }
    fn __imul__(slf: Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
        in_place(slf, o, Binary::Mul, 1.0).map(drop)
    }
    fn __itruediv__(slf: Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
        in_place(slf, o, Binary::Div, 1.0).map(drop)
    }
    /// self += alpha * other, in place, as ``torch.Tensor.add_``.
    ///
    /// Args:
    ///     other: a Tensor, an array-like or a number, broadcast to this shape.
    ///     alpha: the factor applied to `other`.
    ///
    /// Returns:
    ///     Tensor: this tensor.
    ///
    /// Raises:
    ///     ShapeError: when `other` does not broadcast to this shape.
    ///     GraphError: on a leaf that requires grad while gradients are recorded (use no_grad).
    #[pyo3(signature = (other, *, alpha = 1.0))]
    fn add_<'py>(
        slf: Bound<'py, Self>,
        other: &Bound<'py, PyAny>,
        alpha: f32,
    ) -> PyResult<Bound<'py, Self>> {
        in_place(slf, other, Binary::Add, alpha)
    }
    /// self -= alpha * other, in place, as ``torch.Tensor.sub_``.
    ///
    /// Args:
    ///     other: a Tensor, an array-like or a number, broadcast to this shape.
    ///     alpha: the factor applied to `other`.
    ///
    /// Returns:
    ///     Tensor: this tensor.
    ///
    /// Raises:
    ///     ShapeError: when `other` does not broadcast to this shape.
    ///     GraphError: on a leaf that requires grad while gradients are recorded (use no_grad).
    #[pyo3(signature = (other, *, alpha = 1.0))]
    fn sub_<'py>(
        slf: Bound<'py, Self>,
        other: &Bound<'py, PyAny>,
        alpha: f32,
    ) -> PyResult<Bound<'py, Self>> {
        in_place(slf, other, Binary::Sub, alpha)
    }
    /// ``self *= o``, in place (torch.Tensor method of the same name).
    ///
    /// Args:
    ///     o: a Tensor, an array-like or a number, broadcast to this shape.
    ///
    /// Returns:
    ///     Tensor: this tensor.
    ///
    /// Raises:
    ///     ShapeError: when `o` does not broadcast to this shape.
    ///     GraphError: on a leaf that requires grad while gradients are recorded (use no_grad).
    fn mul_<'py>(slf: Bound<'py, Self>, o: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        in_place(slf, o, Binary::Mul, 1.0)
    }
    /// self /= o, in place (torch.Tensor method of the same name).
    ///
    /// Args:
    ///     o: a Tensor, an array-like or a number, broadcast to this shape.
    ///
    /// Returns:
    ///     Tensor: this tensor.
    ///
    /// Raises:
    ///     ShapeError: when `o` does not broadcast to this shape.
    ///     GraphError: on a leaf that requires grad while gradients are recorded (use no_grad).
    fn div_<'py>(slf: Bound<'py, Self>, o: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        in_place(slf, o, Binary::Div, 1.0)
    }
    /// Set every element to 0, in place, as ``torch.Tensor.zero_``.
    ///
    /// Returns:
    ///     Tensor: this tensor.
    ///
    /// Raises:
    ///     GraphError: on a leaf that requires grad while gradients are recorded (use no_grad).
    fn zero_(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().t.zero_().py_err()?;
        Ok(slf)
    }
    /// Set every element to `value`, in place, as ``torch.Tensor.fill_``.
    ///
    /// Args:
    ///     value: the number to write.
    ///
    /// Returns:
    ///     Tensor: this tensor.
    ///
    /// Raises:
    ///     GraphError: on a leaf that requires grad while gradients are recorded (use no_grad).
    fn fill_(slf: Bound<'_, Self>, value: f32) -> PyResult<Bound<'_, Self>> {
        slf.get().t.fill_(value).py_err()?;
        Ok(slf)
    }
    /// Copy `src` (broadcast to this shape) into this tensor, as ``torch.Tensor.copy_``.
    ///
    /// Args:
    ///     src: a Tensor, an array-like or a number.
    ///
    /// Returns:
    ///     Tensor: this tensor.
    ///
    /// Raises:
    ///     ShapeError: when `src` does not broadcast to this shape.
    ///     GraphError: on a leaf that requires grad while gradients are recorded (use no_grad).
    fn copy_<'py>(slf: Bound<'py, Self>, src: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let s = to_tensor(src, "copy_")?;
        slf.get().t.copy_(&s).py_err()?;
        Ok(slf)
    }
    /// Limit the values to [min, max], in place, as ``torch.Tensor.clamp_``.
    ///
    /// Args:
    ///     min: the lower bound, or None.
    ///     max: the upper bound, or None.
    ///
    /// Returns:
    ///     Tensor: this tensor.
    ///
    /// Raises:
    ///     ValueError: when both bounds are None.
    ///     GraphError: on a leaf that requires grad while gradients are recorded (use no_grad).
    #[pyo3(signature = (min = None, max = None))]
    fn clamp_(
        slf: Bound<'_, Self>,
        min: Option<f32>,
        max: Option<f32>,
    ) -> PyResult<Bound<'_, Self>> {
        if min.is_none() && max.is_none() {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "clamp_: at least one of 'min' or 'max' must not be None",
            ));
        }
        slf.get().t.clamp_(min, max).py_err()?;
        Ok(slf)
    }
    /// `t[key] = value` with NumPy's assignment semantics; recorded when gradients flow.
    fn __setitem__(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let idx = parse_index(key)?;
        let v = rhs(value, "setitem")?;
        self.t.index_put_(&idx, &v).py_err()
    }
    /// Tensors have a fixed shape: nothing can be deleted from one (as in NumPy and PyTorch).
    fn __delitem__(&self, _key: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "Tensor does not support item deletion (its shape is fixed)",
        ))
    }
    /// The same values without grad tracking: writes through it change this tensor and are
    /// never recorded (PyTorch's `.data`).
    #[getter]
    fn get_data(&self) -> PyTensor {
        PyTensor::wrap(self.t.alias())
    }
    /// `t.data = values`: overwrite the values (same shape), unrecorded.
    #[setter]
    fn set_data(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = to_tensor(value, "data")?;
        if v.shape() != self.t.shape() {
            return Err(super::errors::ShapeError::new_err(format!(
                "data: cannot assign values of shape {} to a tensor of shape {}; rustgrad tensors keep their shape",
                crate::error::fmt_shape(v.shape()),
                crate::error::fmt_shape(self.t.shape())
            )));
        }
        self.t.alias().copy_(&v).py_err()
    }
    /// How many in-place writes this tensor's memory has had (PyTorch's `_version`).
    #[getter]
    fn _version(&self) -> u64 {
        self.t.version()
    }
}

/// A NumPy float32 array's memory, kept alive by holding the array.
struct NumpyBuffer {
    _array: Py<PyArrayDyn<f32>>,
    ptr: *mut f32,
    len: usize,
}
// SAFETY: the array object is only held (its refcount is touched under the GIL by pyo3); the
// values are reached through `ptr`, guarded by the tensor's RwLock like any storage.
unsafe impl Send for NumpyBuffer {}
unsafe impl Sync for NumpyBuffer {}
impl ForeignBuffer for NumpyBuffer {
    fn values(&self) -> &[f32] {
        // SAFETY: ptr points at len initialised f32s owned by the array this struct holds.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
    fn values_mut(&mut self) -> &mut [f32] {
        // SAFETY: as above; the array was checked writeable and C-contiguous.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

/// A tensor sharing the memory of a writeable, C-contiguous float32 NumPy array (changes to
/// either show in the other), like `torch.from_numpy`. Other arrays are copied into float32
/// with a warning, since a tensor holds float32 only.
///
/// Args:
///     array: a NumPy array.
///
/// Returns:
///     Tensor: a leaf over the array's memory (or over a float32 copy).
///
/// Raises:
///     TypeError: when `array` is not a NumPy array of numbers.
#[pyfunction]
pub fn from_numpy(py: Python<'_>, array: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let np = py.import("numpy")?;
    if !array.is_instance(&np.getattr("ndarray")?)? {
        return Err(PyTypeError::new_err(format!(
            "from_numpy: expected a numpy.ndarray, got {}",
            array.get_type().name()?
        )));
    }
    let writeable: bool = array.getattr("flags")?.getattr("writeable")?.extract()?;
    if let Ok(a) = array.cast::<PyArrayDyn<f32>>() {
        if a.is_c_contiguous() && writeable {
            let shape = a.shape().to_vec();
            let len = a.len();
            let ptr = a.data();
            let buf = NumpyBuffer {
                _array: a.clone().unbind(),
                ptr,
                len,
            };
            return Ok(PyTensor::wrap(
                Tensor::from_foreign(Box::new(buf), shape).py_err()?,
            ));
        }
    }
    let why = match array.cast::<PyArrayDyn<f32>>() {
        Ok(_) if !writeable => "the array is read-only".to_string(),
        Ok(_) => "the array is not C-contiguous".to_string(),
        Err(_) => format!(
            "its dtype is {} and rustgrad stores float32",
            array.getattr("dtype")?.str()?
        ),
    };
    let msg = format!(
        "from_numpy: the array is copied (the tensor does not share its memory) because {why}"
    );
    let warn = py.import("warnings")?;
    // stacklevel 1: called from native code, the caller's frame is the first Python one.
    warn.call_method1(
        "warn",
        (msg, py.get_type::<pyo3::exceptions::PyUserWarning>(), 1),
    )?;
    let t = to_tensor(array, "from_numpy")?;
    Ok(PyTensor::wrap(Tensor::from_parts(
        t.to_vec(),
        t.shape().to_vec(),
    )))
}

/// d(output)/d(input) for each input, None where output does not depend on it; `.grad` is left
/// alone. `grad_output` seeds a non-scalar output.
#[pyfunction]
#[pyo3(signature = (output, inputs, grad_output = None, retain_graph = false))]
pub fn grad(
    py: Python<'_>,
    output: &PyTensor,
    inputs: Vec<PyRef<'_, PyTensor>>,
    grad_output: Option<&Bound<'_, PyAny>>,
    retain_graph: bool,
) -> PyResult<Vec<Option<PyTensor>>> {
    let seed = super::tensor::seed_values(grad_output, &output.t, "grad")?;
    let root = output.t.clone();
    let xs: Vec<Tensor> = inputs.iter().map(|x| x.t.clone()).collect();
    let gs = py
        .detach(move || crate::autograd::grad(&root, &xs, seed, retain_graph))
        .py_err()?;
    Ok(gs.into_iter().map(|g| g.map(PyTensor::wrap)).collect())
}
