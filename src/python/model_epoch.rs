//! Many batches of an epoch in one call, for fit loops whose callbacks need no per-batch hook:
//! the Python loop then costs one call per chunk of batches instead of per batch.
use super::batch::{weight_rows, Rows};
use super::errors::{to_py, InvalidArgumentError};
use super::model::{PyModel, State};
use super::model_args::{arrays, rows_of, Picked};
use crate::error::Error;
use crate::kernels::parallel;
use crate::model::Trained;
use numpy::PyReadonlyArray1;
use pyo3::exceptions::PyBaseException;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Losses and metric (sum, count) of the batches that ran, and what stopped the run early.
type Chunk = (Vec<f32>, Vec<Vec<(f64, f64)>>, Option<Py<PyBaseException>>);

/// How often the waiting Python thread looks for Ctrl-C while a chunk trains.
const SIGNAL_POLL: Duration = Duration::from_millis(20);

impl State {
    /// The batches of one chunk (rows `idx` cut in `batch_size`), through the core's many-batch run.
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
        let Some(c) = self.compiled.as_mut() else {
            return Trained {
                error: Some(Error::invalid(
                    "train_batches",
                    "the model must be compiled first",
                )),
                ..Trained::default()
            };
        };
        let ids: Vec<&[i64]> = idx.chunks(batch_size).collect();
        let lrs = &lrs[..lrs.len().min(ids.len())];
        self.model.train_many(
            c,
            lrs,
            |b| {
                let p = Picked::new(x, y, Some(ids[b]), sw)?;
                Ok((p.xs, p.ys, p.sw))
            },
            stop,
        )
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
        // The steps run in pieces, each spread over the pool or on one thread, whichever measured
        // faster for this model and batch size (kernels/policy.rs); both compute the same bits.
        let key = (self as *const Self as u64) ^ (batch_size as u64).rotate_left(48);
        let steps = lrs.len().min(idx.len().div_ceil(batch_size));
        let rows = |r: std::ops::Range<usize>| {
            &idx[(r.start * batch_size).min(idx.len())..(r.end * batch_size).min(idx.len())]
        };
        let trained = self.with_write(py, |s| {
            let pieces = parallel::run_adaptive(
                key,
                steps,
                |r| {
                    let t = s.run_chunk(
                        &xs,
                        &ys,
                        rows(r.clone()),
                        batch_size,
                        &lrs[r.clone()],
                        sw.as_ref(),
                        &stop,
                    );
                    let go_on = t.error.is_none() && t.losses.len() == r.len();
                    (t, go_on)
                },
                || {
                    if interrupt.is_none() {
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            interrupt = Some(e);
                            stop.store(true, Ordering::Release);
                        }
                    }
                },
                SIGNAL_POLL,
            );
            let mut all = Trained::default();
            for t in pieces {
                all.losses.extend(t.losses);
                all.stats.extend(t.stats);
                all.error = all.error.or(t.error);
            }
            all
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
