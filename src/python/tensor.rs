//! `rustgrad.Tensor`: the Python class, its properties, conversions, indexing and autograd methods.
//! Math methods are in tensor_ops.rs.
use super::convert::{shape_arg, to_numpy, to_tensor};
use super::errors::IntoPy;
use crate::ops::Index;
use crate::tensor::Tensor;
use numpy::{PyArrayDyn, PyArrayMethods};
use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyEllipsis, PyInt, PySlice, PyTuple};

/// An n-d float32 array that records the ops applied to it for reverse-mode autograd.
///
/// As torch.Tensor: `Tensor(data, requires_grad=False)` copies `data` (a number, nested lists, a
/// NumPy array or a Tensor) into a new leaf; operators and methods build new tensors, and
/// `backward()` fills `.grad` of every leaf that requires grad. Differences from PyTorch: storage is
/// always float32 on the CPU, and reshape/view/detach copy rather than share memory.
///
/// Args:
///     data: the values; anything numpy.asarray accepts.
///     requires_grad: record ops on this tensor so backward fills its `.grad`.
///
/// Raises:
///     TypeError: when `data` cannot be read as numbers.
///     ShapeError: when `data` is a ragged nested sequence.
#[pyclass(name = "Tensor", module = "rustgrad", frozen, weakref, subclass)]
pub struct PyTensor {
    pub t: Tensor,
}

impl PyTensor {
    pub fn wrap(t: Tensor) -> PyTensor {
        PyTensor { t }
    }
}

/// Integer positions from a list, array or tensor used as an index.
fn index_array(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Index>> {
    let py = obj.py();
    let np = py.import("numpy")?;
    let arr = np.call_method1("asarray", (obj,))?;
    let kind: String = arr.getattr("dtype")?.getattr("kind")?.extract()?;
    if kind == "b" {
        let shape: Vec<usize> = arr.getattr("shape")?.extract()?;
        if shape.is_empty() {
            return Ok(vec![Index::Bool(arr.call_method0("item")?.extract()?)]);
        }
        let vals: Vec<bool> = arr
            .call_method0("ravel")?
            .call_method0("tolist")?
            .extract()?;
        return Ok(vec![Index::Mask(vals, shape)]);
    }
    if kind == "f" {
        // Tensors hold f32, so integer-valued floats (from argmax, labels) are accepted.
        let a = arr
            .cast::<PyArrayDyn<f32>>()
            .ok()
            .map(|a| a.to_vec())
            .transpose()?;
        let vals: Vec<f64> = match a {
            Some(v) => v.into_iter().map(f64::from).collect(),
            None => arr.call_method0("ravel")?.extract()?,
        };
        if vals.iter().any(|v| v.fract() != 0.0) {
            return Err(PyIndexError::new_err("only integers, slices (`:`), ellipsis (`...`), None and integer or boolean arrays are valid indices"));
        }
        let shape: Vec<usize> = arr.getattr("shape")?.extract()?;
        return Ok(vec![Index::Array(
            vals.into_iter().map(|v| v as isize).collect(),
            shape,
        )]);
    }
    if kind != "i" && kind != "u" {
        return Err(PyIndexError::new_err("only integers, slices (`:`), ellipsis (`...`), None and integer or boolean arrays are valid indices"));
    }
    let shape: Vec<usize> = arr.getattr("shape")?.extract()?;
    let vals: Vec<isize> = arr.call_method0("ravel")?.extract()?;
    Ok(vec![Index::Array(vals, shape)])
}

/// The values of a gradient passed to backward/grad, which must have `t`'s shape; None when absent.
pub(crate) fn seed_values(
    g: Option<&Bound<'_, PyAny>>,
    t: &Tensor,
    op: &str,
) -> PyResult<Option<Vec<f32>>> {
    let Some(g) = g.filter(|g| !g.is_none()) else {
        return Ok(None);
    };
    let gt = to_tensor(g, op)?;
    if gt.shape() != t.shape() {
        return Err(super::errors::ShapeError::new_err(format!(
            "{op}: gradient of shape {} does not match the tensor's shape {}",
            crate::error::fmt_shape(gt.shape()),
            crate::error::fmt_shape(t.shape())
        )));
    }
    Ok(Some(gt.to_vec()))
}

pub(crate) fn parse_index(key: &Bound<'_, PyAny>) -> PyResult<Vec<Index>> {
    let items: Vec<Bound<'_, PyAny>> = match key.cast::<PyTuple>() {
        Ok(t) => t.iter().collect(),
        Err(_) => vec![key.clone()],
    };
    let mut out = Vec::new();
    for it in items {
        if it.is_none() {
            out.push(Index::NewAxis);
        } else if it.is_instance_of::<PyEllipsis>() {
            out.push(Index::Ellipsis);
        } else if let Ok(s) = it.cast::<PySlice>() {
            // Bounds past isize clamp like any bound past the axis; the step must fit.
            let g = |n: &str| -> PyResult<Option<isize>> {
                let v = s.getattr(n)?;
                match v.extract::<Option<isize>>() {
                    Ok(x) => Ok(x),
                    Err(_) if n != "step" && v.is_instance_of::<PyInt>() => {
                        Ok(Some(if v.gt(0)? { isize::MAX } else { isize::MIN + 1 }))
                    }
                    Err(e) => Err(e),
                }
            };
            out.push(Index::Slice(
                g("start")?,
                g("stop")?,
                g("step")?.unwrap_or(1),
            ));
        } else if it.is_instance_of::<PyInt>() && !it.is_instance_of::<pyo3::types::PyBool>() {
            let i = it.extract::<isize>().map_err(|_| {
                PyIndexError::new_err(format!("getitem: index {it} is out of bounds"))
            })?;
            out.push(Index::Int(i));
        } else if it.is_instance_of::<pyo3::types::PyBool>() {
            out.push(Index::Bool(it.extract()?));
        } else if let Ok(t) = it.cast::<PyTensor>() {
            let arr = to_numpy(t).into_any();
            // Comparison results are 0/1 floats that mean a boolean mask, as in `t[t > 0]`.
            let arr = if t.get().t.is_mask() {
                arr.call_method1("astype", ("bool",))?
            } else {
                arr
            };
            out.extend(index_array(&arr)?);
        } else if it.hasattr("__len__")? || it.hasattr("__array__")? {
            out.extend(index_array(&it)?);
        } else {
            return Err(PyIndexError::new_err(format!(
                "only integers, slices (`:`), ellipsis (`...`), None and integer or boolean arrays are valid indices, got {}",
                it.get_type().name()?
            )));
        }
    }
    Ok(out)
}

