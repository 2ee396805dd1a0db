//! The one rule for when rayon splits work, and the thread pool that runs it.
//! Small tensors stay on the calling thread: handing a 16-element add to a pool costs more than the add.
use crate::error::{Error, Result};
use parking_lot::RwLock;
use rayon::prelude::*;
use rayon::ThreadPool;
use std::sync::Arc;

/// Elementwise work below this many elements runs on one thread. Handing work to the pool costs
/// tens of µs on the 2-vCPU target (a sleeping vCPU must be woken), more than a 100k-element Adam
/// update (~25 µs) or ReLU takes on one core.
pub const MIN_PARALLEL_ELEMS: usize = 1 << 18;
/// Batch-split work (convolutions, pooling) below this many multiply-adds runs on one thread when
/// called from outside the pool: its workers are asleep by then, and handing the work over and
/// waiting for one to wake costs 20-50 µs on the 2-vCPU target. Products from outside are handed
/// over whole only from here; smaller ones offer their pieces instead (kernels/offered.rs).
pub const MIN_PARALLEL_FLOPS: usize = 1 << 22;
/// The same threshold for work started on a pool thread (a train step, see `within_pool`), whose
/// partners are awake: 64×128·128×64 (2^19) took 9.3 µs on one thread and 5.4 µs split in two.
pub const MIN_SPLIT_FLOPS: usize = 1 << 18;

/// The threshold that applies on this thread: `MIN_SPLIT_FLOPS` on a pool thread, else
/// `MIN_PARALLEL_FLOPS`.
pub fn min_parallel_flops() -> usize {
    if on_pool() {
        MIN_SPLIT_FLOPS
    } else {
        MIN_PARALLEL_FLOPS
    }
}

static POOL: RwLock<Option<(usize, Arc<ThreadPool>)>> = RwLock::new(None);

fn default_threads() -> usize {
    std::env::var("RUSTGRAD_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

fn build(n: usize) -> Result<Arc<ThreadPool>> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("rustgrad-{i}"))
        // Pool threads only ever run rustgrad kernels, so they keep flush-to-zero for good.
        .start_handler(|_| std::mem::forget(DenormalGuard::new()))
        .build()
        .map(Arc::new)
        .map_err(|e| {
            Error::invalid(
                "set_num_threads",
                format!("could not start {n} threads: {e}"),
            )
        })
}

/// The pool, created on first use from RUSTGRAD_NUM_THREADS or the number of cores.
pub fn pool() -> Result<(usize, Arc<ThreadPool>)> {
    if let Some((n, p)) = &*POOL.read() {
        return Ok((*n, p.clone()));
    }
    let mut slot = POOL.write();
    if slot.is_none() {
        let n = default_threads();
        *slot = Some((n, build(n)?));
    }
    let (n, p) = slot
        .as_ref()
        .map(|(n, p)| (*n, p.clone()))
        .ok_or_else(|| Error::invalid("pool", "thread pool missing"))?;
    Ok((n, p))
}

pub fn num_threads() -> usize {
    pool().map(|(n, _)| n).unwrap_or(1)
}

/// Replace the pool; work already running finishes on the old one.
pub fn set_num_threads(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::invalid(
            "set_num_threads",
            "the number of threads must be at least 1",
        ));
    }
    let p = build(n)?;
    *POOL.write() = Some((n, p));
    Ok(())
}

/// Run `f` inside the pool when `work` is large enough to pay for it, else inline.
pub fn run<R: Send>(work: usize, min: usize, f: impl FnOnce(usize) -> R + Send) -> R {
    if work >= min {
        if let Ok((n, p)) = pool() {
            if n > 1 {
                return p.install(|| f(n));
            }
        }
    }
    f(1)
}

/// Whether this thread is one of the pool's workers.
pub fn on_pool() -> bool {
    rayon::current_thread_index().is_some()
}

/// Run `f` on a pool thread (directly when already on one), so that the parallel work inside it
/// forks from a worker instead of handing each piece over from an outside thread and sleeping until
/// it returns. A batch-32 MLP step: 158 µs from outside, 135 µs inside.
pub fn within_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match pool() {
        Ok((n, p)) if n > 1 && !on_pool() => p.install(f),
        _ => f(),
    }
}

