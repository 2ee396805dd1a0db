//! A parallel loop started outside the pool (a matrix product called from Python): its pieces are
//! offered to the pool's workers and taken by whoever is free first, the calling thread included.
//! Handing the whole loop to the pool (`ThreadPool::install`) made the caller sleep until a worker
//! woke and then wake up itself, 20-50 µs on the 2-vCPU target, more than a 784×32·32×128 product
//! takes; here the caller never waits for a worker to wake, and does every piece itself if none comes.
use super::parallel;
use parking_lot::Mutex;
use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

type Body = dyn Fn(usize) + Sync;

/// One loop's pieces, claimed one at a time by the caller and the helpers.
struct Offer {
    pieces: usize,
    next: AtomicUsize,
    finished: AtomicUsize,
    /// The loop body, borrowed from `for_each`'s caller: read only after claiming a piece, and
    /// `for_each` returns only when every claimed piece has finished.
    body: *const Body,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

// SAFETY: `body` points to a `Sync` closure and is only used as described on the field.
unsafe impl Send for Offer {}
unsafe impl Sync for Offer {}

impl Offer {
    /// Claim and run pieces until none is left. A panic is kept for the caller, which re-raises it.
    fn work(&self) {
        loop {
            let p = self.next.fetch_add(1, Ordering::AcqRel);
            if p >= self.pieces {
                return;
            }
            // SAFETY: piece `p` is claimed and unfinished, so `for_each` has not returned and the
            // body it borrowed is alive.
            let body = unsafe { &*self.body };
            if let Err(e) = catch_unwind(AssertUnwindSafe(|| body(p))) {
                self.panic.lock().get_or_insert(e);
            }
            self.finished.fetch_add(1, Ordering::Release);
        }
    }
}

/// `body(p)` for every piece `p < pieces`, spread over this thread and the pool's idle workers.
pub fn for_each<'a>(pieces: usize, body: &'a (dyn Fn(usize) + Sync + 'a)) {
    let helpers = match parallel::pool() {
        Ok((n, pool)) if n > 1 && pieces > 1 => Some((n - 1, pool)),
        _ => None,
    };
    let Some((helpers, pool)) = helpers else {
        return (0..pieces).for_each(body);
    };
    // SAFETY: only the lifetime is erased; see `Offer::body` for why the borrow outlives its uses.
    let body: *const Body =
        unsafe { std::mem::transmute::<&'a (dyn Fn(usize) + Sync + 'a), &'static Body>(body) };
    let offer = Arc::new(Offer {
        pieces,
        next: AtomicUsize::new(0),
        finished: AtomicUsize::new(0),
        body,
        panic: Mutex::new(None),
    });
    // The spawned jobs cannot fail: a panic in a piece is caught in `work` and raised here.
    for _ in 0..helpers.min(pieces - 1) {
        let o = offer.clone();
        pool.spawn(move || o.work());
    }
    offer.work();
    // A helper is finishing a piece; if it takes long (switched out), let the OS run it.
    let mut spins = 0u32;
    while offer.finished.load(Ordering::Acquire) < pieces {
        spins += 1;
        if spins > 1024 {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
    let panic = offer.panic.lock().take();
    if let Some(e) = panic {
        resume_unwind(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_piece_runs_once_and_a_panic_reaches_the_caller() {
        let hits: Vec<AtomicUsize> = (0..37).map(|_| AtomicUsize::new(0)).collect();
        for _ in 0..50 {
            for_each(hits.len(), &|p| {
                hits[p].fetch_add(1, Ordering::Relaxed);
            });
        }
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 50));
        let r = catch_unwind(|| for_each(4, &|p| assert!(p != 2, "piece 2")));
        assert!(r.is_err());
        // Still usable afterwards.
        let sum = AtomicUsize::new(0);
        for_each(8, &|p| {
            sum.fetch_add(p, Ordering::Relaxed);
        });
        assert_eq!(sum.load(Ordering::Relaxed), 28);
    }
}
