//! Tensor methods PyTorch code calls to move or cast a tensor (`.to`, `.cpu`, `.float`, `.device`):
//! rustgrad has one device and one dtype, so they check the request and return the tensor itself.
//! `.t()` lives here too, to keep tensor.rs to its own family.
use super::dtype::{check_device, check_dtype, is_dtype};
use super::errors::ShapeError;
use super::tensor::PyTensor;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

#[pymethods]
impl PyTensor {
    /// Always `rustgrad.device("cpu")`.
    #[getter]
    fn device<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("rustgrad.dtypes")?
            .getattr("device")?
            .call1(("cpu",))
    }

    /// `to(device)`, `to(dtype)`, `to(device, dtype)` or `to(other_tensor)`: the tensor itself when the
    /// request is float32 on the CPU (as PyTorch returns self when nothing changes), else an error.
    ///
    /// Args:
    ///     *args: a device, a dtype, both, or a Tensor.
    ///     dtype: float32 (or None).
    ///     device: "cpu" (or None).
    ///     non_blocking: accepted as PyTorch's; a CPU copy is synchronous anyway.
    ///
    /// Returns:
    ///     Tensor: this tensor.
    ///
    /// Raises:
    ///     TypeError: for more than two positional arguments or a dtype other than float32.
    ///     InvalidArgumentError: for a device other than the CPU.
    #[pyo3(signature = (*args, dtype = None, device = None, non_blocking = false))]
    fn to<'py>(
        slf: Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        dtype: Option<&Bound<'py, PyAny>>,
        device: Option<&Bound<'py, PyAny>>,
        non_blocking: bool,
    ) -> PyResult<Bound<'py, Self>> {
        // Copies are synchronous on the CPU, so non_blocking changes nothing.
        let _ = non_blocking;
        if args.len() > 2 {
            return Err(PyTypeError::new_err(format!(
                "to: expected at most a device and a dtype, got {} positional arguments",
                args.len()
            )));
        }
        for a in args.iter() {
            if a.cast::<PyTensor>().is_ok() {
                continue; // every tensor is float32 on the CPU
            }
            if is_dtype(&a)? {
                check_dtype("to", Some(&a))?;
            } else {
                check_device("to", Some(&a))?;
            }
        }
        check_dtype("to", dtype)?;
        check_device("to", device)?;
        Ok(slf)
    }

    /// The tensor itself: it is already on the CPU.
    ///
    /// Returns:
    ///     Tensor: this tensor.
    fn cpu(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// The tensor itself: it is already float32.
    ///
    /// Returns:
    ///     Tensor: this tensor.
    fn float(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// The 2-D transpose (0-D and 1-D tensors come back unchanged), as torch.Tensor.t.
    ///
    /// Returns:
    ///     Tensor: the transposed tensor.
    ///
    /// Raises:
    ///     ShapeError: for a tensor of more than 2 axes.
    fn t(&self) -> PyResult<PyTensor> {
        if self.t.ndim() > 2 {
            return Err(ShapeError::new_err(format!(
                "t: expects a tensor with at most 2 dimensions, got shape {:?}; use transpose(a, b) \
                 or permute for more",
                self.t.shape()
            )));
        }
        Ok(PyTensor::wrap(self.t.t()))
    }
}
