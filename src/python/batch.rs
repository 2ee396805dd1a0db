//! A batch's inputs read from the NumPy arrays `fit`, `evaluate` and `predict` were given: rows
//! picked by index (checked against the length) and their sample weights, without the GIL.
use super::errors::InvalidArgumentError;
use crate::tensor::Tensor;
use numpy::{PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;

/// The sample weights, of any shape whose first axis is the samples', read as rows like x and y.
pub(super) fn weight_rows<'a>(
    w: Option<&'a PyReadonlyArrayDyn<'_, f32>>,
) -> PyResult<Option<Rows<'a>>> {
    w.map(|w| Rows::of(w, "sample_weight")).transpose()
}

/// One C-ordered float32 array borrowed from NumPy: its values and shape, readable without the GIL.
pub(super) struct Rows<'a> {
    data: &'a [f32],
    shape: Vec<usize>,
}

impl<'a> Rows<'a> {
    pub(super) fn of(a: &'a PyReadonlyArrayDyn<'_, f32>, what: &str) -> PyResult<Self> {
        let data = a.as_slice().map_err(|_| {
            InvalidArgumentError::new_err(format!("{what} must be C-contiguous float32"))
        })?;
        Ok(Rows {
            data,
            shape: a.shape().to_vec(),
        })
    }

    /// Rows `idx` (all rows when None) as a tensor.
    pub(super) fn pick(&self, idx: Option<&[i64]>, what: &str) -> crate::error::Result<Tensor> {
        gather_rows(self.data, &self.shape, idx, what)
    }
}

/// Rows `idx` (all rows when None) of the C-ordered array `data` of shape `shape`, as a tensor;
/// indices are checked against the length.
fn gather_rows(
    data: &[f32],
    shape: &[usize],
    idx: Option<&[i64]>,
    what: &str,
) -> crate::error::Result<Tensor> {
    let n = shape.first().copied().unwrap_or(1);
    let width = if shape.is_empty() {
        1
    } else {
        shape[1..].iter().product()
    };
    let Some(idx) = idx else {
        return Ok(Tensor::from_parts(data.to_vec(), shape.to_vec()));
    };
    let rows = idx
        .iter()
        .map(|&i| match usize::try_from(i) {
            Ok(r) if r < n => Ok(r),
            _ => Err(crate::error::Error::index(
                what,
                format!("row {i} out of range for {n} samples"),
            )),
        })
        .collect::<crate::error::Result<Vec<usize>>>()?;
    let out = crate::kernels::gather::rows(data, width, &rows);
    let mut s = shape.to_vec();
    if !s.is_empty() {
        s[0] = idx.len();
    }
    Ok(Tensor::from_parts(out, s))
}
