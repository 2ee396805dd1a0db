//! The `dtype=` and `device=` arguments PyTorch code passes: float32 on the CPU is accepted, any other
//! dtype or device is refused with a message saying why (rustgrad never converts silently).
use super::errors::InvalidArgumentError;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};

/// NumPy's reading of a dtype argument ("float32", numpy.float32, rustgrad.float32, float ...), or
/// None when it is no dtype at all.
fn as_numpy_dtype<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    // numpy.dtype(None) is float64, and a bool or an int would read as a type code.
    if obj.is_none() || obj.is_instance_of::<PyBool>() || obj.is_instance_of::<PyInt>() {
        return Ok(None);
    }
    let np_dtype = obj.py().import("numpy")?.getattr("dtype")?;
    Ok(np_dtype.call1((obj,)).ok())
}

/// Ok for float32 (in any spelling NumPy reads); a TypeError naming the dtype otherwise.
pub fn check_dtype(op: &str, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let Some(d) = dtype.filter(|d| !d.is_none()) else {
        return Ok(());
    };
    let Some(np) = as_numpy_dtype(d)? else {
        return Err(PyTypeError::new_err(format!(
            "{op}: dtype={} is not a data type; rustgrad stores float32 (rustgrad.float32)",
            d.repr()?
        )));
    };
    let name: String = np.getattr("name")?.extract()?;
    if name == "float32" {
        return Ok(());
    }
    Err(PyTypeError::new_err(format!(
        "{op}: dtype={name} is not supported: rustgrad stores float32 only and does not convert \
         silently; leave dtype out or pass rustgrad.float32"
    )))
}

/// The device type named by a `device=` argument: "cpu", "cuda:0", a rustgrad.device (or a
/// torch.device: anything with a string `type` whose str() is the device string).
fn device_name(op: &str, d: &Bound<'_, PyAny>) -> PyResult<String> {
    if d.is_instance_of::<PyString>() {
        return d.extract();
    }
    if d.is_instance_of::<PyInt>() && !d.is_instance_of::<PyBool>() {
        // PyTorch reads a bare int as a CUDA device ordinal.
        return Ok(format!("cuda:{d}"));
    }
    let has_type = d
        .getattr("type")
        .map(|t| t.is_instance_of::<PyString>())
        .unwrap_or(false);
    if has_type {
        return Ok(d.str()?.to_string());
    }
    Err(PyTypeError::new_err(format!(
        "{op}: device must be a str or a rustgrad.device, got {}",
        d.get_type().name()?
    )))
}

/// True when `s` names a device ("cpu", "cuda", "cuda:1"), whichever it is.
fn looks_like_device(s: &str) -> bool {
    let (kind, index) = s.split_once(':').unwrap_or((s, "0"));
    !kind.is_empty()
        && kind.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
        && index.parse::<u32>().is_ok()
}

/// Ok for None or the CPU; every other device is an InvalidArgumentError (rustgrad has no GPU code).
pub fn check_device(op: &str, device: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let Some(d) = device.filter(|d| !d.is_none()) else {
        return Ok(());
    };
    let name = device_name(op, d)?;
    if !looks_like_device(&name) {
        return Err(InvalidArgumentError::new_err(format!(
            "{op}: {name:?} is not a device string (expected e.g. \"cpu\")"
        )));
    }
    if name.split(':').next() == Some("cpu") {
        return Ok(());
    }
    Err(InvalidArgumentError::new_err(format!(
        "{op}: device {name:?} is not available: rustgrad runs on the CPU only (use \"cpu\")"
    )))
}

/// Both checks, before anything is allocated or drawn from the seeded generator.
pub fn check(
    op: &str,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    check_dtype(op, dtype)?;
    check_device(op, device)
}

/// Whether a `.to()` argument reads as a dtype rather than a device ("cpu" and "cuda" are no
/// NumPy dtype names, so a string NumPy reads is a dtype).
pub fn is_dtype(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(as_numpy_dtype(obj)?.is_some())
}