#[pymethods]
impl PyTensor {
    #[new]
    #[pyo3(signature = (data, requires_grad = false))]
    fn py_new(data: &Bound<'_, PyAny>, requires_grad: bool) -> PyResult<Self> {
        let t = to_tensor(data, "Tensor")?;
        // A fresh leaf even when given a tensor: the constructor copies, like torch.tensor.
        let t = Tensor::from_parts(t.to_vec(), t.shape().to_vec());
        t.set_requires_grad(requires_grad).py_err()?;
        Ok(PyTensor::wrap(t))
    }

    /// The shape as a tuple of ints (torch's `.shape`).
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.t.shape())
    }
    /// The number of axes.
    #[getter]
    fn ndim(&self) -> usize {
        self.t.ndim()
    }
    /// The number of elements (NumPy's `.size`; torch's `numel()`).
    #[getter]
    fn size(&self) -> usize {
        self.t.numel()
    }
    /// Always `numpy.dtype('float32')`: rustgrad stores float32.
    #[getter]
    fn dtype<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("numpy")?.getattr("dtype")?.call1(("float32",))
    }
    /// Whether ops on this tensor are recorded and backward fills its `.grad`.
    ///
    /// Raises:
    ///     GraphError: when set to False on a tensor that is not a leaf.
    #[getter]
    fn get_requires_grad(&self) -> bool {
        self.t.requires_grad()
    }
    #[setter]
    fn set_requires_grad(&self, v: bool) -> PyResult<()> {
        self.t.set_requires_grad(v).py_err()
    }
    /// Set requires_grad in place, as ``torch.Tensor.requires_grad_``.
    ///
    /// Args:
    ///     requires_grad: the new flag.
    ///
    /// Returns:
    ///     Tensor: this tensor.
    ///
    /// Raises:
    ///     GraphError: when set to False on a tensor that is not a leaf.
    #[pyo3(signature = (requires_grad = true))]
    fn requires_grad_(slf: Bound<'_, Self>, requires_grad: bool) -> PyResult<Bound<'_, Self>> {
        slf.get().t.set_requires_grad(requires_grad).py_err()?;
        Ok(slf)
    }
    /// The gradient accumulated by backward, or None; settable to a Tensor of this shape or None.
    ///
    /// Raises:
    ///     TypeError: when set to anything but a Tensor or None.
    ///     ShapeError: when set to a tensor of another shape.
    #[getter]
    fn get_grad(&self) -> Option<PyTensor> {
        self.t.grad().map(PyTensor::wrap)
    }
    #[setter]
    fn set_grad(&self, g: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        // As PyTorch: a gradient is a Tensor or None, never a number or an array.
        let g = match g.filter(|g| !g.is_none()) {
            None => None,
            Some(g) => match g.cast::<PyTensor>() {
                Ok(t) => Some(t.get().t.clone()),
                Err(_) => {
                    return Err(PyTypeError::new_err(format!(
                        "assigned grad expected to be a Tensor or None but got grad of type {}",
                        g.get_type().name()?
                    )))
                }
            },
        };
        self.t.set_grad(g).py_err()
    }
    /// True for a tensor made by the user rather than by a recorded op.
    #[getter]
    fn is_leaf(&self) -> bool {
        self.t.is_leaf()
    }
    /// Name of the op that made this tensor (None for leaves).
    #[getter]
    fn grad_fn(&self) -> Option<&'static str> {
        self.t.grad_fn_name()
    }

    /// Fill `.grad` of every leaf this tensor depends on that requires grad (reverse mode).
    ///
    /// As torch.Tensor.backward: gradients add up across calls until zeroed; the graph is freed
    /// afterwards unless `retain_graph`.
    ///
    /// Args:
    ///     gradient: None for a one-element tensor, else the gradient of this tensor (its shape) to
    ///         start from.
    ///     retain_graph: keep the graph for another backward.
    ///
    /// Raises:
    ///     GraphError: when the tensor does not require grad, the graph was freed by an earlier
    ///         backward (the message names retain_graph), or an input was changed in place since.
    ///     ShapeError: when `gradient` has another shape, or is missing for a non-scalar tensor.
    #[pyo3(signature = (gradient = None, retain_graph = false))]
    fn backward(
        &self,
        py: Python<'_>,
        gradient: Option<&Bound<'_, PyAny>>,
        retain_graph: bool,
    ) -> PyResult<()> {
        let g = seed_values(gradient, &self.t, "backward")?;
        let t = self.t.clone();
        py.detach(move || t.backward(g, retain_graph)).py_err()
    }
    /// Reset `.grad` to None (PyTorch's `zero_grad(set_to_none=True)`).
    fn zero_grad(&self) {
        self.t.zero_grad()
    }
    /// A copy of the values that records no graph (PyTorch's detach shares memory; this copies).
    ///
    /// Returns:
    ///     Tensor: a new leaf with requires_grad False.
    fn detach(&self) -> PyTensor {
        PyTensor::wrap(self.t.detach())
    }
    /// Keep `.grad` on this non-leaf tensor after backward, as torch.Tensor.retain_grad.
    fn retain_grad(&self) {
        self.t.retain_grad()
    }

    /// A NumPy array sharing this tensor's memory (like torch's `.numpy()`).
    ///
    /// Returns:
    ///     numpy.ndarray: a float32 view; writes to it change the tensor, unrecorded.
    fn numpy<'py>(slf: &Bound<'py, Self>) -> Bound<'py, PyArrayDyn<f32>> {
        to_numpy(slf)
    }
    #[pyo3(signature = (dtype = None, copy = None))]
    fn __array__<'py>(
        slf: &Bound<'py, Self>,
        dtype: Option<&Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let arr = to_numpy(slf).into_any();
        // NumPy 2: copy=True always copies, copy=None copies only when needed (a dtype change),
        // copy=False never copies and must raise ValueError when a copy would be needed.
        let target = match dtype {
            Some(d) if !d.is_none() => Some(py.import("numpy")?.getattr("dtype")?.call1((d,))?),
            _ => None,
        };
        let convert = match &target {
            Some(t) => !t.eq(arr.getattr("dtype")?)?,
            None => false,
        };
        match (convert, copy) {
            (true, Some(false)) => Err(pyo3::exceptions::PyValueError::new_err(format!(
                "Tensor.__array__: converting float32 to {} needs a copy, but copy=False was passed",
                target.map(|t| t.to_string()).unwrap_or_default()
            ))),
            (true, _) => arr.call_method1("astype", (target,)),
            (false, Some(true)) => arr.call_method0("copy"),
            (false, _) => Ok(arr),
        }
    }
    /// The value of a one-element tensor as a Python float.
    ///
    /// Returns:
    ///     float: the single value.
    ///
    /// Raises:
    ///     ShapeError: when the tensor has more than one element.
    fn item(&self) -> PyResult<f32> {
        self.t.item().py_err()
    }
    /// The values as nested Python lists of floats (a float for a 0-d tensor).
    ///
    /// Returns:
    ///     list | float: the values, like numpy.ndarray.tolist.
    fn tolist<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        to_numpy(slf).call_method0("tolist")
    }
    fn __float__(&self) -> PyResult<f32> {
        self.t.item().py_err()
    }
    /// Truncates toward zero like `int(float)`; only for one-element tensors.
    fn __int__(&self) -> PyResult<i64> {
        let v = self.t.item().py_err()?;
        if !v.is_finite() {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "int: cannot convert {v} to an integer"
            )));
        }
        Ok(v.trunc() as i64)
    }
    /// Truth of a one-element tensor; more elements are ambiguous, as in NumPy and PyTorch.
    fn __bool__(&self) -> PyResult<bool> {
        if self.t.numel() != 1 {
            return Err(super::errors::ShapeError::new_err(format!(
                "bool: the truth value of a tensor of shape {} with more than one value is ambiguous; compare elementwise or reduce first (e.g. .max(), .sum())",
                crate::error::fmt_shape(self.t.shape())
            )));
        }
        Ok(self.t.item().py_err()? != 0.0)
    }
    /// `f"{t:.3f}"` formats the value of a one-element tensor; an empty spec gives the repr, except
    /// for a 0-d tensor, which prints as its number (as in PyTorch).
    fn __format__(slf: &Bound<'_, Self>, spec: &str) -> PyResult<String> {
        let t = &slf.get().t;
        if t.numel() == 1 && (t.ndim() == 0 || !spec.is_empty()) {
            let v = pyo3::types::PyFloat::new(slf.py(), f64::from(t.item().py_err()?));
            return v.call_method1("__format__", (spec,))?.extract();
        }
        if spec.is_empty() {
            return Self::__repr__(slf);
        }
        Err(PyTypeError::new_err(format!(
            "format: spec {spec:?} needs a one-element tensor, got shape {}",
            crate::error::fmt_shape(t.shape())
        )))
    }
    fn __len__(&self) -> PyResult<usize> {
        self.t
            .shape()
            .first()
            .copied()
            .ok_or_else(|| PyTypeError::new_err("len() of a 0-d tensor"))
    }
    /// Rows along the first axis; a 0-d tensor is not iterable (as in NumPy and PyTorch).
    fn __iter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let t = &slf.get().t;
        let n = t
            .shape()
            .first()
            .copied()
            .ok_or_else(|| PyTypeError::new_err("iteration over a 0-d tensor"))?;
        let rows = (0..n)
            .map(|i| Ok(PyTensor::wrap(t.index(&[Index::Int(i as isize)]).py_err()?)))
            .collect::<PyResult<Vec<_>>>()?;
        pyo3::types::PyList::new(slf.py(), rows)?
            .try_iter()
            .map(|i| i.into_any())
    }
    fn __hash__(&self) -> isize {
        self.t.ptr() as isize
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let np = py.import("numpy")?;
        let kw = pyo3::types::PyDict::new(py);
        kw.set_item("separator", ", ")?;
        kw.set_item("prefix", "tensor(")?;
        let body: String = np
            .call_method("array2string", (to_numpy(slf),), Some(&kw))?
            .extract()?;
        let t = &slf.get().t;
        let extra = if let Some(name) = t.grad_fn_name() {
            format!(", grad_fn=<{name}>")
        } else if t.requires_grad() {
            ", requires_grad=True".to_string()
        } else {
            String::new()
        };
        Ok(format!("tensor({body}{extra})"))
    }
    fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Self::__repr__(slf)
    }
    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        let idx = parse_index(key)?;
        let _ = py;
        Ok(PyTensor::wrap(self.t.index(&idx).py_err()?))
    }
    /// With no `__array_ufunc__`, NumPy defers `ndarray op tensor` to our reflected operators (the
    /// priority wins), while `np.exp(t)` reads the tensor through `__array__` and returns an ndarray,
    /// as it does for torch tensors.
    #[classattr]
    fn __array_priority__() -> f64 {
        1000.0
    }

    /// The same values in a new shape, as torch.Tensor.reshape.
    ///
    /// Args:
    ///     *shape: ints or one tuple of ints; one entry may be -1 and is inferred.
    ///
    /// Returns:
    ///     Tensor: the reshaped tensor (a copy that records the op for autograd).
    ///
    /// Raises:
    ///     ShapeError: when the element counts differ or more than one entry is -1.
    #[pyo3(signature = (*shape))]
    fn reshape(&self, shape: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.reshape(&shape_arg(shape)?).py_err()?))
    }
    /// `reshape` under PyTorch's name (the result is a copy, not a view of this memory).
    ///
    /// Args:
    ///     *shape: ints or one tuple of ints; one entry may be -1.
    ///
    /// Returns:
    ///     Tensor: the reshaped tensor.
    ///
    /// Raises:
    ///     ShapeError: when the element counts differ.
    #[pyo3(signature = (*shape))]
    fn view(&self, shape: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        self.reshape(shape)
    }
    /// All values in one axis.
    ///
    /// Returns:
    ///     Tensor: a 1-d tensor of `size` elements.
    fn flatten(&self) -> PyTensor {
        PyTensor::wrap(self.t.flatten())
    }
    /// `transpose()` reverses the axes; `transpose(a, b)` swaps two axes (PyTorch);
    /// `transpose((p0, p1, ...))` or three or more ints is a full permutation (NumPy).
    ///
    /// Args:
    ///     *axes: nothing, two axes to swap, or a permutation (ints or one tuple).
    ///
    /// Returns:
    ///     Tensor: the transposed tensor.
    ///
    /// Raises:
    ///     ShapeError: when an axis is out of range or the permutation is not one.
    #[pyo3(signature = (*axes))]
    fn transpose(&self, axes: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        let one_sequence = axes.len() == 1 && !axes.get_item(0)?.is_instance_of::<PyInt>();
        let ax = if axes.is_empty() {
            vec![]
        } else {
            shape_arg(axes)?
        };
        let t = match ax.len() {
            0 => self.t.t(),
            2 if !one_sequence => self.t.transpose(ax[0], ax[1]).py_err()?,
            _ => self.t.permute(&ax).py_err()?,
        };
        Ok(PyTensor::wrap(t))
    }
    /// The axes reordered, as torch.Tensor.permute.
    ///
    /// Args:
    ///     *dims: a permutation of range(ndim), as ints or one tuple; negative axes count from the end.
    ///
    /// Returns:
    ///     Tensor: the permuted tensor.
    ///
    /// Raises:
    ///     ShapeError: when `dims` is not a permutation of the axes.
    #[pyo3(signature = (*dims))]
    fn permute(&self, dims: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.permute(&shape_arg(dims)?).py_err()?))
    }
    /// The axes reversed (the matrix transpose for a 2-d tensor), as torch's `.T`.
    #[getter(T)]
    fn big_t(&self) -> PyTensor {
        PyTensor::wrap(self.t.t())
    }
    /// A new size-1 axis at `axis`, as numpy.expand_dims.
    ///
    /// Args:
    ///     axis: the position of the new axis, in [-ndim-1, ndim].
    ///
    /// Returns:
    ///     Tensor: a tensor with one more axis.
    ///
    /// Raises:
    ///     ShapeError: when `axis` is out of range.
    fn expand_dims(&self, axis: isize) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.expand_dims(axis).py_err()?))
    }
    /// `expand_dims` under PyTorch's name.
    ///
    /// Args:
    ///     dim: the position of the new axis, in [-ndim-1, ndim].
    ///
    /// Returns:
    ///     Tensor: a tensor with one more axis.
    ///
    /// Raises:
    ///     ShapeError: when `dim` is out of range.
    fn unsqueeze(&self, dim: isize) -> PyResult<PyTensor> {
        self.expand_dims(dim)
    }
    /// Size-1 axes removed, as numpy.squeeze.
    ///
    /// Args:
    ///     axis: None (every size-1 axis), an int or a tuple of ints.
    ///
    /// Returns:
    ///     Tensor: the squeezed tensor.
    ///
    /// Raises:
    ///     ShapeError: when a named axis is out of range or not of size 1.
    #[pyo3(signature = (axis = None))]
    fn squeeze(&self, axis: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        let ax = super::tensor_ops::axes(axis)?;
        Ok(PyTensor::wrap(self.t.squeeze(ax.as_deref()).py_err()?))
    }
    /// The values repeated to `shape` by NumPy's broadcasting rules.
    ///
    /// Args:
    ///     *shape: the target shape, as ints or one tuple.
    ///
    /// Returns:
    ///     Tensor: the broadcast tensor; backward sums the gradient back to this shape.
    ///
    /// Raises:
    ///     ShapeError: when this shape does not broadcast to `shape`.
    #[pyo3(signature = (*shape))]
    fn broadcast_to(&self, shape: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        let s = super::convert::usize_shape("broadcast_to", &shape_arg(shape)?)?;
        Ok(PyTensor::wrap(self.t.broadcast_to(&s).py_err()?))
    }
}
