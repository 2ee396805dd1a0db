//! Many batches of an epoch in one call, for fit loops whose callbacks need no per-batch hook:
//! the Python loop then costs one call per chunk of batches instead of per batch.
use super::errors::{IntoPy, InvalidArgumentError};
use super::model::{batch_weights, rows, PyModel};
use numpy::{PyReadonlyArray1, PyReadonlyArrayDyn};
use pyo3::exceptions::PyBaseException;
use pyo3::prelude::*;

/// Losses and metric (sum, count) of the batches that ran, and what stopped the run early.
type Chunk = (Vec<f32>, Vec<Vec<(f64, f64)>>, Option<Py<PyBaseException>>);

#[pymethods]
impl PyModel {
    /// Batch `i` trains on rows `idx[i·batch_size .. (i+1)·batch_size]` with learning rate `lrs[i]`.
    /// Each batch is one `train_batch`: the GIL is released during it and Ctrl-C is checked between
    /// batches. An error (Ctrl-C, a bad label) is returned, not raised, beside the results of the
    /// batches before it, whose updates stand, so the caller can account for them and then raise.
    #[pyo3(signature = (x, y, idx, batch_size, lrs, sample_weight = None))]
    #[allow(clippy::too_many_arguments)] // train_batch's arguments plus the chunk's layout
    fn train_batches(
        &self,
        py: Python<'_>,
        x: PyReadonlyArrayDyn<'_, f32>,
        y: PyReadonlyArrayDyn<'_, f32>,
        idx: PyReadonlyArray1<'_, i64>,
        batch_size: usize,
        lrs: PyReadonlyArray1<'_, f32>,
        sample_weight: Option<PyReadonlyArray1<'_, f32>>,
    ) -> PyResult<Chunk> {
        if batch_size == 0 {
            return Err(InvalidArgumentError::new_err(
                "train_batches: batch_size must be at least 1",
            ));
        }
        let (idx, lrs) = (idx.as_slice()?, lrs.as_slice()?);
        let sw = sample_weight.as_ref().map(|w| w.as_slice()).transpose()?;
        let (mut losses, mut stats) = (Vec::new(), Vec::new());
        for (b, ids) in idx.chunks(batch_size).enumerate() {
            let Some(&lr) = lrs.get(b) else { break };
            let step = rows(&x, Some(ids), "x").and_then(|xt| {
                let yt = rows(&y, Some(ids), "y")?;
                let w = batch_weights(sw, Some(ids));
                py.detach(|| self.train_step(&xt, &yt, w.as_deref(), lr))
                    .py_err()
            });
            let o = match step {
                Ok(o) => o,
                Err(e) => return Ok((losses, stats, Some(e.into_value(py)))),
            };
            losses.push(o.loss);
            stats.push(o.metrics);
            // Ctrl-C after a finished batch: that batch's update stands and is reported.
            if let Err(e) = py.check_signals() {
                return Ok((losses, stats, Some(e.into_value(py))));
            }
        }
        Ok((losses, stats, None))
    }
}