/// Run `work` on the pool with the other workers kept awake, while the calling thread waits and
/// calls `poll` every `every` (to check for Ctrl-C, say) until the work is done.
///
/// Rayon puts idle workers to sleep after some tens of µs, and a train step has gaps that long
/// between its parallel products, so each product paid a wake-up. While `work` runs, every other
/// worker runs a job that keeps looking for work (`rayon::yield_now`), spinning (and, when none comes
/// for a while, offering its core to the OS) in between. Like OpenMP's active wait policy, this
/// spends the spare cores' time to save the latency.
pub fn run_polled<R: Send>(
    work: impl FnOnce() -> R + Send,
    mut poll: impl FnMut(),
    every: std::time::Duration,
) -> R {
    let Ok((n, p)) = pool() else { return work() };
    if n == 1 || on_pool() {
        return work();
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let mut out = None;
    p.in_place_scope(|s| {
        s.spawn(move |_| {
            // A send fails only when the receiver is gone, which it never is before this job ends.
            let _ = tx.send(keep_warm(n, work));
        });
        loop {
            match rx.recv_timeout(every) {
                Ok(r) => {
                    out = Some(r);
                    break;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => poll(),
                // The job panicked; the scope re-raises the panic when it closes.
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
    });
    match out {
        Some(r) => r,
        None => unreachable!("run_polled: the job neither finished nor panicked"),
    }
}

/// How long a keep-warm spinner stays without finding work before it leaves. A spinner is a job
/// like any other, so a worker waiting inside a join of some other caller's work may steal it and
/// then spin on top of that work's stack; waiting for `done` alone could then wait forever (issue
/// 20: two callers' jobs each stuck under the other's spinner). Leaving when no work comes bounds
/// that. Inside a train step the gaps between parallel pieces are µs, so a working step never
/// reaches it.
const SPIN_IDLE_LIMIT: std::time::Duration = std::time::Duration::from_millis(2);

/// `work` on this worker while the pool's `n - 1` other workers wait for its parallel pieces.
fn keep_warm<R: Send>(n: usize, work: impl FnOnce() -> R + Send) -> R {
    let done = std::sync::atomic::AtomicBool::new(false);
    let me = rayon::current_thread_index();
    rayon::scope(|s| {
        for _ in 1..n {
            s.spawn(|_| {
                // Taken back by this very worker while `work` waits inside a join: spinning here
                // would block the `work` below it on the stack, so leave at once.
                if rayon::current_thread_index() == me {
                    return;
                }
                spin_until(&done);
            });
        }
        // Set when `work` returns or panics: a panic must not leave the spinners waiting forever
        // (the scope waits for them before it passes the panic on).
        let _release = SetOnDrop(&done);
        work()
    })
}

/// Run the pool's pending jobs until `done` is set or none has come for `SPIN_IDLE_LIMIT`.
fn spin_until(done: &std::sync::atomic::AtomicBool) {
    // Spin while work comes often; after a run of empty looks, also hand the core to the OS at
    // each look. With one of two cores held by another process, an MNIST epoch (batch 128) took
    // 0.9 s with pure spinning and 0.48-0.57 s with this; on an idle machine the two measured the
    // same.
    let mut idle = 0u32;
    let mut idle_since: Option<std::time::Instant> = None;
    while !done.load(std::sync::atomic::Ordering::Acquire) {
        if rayon::yield_now() == Some(rayon::Yield::Executed) {
            idle = 0;
            idle_since = None;
            continue;
        }
        idle += 1;
        if idle <= 256 {
            std::hint::spin_loop();
            continue;
        }
        let since = *idle_since.get_or_insert_with(std::time::Instant::now);
        if since.elapsed() > SPIN_IDLE_LIMIT {
            return;
        }
        std::thread::yield_now();
    }
}

/// Sets its flag when dropped, on return or unwinding alike.
struct SetOnDrop<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Release);
    }
}

/// Fill `out` chunk by chunk; `f(offset, chunk)` sees where its chunk starts.
pub fn for_chunks(out: &mut [f32], f: impl Fn(usize, &mut [f32]) + Send + Sync) {
    let len = out.len();
    run(len, MIN_PARALLEL_ELEMS, |threads| {
        if threads == 1 {
            f(0, out);
        } else {
            let chunk = len.div_ceil(threads * 4).max(4096);
            out.par_chunks_mut(chunk)
                .enumerate()
                .for_each(|(i, c)| f(i * chunk, c));
        }
    })
}

/// Split a batch of `n` samples into contiguous ranges, each with its samples' part of `out`
/// (`out` may be empty), and run `f` on them in the pool when `work` (multiply-adds) pays for it.
/// A few more ranges than threads let a thread that finishes early take the remainder.
pub fn over_batch<T: Send, R: Send>(
    n: usize,
    out: &mut [T],
    work: usize,
    f: impl Fn(std::ops::Range<usize>, &mut [T]) -> R + Send + Sync,
) -> Vec<R> {
    let per = out.len().checked_div(n).unwrap_or(0);
    run(work, min_parallel_flops(), |threads| {
        let tasks = (threads * 2).min(n).max(1);
        if threads == 1 || tasks == 1 {
            return vec![f(0..n, out)];
        }
        let step = n.div_ceil(tasks);
        let mut pieces = Vec::with_capacity(tasks);
        let (mut rest, mut s) = (out, 0);
        while s < n {
            let e = (s + step).min(n);
            let (a, b) = rest.split_at_mut((e - s) * per);
            pieces.push((s..e, a));
            rest = b;
            s = e;
        }
        pieces.into_par_iter().map(|(r, o)| f(r, o)).collect()
    })
}

/// Clear the upper halves of the vector registers (`vzeroupper`) on this thread.
/// The GEMM crates' AVX-512 kernels return with those halves dirty, and on Intel cores every
/// SSE-encoded instruction after that pays a merge penalty: our portable (SSE2-baseline) loops and
/// libm's expf then ran ~15x slower (softmax + cross-entropy on 32x10: 77 µs instead of 5 µs).
#[inline]
pub fn clear_upper_simd() {
    #[cfg(target_arch = "x86_64")]
    if super::simd_level::cpu_has_avx() {
        // SAFETY: vzeroupper exists on every AVX CPU (checked above) and only zeroes bits 128 and up
        // of ymm/zmm0-15, which code compiled for the SSE2 baseline never keeps values in.
        unsafe { std::arch::asm!("vzeroupper", options(nomem, nostack, preserves_flags)) };
    }
}

/// `clear_upper_simd` on the calling thread and, after parallel work, on every pool thread.
pub fn clear_upper_simd_everywhere(threads: usize) {
    if threads > 1 {
        rayon::broadcast(|_| clear_upper_simd());
    }
    clear_upper_simd();
}

/// Flush-to-zero and denormals-are-zero for the current thread while the guard lives.
/// Adam's moment estimates of parameters whose gradient is always zero (dead ReLUs, border pixels)
/// decay into denormals, where each float op costs ~100 cycles; TensorFlow trains with the same flags.
pub struct DenormalGuard(#[allow(dead_code)] u32);

#[cfg(target_arch = "x86_64")]
mod mxcsr {
    pub fn get() -> u32 {
        let mut v: u32 = 0;
        // SAFETY: stmxcsr only stores the SSE control register into `v`.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
        v
    }
    pub fn set(v: u32) {
        // SAFETY: ldmxcsr loads a control word that came from stmxcsr with only FTZ/DAZ bits changed.
        unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, readonly)) };
    }
}

