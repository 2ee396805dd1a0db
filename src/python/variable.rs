//! `rustgrad.Variable` (tf.Variable): a Tensor subclass with a name and a trainable flag, changed
//! only by `assign*` (in place, never recorded). Keras layer weights are Variables over the same
//! storage the Rust layers train.
use super::convert::to_tensor;
use super::errors::{IntoPy, ShapeError};
use super::tensor::PyTensor;
use crate::autograd::NoGradGuard;
use crate::error::fmt_shape;
use crate::ops::Binary;
use crate::tensor::Tensor;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A named Tensor that Keras layers and optimizers update in place, as keras.Variable / tf.Variable.
///
/// A Variable is a leaf Tensor (all Tensor methods apply), plus `name`, `path`, `trainable`,
/// `constraint` and the `assign*` methods, which write in place without recording a graph.
///
/// Args:
///     initial_value: the values (copied); anything numpy.asarray accepts.
///     trainable: whether optimizers update it; sets requires_grad.
///     name: the variable's name ("Variable" when None).
///     dtype: None or float32; anything else is refused.
///     constraint: None or a callable applied to the variable after each optimizer update.
///
/// Raises:
///     TypeError: when `dtype` is not float32 or `constraint` is not callable.
#[pyclass(name = "Variable", module = "rustgrad", extends = PyTensor, frozen)]
pub struct PyVariable {
    name: String,
    path: String,
    trainable: AtomicBool,
    /// Keras' `variable.constraint`: a callable the optimizer applies after each update.
    constraint: Mutex<Option<Py<PyAny>>>,
}

fn variable(
    name: String,
    path: Option<String>,
    trainable: bool,
    constraint: Option<Py<PyAny>>,
) -> PyVariable {
    PyVariable {
        path: path.unwrap_or_else(|| name.clone()),
        name,
        trainable: AtomicBool::new(trainable),
        constraint: Mutex::new(constraint),
    }
}

fn callable_or_none(c: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Py<PyAny>>> {
    match c.filter(|c| !c.is_none()) {
        None => Ok(None),
        Some(c) if c.is_callable() => Ok(Some(c.clone().unbind())),
        Some(c) => Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "Variable: constraint must be a callable taking the variable, got {}",
            c.repr()?
        ))),
    }
}

/// `value` as a tensor of exactly `t`'s shape (assign never broadcasts, as in TensorFlow).
fn same_shape(t: &Tensor, value: &Bound<'_, PyAny>, op: &str) -> PyResult<Tensor> {
    let v = to_tensor(value, op)?;
    if v.shape() != t.shape() {
        return Err(ShapeError::new_err(format!(
            "{op}: cannot assign a value of shape {} to a variable of shape {}",
            fmt_shape(v.shape()),
            fmt_shape(t.shape())
        )));
    }
    Ok(v)
}

fn assign_with<'py>(
    slf: Bound<'py, PyVariable>,
    value: &Bound<'py, PyAny>,
    op: Option<Binary>,
    what: &str,
) -> PyResult<Bound<'py, PyVariable>> {
    let t = slf.as_super().get().t.clone();
    let v = same_shape(&t, value, what)?;
    let _g = NoGradGuard::new();
    match op {
        None => t.copy_(&v),
        Some(op) => t.binary_(&v, op),
    }
    .py_err()?;
    Ok(slf)
}

