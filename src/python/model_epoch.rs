//! Many batches of an epoch in one call, for fit loops whose callbacks need no per-batch hook:
//! the Python loop then costs one call per chunk of batches instead of per batch.
use super::batch::{weight_rows, Rows};
use super::errors::{to_py, InvalidArgumentError};
use super::model::{PyModel, State};
use super::model_args::{arrays, rows_of, Picked};
use crate::error::Error;
use crate::kernels::parallel;
use numpy::PyReadonlyArray1;
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

impl State {
    /// The batches of one chunk, in order, until all ran, one failed or `stop` was set.
    #[allow(clippy::too_many_arguments)] // the chunk's arrays and layout, as train_batches got them
    fn run_chunk(
        &mut self,
        x: &[Rows],
        y: &[Rows],
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
            let step = Picked::new(x, y, Some(ids), sw).and_then(|b| self.train_step(&b, lr));
            match step {
                Ok(o) => {
                    out.losses.push(o.loss);
                    out.stats.push(o.stats);
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
        x: &Bound<'_, PyAny>,
        y: &Bound<'_, PyAny>,
        idx: PyReadonlyArray1<'_, i64>,
        batch_size: usize,
        lrs: PyReadonlyArray1<'_, f32>,
        sample_weight: Option<numpy::PyReadonlyArrayDyn<'_, f32>>,
    ) -> PyResult<Chunk> {
        if batch_size == 0 {
            return Err(InvalidArgumentError::new_err(
                "train_batches: batch_size must be at least 1",
            ));
        }
        let (idx, lrs) = (idx.as_slice()?, lrs.as_slice()?);
        let sw = weight_rows(sample_weight.as_ref())?;
        let (xa, ya) = (arrays(x, "x")?, arrays(y, "y")?);
        let (xs, ys) = (rows_of(&xa, "x")?, rows_of(&ya, "y")?);
        let stop = AtomicBool::new(false);
        let mut interrupt: Option<PyErr> = None;
        // The write lock is taken here, on the calling thread, before the chunk enters the pool.
        let trained = self.with_write(py, |s| {
            parallel::run_polled(
                || s.run_chunk(&xs, &ys, idx, batch_size, lrs, sw.as_ref(), &stop),
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
