//! Many batches of an epoch in one call, for fit loops whose callbacks need no per-batch hook:
//! the Python loop then costs one call per chunk of batches instead of per batch.
use super::batch::{weight_rows, Rows};
use super::errors::{to_py, InvalidArgumentError};
use super::model::PyModel;
use crate::error::Error;
use crate::kernels::parallel;
use numpy::{PyReadonlyArray1, PyReadonlyArrayDyn};
use pyo3::exceptions::PyBaseException;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Losses and metric (sum, count) of the batches that ran, and what stopped the run early.
type Chunk = (Vec<f32>, Vec<Vec<(f64, f64)>>, Option<Py<PyBaseException>>);

/// How often the waiting Python thread looks for Ctrl-C while a chunk trains.
const SIGNAL_POLL: Duration = Duration::from_millis(20);

/// What a chunk's batches produced, and the error that ended it early, if any.
#[derive(Default)]
struct Trained {
    losses: Vec<f32>,
    stats: Vec<Vec<(f64, f64)>>,
    error: Option<Error>,
}

impl PyModel {
    /// The batches of one chunk, in order, until all ran, one failed or `stop` was set.
    #[allow(clippy::too_many_arguments)] // the chunk's arrays and layout, as train_batches got them
    fn run_chunk(
        &self,
        x: &Rows,
        y: &Rows,
        idx: &[i64],
        batch_size: usize,
        lrs: &[f32],
        sw: Option<&Rows>,
        stop: &AtomicBool,
    ) -> Trained {
        let mut out = Trained::default();
        for (b, ids) in idx.chunks(batch_size).enumerate() {
            let Some(&lr) = lrs.get(b) else { break };
            // Ctrl-C seen by the waiting thread: stop between batches, never inside one.
            if stop.load(Ordering::Acquire) {
                break;
            }
            let step = x.pick(Some(ids), "x").and_then(|xt| {
                let yt = y.pick(Some(ids), "y")?;
                let w = sw.map(|w| w.pick(Some(ids), "sample_weight")).transpose()?;
                self.train_step(&xt, &yt, w.as_ref(), lr)
            });
            match step {
                Ok(o) => {
                    out.losses.push(o.loss);
                    out.stats.push(o.metrics);
                }
                Err(e) => {
                    out.error = Some(e);
                    break;
                }
            }
        }
        out
    }
}

#[pymethods]
impl PyModel {
    /// Batch `i` trains on rows `idx[i·batch_size .. (i+1)·batch_size]` with learning rate `lrs[i]`.
    /// The batches run on the thread pool with the GIL released while this thread waits and checks
    /// for Ctrl-C every few ms; a Ctrl-C stops the chunk between two batches. An error (Ctrl-C, a
    /// bad label) is returned, not raised, beside the results of the batches before it, whose
    /// updates stand, so the caller can account for them and then raise.
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
        sample_weight: Option<PyReadonlyArrayDyn<'_, f32>>,
    ) -> PyResult<Chunk> {
        if batch_size == 0 {
            return Err(InvalidArgumentError::new_err(
                "train_batches: batch_size must be at least 1",
            ));
        }
        let (idx, lrs) = (idx.as_slice()?, lrs.as_slice()?);
        let sw = weight_rows(sample_weight.as_ref())?;
        let (xs, ys) = (Rows::of(&x, "x")?, Rows::of(&y, "y")?);
        let stop = AtomicBool::new(false);
        let mut interrupt: Option<PyErr> = None;
        let trained = py.detach(|| {
            parallel::run_polled(
                || self.run_chunk(&xs, &ys, idx, batch_size, lrs, sw.as_ref(), &stop),
                || {
                    if interrupt.is_none() {
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            interrupt = Some(e);
                            stop.store(true, Ordering::Release);
                        }
                    }
                },
                SIGNAL_POLL,
            )
        });
        // A Ctrl-C that came after the last poll (or in a chunk shorter than one poll) is reported
        // here, with the batches it followed, rather than raised later by Python, uncounted.
        if interrupt.is_none() {
            interrupt = py.check_signals().err();
        }
        let error = match (trained.error, interrupt) {
            (Some(e), _) => Some(to_py(e).into_value(py)),
            (None, Some(e)) => Some(e.into_value(py)),
            (None, None) => None,
        };
        Ok((trained.losses, trained.stats, error))
    }
}