#[pymethods]
impl PyVariable {
    #[new]
    #[pyo3(signature = (initial_value, trainable = true, name = None, dtype = None, constraint = None))]
    fn py_new(
        initial_value: &Bound<'_, PyAny>,
        trainable: bool,
        name: Option<String>,
        dtype: Option<&Bound<'_, PyAny>>,
        constraint: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let constraint = callable_or_none(constraint)?;
        if let Some(d) = dtype.filter(|d| !d.is_none()) {
            let np = d.py().import("numpy")?;
            let dt = np.getattr("dtype")?.call1((d,))?;
            if !dt.eq(np.getattr("float32")?)? {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "Variable: dtype {dt} is not supported; rustgrad stores float32"
                )));
            }
        }
        let v = to_tensor(initial_value, "Variable")?;
        let t = Tensor::from_parts(v.to_vec(), v.shape().to_vec());
        t.set_requires_grad(trainable).py_err()?;
        let name = name.unwrap_or_else(|| "Variable".to_string());
        Ok(PyClassInitializer::from(PyTensor::wrap(t))
            .add_subclass(variable(name, None, trainable, constraint)))
    }

    /// A Variable over `tensor`'s own storage (no copy): how layers hand out their weights.
    #[staticmethod]
    #[pyo3(signature = (tensor, trainable = true, name = None, path = None, constraint = None))]
    fn _share(
        py: Python<'_>,
        tensor: &PyTensor,
        trainable: bool,
        name: Option<String>,
        path: Option<String>,
        constraint: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyVariable>> {
        let name = name.unwrap_or_else(|| "Variable".to_string());
        let constraint = callable_or_none(constraint)?;
        let init = PyClassInitializer::from(PyTensor::wrap(tensor.t.clone()))
            .add_subclass(variable(name, path, trainable, constraint));
        Py::new(py, init)
    }

    /// The variable's name (Keras' `variable.name`).
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }
    /// Keras 3's `variable.path`: the name scoped by its layer ("dense/kernel").
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }
    /// Whether optimizers update it and gradients reach it; settable (as Keras 3).
    #[getter]
    fn get_trainable(&self) -> bool {
        self.trainable.load(Ordering::Relaxed)
    }
    /// Keras 3 lets a variable's trainable flag change; gradients follow it.
    #[setter]
    fn set_trainable(slf: &Bound<'_, Self>, flag: bool) -> PyResult<()> {
        slf.as_super().get().t.set_requires_grad(flag).py_err()?;
        slf.get().trainable.store(flag, Ordering::Relaxed);
        Ok(())
    }
    /// The callable the optimizer applies after each update, or None; settable.
    #[getter]
    fn get_constraint(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        let c = self.constraint.lock().unwrap_or_else(|e| e.into_inner());
        c.as_ref().map(|c| c.clone_ref(py))
    }
    #[setter]
    fn set_constraint(&self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let c = callable_or_none(value)?;
        *self.constraint.lock().unwrap_or_else(|e| e.into_inner()) = c;
        Ok(())
    }
    /// `v.assign(value)`: overwrite in place (same shape), unrecorded, as tf.Variable.assign.
    ///
    /// Args:
    ///     value: a value of exactly the variable's shape.
    ///
    /// Returns:
    ///     Variable: this variable.
    ///
    /// Raises:
    ///     ShapeError: when `value` has another shape (assign never broadcasts, as in TensorFlow).
    fn assign<'py>(slf: Bound<'py, Self>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        assign_with(slf, value, None, "assign")
    }
    /// `v += delta` in place, unrecorded (as tf.Variable.assign_add).
    ///
    /// Args:
    ///     delta: a value of exactly the variable's shape.
    ///
    /// Returns:
    ///     Variable: this variable.
    ///
    /// Raises:
    ///     ShapeError: when `delta` has another shape (assign never broadcasts, as in TensorFlow).
    fn assign_add<'py>(
        slf: Bound<'py, Self>,
        delta: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        assign_with(slf, delta, Some(Binary::Add), "assign_add")
    }
    /// `v -= delta` in place, unrecorded (as tf.Variable.assign_sub).
    ///
    /// Args:
    ///     delta: a value of exactly the variable's shape.
    ///
    /// Returns:
    ///     Variable: this variable.
    ///
    /// Raises:
    ///     ShapeError: when `delta` has another shape.
    fn assign_sub<'py>(
        slf: Bound<'py, Self>,
        delta: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        assign_with(slf, delta, Some(Binary::Sub), "assign_sub")
    }
    /// The current value as a new Tensor that still records gradients to this variable.
    ///
    /// Returns:
    ///     Tensor: the value.
    fn read_value(slf: &Bound<'_, Self>) -> PyTensor {
        PyTensor::wrap(slf.as_super().get().t.mul_scalar(1.0))
    }
    /// Keras 3's `variable.value`.
    #[getter]
    fn value(slf: &Bound<'_, Self>) -> PyTensor {
        Self::read_value(slf)
    }
    fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Self::__repr__(slf)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let t = slf.as_super();
        let shape = PyTuple::new(py, t.get().t.shape())?;
        let arr = super::convert::to_numpy(t).call_method0("__repr__")?;
        Ok(format!(
            "<Variable '{}' shape={} dtype=float32, numpy={}>",
            slf.get().name,
            shape.repr()?,
            arr
        ))
    }
}
