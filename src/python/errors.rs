//! Python exception classes of the package and the mapping from the core's `Error`.
use crate::error::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyIndexError, PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::PyErr;

create_exception!(
    rustgrad,
    ShapeError,
    PyValueError,
    "Shapes that do not fit the op; also a ValueError."
);
create_exception!(
    rustgrad,
    InvalidArgumentError,
    PyValueError,
    "A value outside what the op accepts; also a ValueError."
);
create_exception!(
    rustgrad,
    GraphError,
    PyRuntimeError,
    "Autograd misuse, e.g. backward through a freed graph; also a RuntimeError."
);

pub fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::ShapeMismatch { .. } | Error::Shape { .. } => ShapeError::new_err(msg),
        Error::InvalidArgument { .. } => InvalidArgumentError::new_err(msg),
        Error::Graph(_) => GraphError::new_err(msg),
        Error::Index { .. } => PyIndexError::new_err(msg),
        Error::OutOfMemory { .. } => PyMemoryError::new_err(msg),
    }
}

/// `?` on core results inside bindings.
pub trait IntoPy<T> {
    fn py_err(self) -> pyo3::PyResult<T>;
}
impl<T> IntoPy<T> for Result<T, Error> {
    fn py_err(self) -> pyo3::PyResult<T> {
        self.map_err(to_py)
    }
}