impl DenormalGuard {
    #[cfg(target_arch = "x86_64")]
    pub fn new() -> DenormalGuard {
        let old = mxcsr::get();
        mxcsr::set(old | 0x8040);
        DenormalGuard(old)
    }
    #[cfg(not(target_arch = "x86_64"))]
    pub fn new() -> DenormalGuard {
        DenormalGuard(0)
    }
}

impl Default for DenormalGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for DenormalGuard {
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        mxcsr::set(self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn run_polled_returns_the_result_and_polls_while_waiting() {
        let polls = AtomicUsize::new(0);
        let got = run_polled(
            || {
                std::thread::sleep(Duration::from_millis(60));
                // Parallel work inside still runs (the spinners take pieces of it).
                (0..1000u64).into_par_iter().sum::<u64>()
            },
            || {
                polls.fetch_add(1, Ordering::Relaxed);
            },
            Duration::from_millis(5),
        );
        assert_eq!(got, 499_500);
        if num_threads() > 1 {
            assert!(polls.load(Ordering::Relaxed) >= 2);
        }
    }

    #[test]
    fn a_panic_in_polled_work_reaches_the_caller_instead_of_hanging_the_pool() {
        let r = std::panic::catch_unwind(|| {
            run_polled(
                || -> u32 { panic!("boom") },
                || {},
                Duration::from_millis(5),
            )
        });
        assert!(r.is_err());
        // The pool still works afterwards.
        assert_eq!(run_polled(|| 7, || {}, Duration::from_millis(5)), 7);
    }

    #[test]
    fn a_spinner_whose_work_never_ends_leaves_once_no_work_comes() {
        // A spinner stolen by a worker of some other caller must not wait for `done` for ever.
        let never = std::sync::atomic::AtomicBool::new(false);
        let start = std::time::Instant::now();
        spin_until(&never);
        assert!(start.elapsed() >= SPIN_IDLE_LIMIT);
    }

    #[test]
    fn callers_on_many_threads_share_the_pool_without_deadlock() {
        let (tx, rx) = std::sync::mpsc::channel();
        for t in 0..4u64 {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let sum: u64 = (0..50u64)
                    .map(|i| {
                        run_polled(
                            || (0..2000u64).into_par_iter().map(|v| v * t + i).sum::<u64>(),
                            || {},
                            Duration::from_millis(5),
                        )
                    })
                    .sum();
                let _ = tx.send((t, sum));
            });
        }
        // Bounded: a deadlock fails here instead of hanging the test run.
        for _ in 0..4 {
            let got = rx.recv_timeout(Duration::from_secs(60));
            let Ok((t, sum)) = got else {
                panic!("a caller did not finish within 60 s");
            };
            let want: u64 = (0..50u64).map(|i| 1999 * 2000 / 2 * t + 2000 * i).sum();
            assert_eq!(sum, want);
        }
    }

    #[test]
    fn within_pool_runs_on_a_worker() {
        if num_threads() > 1 {
            assert!(within_pool(on_pool));
        }
    }
}
