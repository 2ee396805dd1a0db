//! Conversions at the Python boundary: Python numbers, nested lists and NumPy arrays into tensors
//! (one copy into f32), and tensors out to NumPy without a copy.
use super::errors::ShapeError;
use super::tensor::PyTensor;
use crate::tensor::Tensor;
use numpy::ndarray::{ArrayViewD, IxDyn};
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString};

/// The right-hand side of an arithmetic operator.
pub enum Operand {
    T(Tensor),
    S(f32),
}

/// Scalars stay scalars (no tensor is built for `x * 2.0`); anything array-like becomes a tensor.
/// `None` means "not ours": the operator returns NotImplemented.
pub fn operand(obj: &Bound<'_, PyAny>) -> PyResult<Option<Operand>> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(Some(Operand::T(t.get().t.clone())));
    }
    if obj.is_instance_of::<PyFloat>() || obj.is_instance_of::<PyInt>() {
        return Ok(Some(Operand::S(obj.extract::<f64>()? as f32)));
    }
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Ok(None);
    }
    Ok(Some(Operand::T(to_tensor(obj, "operand")?)))
}

fn from_f32_array(arr: &Bound<'_, PyArrayDyn<f32>>) -> PyResult<Tensor> {
    let ro = arr.readonly();
    let shape = arr.shape().to_vec();
    // as_slice also succeeds for Fortran-ordered arrays (`a.T`), whose memory is not row-major.
    let data = match ro.as_slice() {
        Ok(s) if arr.is_c_contiguous() => s.to_vec(),
        _ => ro.as_array().iter().copied().collect(),
    };
    Ok(Tensor::from_parts(data, shape))
}

/// Any number, nested sequence or array of numbers into a new tensor (a copy).
pub fn to_tensor(obj: &Bound<'_, PyAny>, op: &str) -> PyResult<Tensor> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(t.get().t.clone());
    }
    if let Ok(a) = obj.cast::<PyArrayDyn<f32>>() {
        return from_f32_array(a);
    }
    if obj.is_instance_of::<PyBool>()
        || obj.is_instance_of::<PyFloat>()
        || obj.is_instance_of::<PyInt>()
    {
        return Ok(Tensor::scalar(obj.extract::<f64>()? as f32));
    }
    let tname = obj.get_type().name()?.to_string();
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() || obj.is_none() {
        return Err(PyTypeError::new_err(format!("{op}: expected a number, a nested sequence of numbers, an array or a Tensor, got {tname}")));
    }
    let py = obj.py();
    let np = py.import("numpy")?;
    let arr = match np.call_method1("asarray", (obj,)) {
        Ok(a) => a,
        Err(e) if e.is_instance_of::<PyValueError>(py) => {
            return Err(ShapeError::new_err(format!("{op}: cannot build a tensor from a ragged nested sequence (rows of different lengths): {}", e.value(py))));
        }
        Err(e) => return Err(e),
    };
    let kind: String = arr.getattr("dtype")?.getattr("kind")?.extract()?;
    let kw = pyo3::types::PyDict::new(py);
    kw.set_item("dtype", np.getattr("float32")?)?;
    kw.set_item("order", "C")?;
    if kind == "O" {
        // Objects that are all numbers (a DataFrame of float and one-hot bool columns gives such
        // an array) convert as Keras converts them; anything else is refused below.
        if let Ok(f) = np.call_method("asarray", (&arr,), Some(&kw)) {
            return from_f32_array(f.cast::<PyArrayDyn<f32>>()?);
        }
    }
    if !"biuf".contains(kind.as_str()) {
        let dt = arr.getattr("dtype")?.str()?.to_string();
        let why = if kind == "O" {
            "a ragged nested sequence or non-numeric objects".to_string()
        } else {
            format!("values of dtype {dt}")
        };
        return Err(PyTypeError::new_err(format!(
            "{op}: expected numbers, got {why} (from {tname})"
        )));
    }
    // Not ascontiguousarray: it turns 0-d arrays (NumPy scalars) into shape (1,).
    let f = np.call_method("asarray", (arr,), Some(&kw))?;
    from_f32_array(f.cast::<PyArrayDyn<f32>>()?)
}

/// A NumPy array viewing the tensor's storage; the array keeps the tensor alive through its base.
pub fn to_numpy<'py>(slf: &Bound<'py, PyTensor>) -> Bound<'py, PyArrayDyn<f32>> {
    let t = &slf.get().t;
    // The Vec is never resized after creation, so its pointer is stable while the tensor lives.
    let ptr = t.data().as_ptr();
    // SAFETY: ptr points at numel(shape) initialised f32s owned by the tensor the array's base holds.
    unsafe {
        let view = ArrayViewD::from_shape_ptr(IxDyn(t.shape()), ptr);
        PyArrayDyn::borrow_from_array(&view, slf.clone().into_any())
    }
}

/// Shape arguments given as a tuple, a list, or as separate ints.
pub fn shape_arg(args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<Vec<isize>> {
    let src = match args.len() {
        1 if !args.get_item(0)?.hasattr("__index__")? => args.get_item(0)?,
        _ => args.clone().into_any(),
    };
    src.extract::<Vec<isize>>().map_err(|e| {
        // Ints too large for isize are a bad size, not a bad type.
        if e.is_instance_of::<pyo3::exceptions::PyOverflowError>(args.py()) {
            ShapeError::new_err(format!("shape {src}: a dimension is too large"))
        } else {
            PyTypeError::new_err("a shape must be ints, or one tuple or list of ints")
        }
    })
}

pub fn usize_shape(op: &str, s: &[isize]) -> PyResult<Vec<usize>> {
    s.iter()
        .map(|&d| {
            if d < 0 {
                Err(ShapeError::new_err(format!(
                    "{op}: negative dimension {d} in shape {s:?}"
                )))
            } else {
                Ok(d as usize)
            }
        })
        .collect()
}
