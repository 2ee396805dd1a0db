//! The thread pool and how work reaches it; when to split, and whether a run of steps uses the
//! pool or one thread, is decided in kernels/policy.rs.
//! Small tensors stay on the calling thread: handing a 16-element add to a pool costs more than the add.
use crate::error::{Error, Result};
use parking_lot::RwLock;
use rayon::prelude::*;
use rayon::ThreadPool;
use std::sync::Arc;

use super::policy::{Chooser, Mode};
pub use super::policy::{MIN_PARALLEL_ELEMS, MIN_PARALLEL_FLOPS, MIN_SPLIT_FLOPS};

/// The threshold that applies on this thread: `MIN_SPLIT_FLOPS` on a pool thread, else
/// `MIN_PARALLEL_FLOPS`.
pub fn min_parallel_flops() -> usize {
    if on_pool() {
        MIN_SPLIT_FLOPS
    } else {
        MIN_PARALLEL_FLOPS
    }
}

/// The pool: its thread count, its threads, and a one-thread pool that runs the same pieces one
/// after another (`Mode::Serial`), and whether the count was chosen by the user.
#[derive(Clone)]
struct Pools {
    n: usize,
    spread: Arc<ThreadPool>,
    serial: Arc<ThreadPool>,
    chosen: bool,
}

static POOL: RwLock<Option<Pools>> = RwLock::new(None);

/// The thread count from RUSTGRAD_NUM_THREADS (and true), else the number of cores (and false).
fn default_threads() -> (usize, bool) {
    let set = std::env::var("RUSTGRAD_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0);
    match set {
        Some(n) => (n, true),
        None => (
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            false,
        ),
    }
}

fn pools(n: usize, chosen: bool) -> Result<Pools> {
    let spread = build(n)?;
    let serial = if n == 1 { spread.clone() } else { build(1)? };
    Ok(Pools {
        n,
        spread,
        serial,
        chosen,
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

fn current() -> Result<Pools> {
    if let Some(p) = &*POOL.read() {
        return Ok(p.clone());
    }
    let mut slot = POOL.write();
    if slot.is_none() {
        let (n, chosen) = default_threads();
        *slot = Some(pools(n, chosen)?);
    }
    slot.clone()
        .ok_or_else(|| Error::invalid("pool", "thread pool missing"))
}

/// The pool, created on first use from RUSTGRAD_NUM_THREADS or the number of cores.
pub fn pool() -> Result<(usize, Arc<ThreadPool>)> {
    current().map(|p| (p.n, p.spread))
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
    let p = pools(n, true)?;
    *POOL.write() = Some(p);
    Ok(())
}

/// Replace the pool with the default one (`RUSTGRAD_NUM_THREADS`, else the core count).
pub fn use_default_threads() -> Result<()> {
    let (n, chosen) = default_threads();
    let p = pools(n, chosen)?;
    *POOL.write() = Some(p);
    Ok(())
}

/// Run `f` inside the pool when `work` is large enough to pay for it, else inline. On a pool
/// thread (the pool's own, or the one-thread pool of `Mode::Serial`) `f` runs right there, cut for
/// the pool's thread count either way.
pub fn run<R: Send>(work: usize, min: usize, f: impl FnOnce(usize) -> R + Send) -> R {
    if work >= min {
        if let Ok((n, p)) = pool() {
            if n > 1 {
                if on_pool() {
                    return f(n);
                }
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
    let Ok(p) = current() else { return work() };
    if p.n == 1 || on_pool() {
        return work();
    }
    run_polled_on(&p, Mode::Spread, work, &mut poll, every).0
}

/// `steps` train steps (`work(range)` runs the steps in `range`), as `run_polled` does, in the
/// mode that measured faster for this `key` (a model and batch size): spread over the pool, or
/// on one thread while another process holds a core (kernels/policy.rs). `work` returns whether
/// to go on; pieces after one that returned false are not run. With a thread count set by the
/// user (RUSTGRAD_NUM_THREADS, `set_num_threads`) the steps always use all its threads.
pub fn run_adaptive<R: Send>(
    key: u64,
    steps: usize,
    mut work: impl FnMut(std::ops::Range<usize>) -> (R, bool) + Send,
    mut poll: impl FnMut(),
    every: std::time::Duration,
) -> Vec<R> {
    let Ok(p) = current() else {
        return vec![work(0..steps).0];
    };
    if p.n == 1 || on_pool() || p.chosen {
        return vec![run_polled_on(&p, Mode::Spread, || work(0..steps).0, &mut poll, every).0];
    }
    let mut chooser = take_chooser(key);
    let mut out = Vec::new();
    super::policy::drive(&mut chooser, steps, |piece, range| {
        let ((r, go_on), seconds) = run_polled_on(&p, piece.mode, || work(range), &mut poll, every);
        out.push(r);
        (seconds, go_on)
    });
    put_chooser(key, chooser);
    out
}

/// The choosers of the models trained last, most recent last.
static CHOOSERS: parking_lot::Mutex<Vec<(u64, Chooser)>> = parking_lot::Mutex::new(Vec::new());
const KEPT_CHOOSERS: usize = 16;

fn take_chooser(key: u64) -> Chooser {
    let mut all = CHOOSERS.lock();
    match all.iter().position(|(k, _)| *k == key) {
        Some(i) => all.remove(i).1,
        None => Chooser::default(),
    }
}

fn put_chooser(key: u64, c: Chooser) {
    let mut all = CHOOSERS.lock();
    if all.len() >= KEPT_CHOOSERS {
        all.remove(0);
    }
    all.push((key, c));
}

/// The mode the last steps of `key` used (None before any), for tests and benchmarks.
pub fn chosen_mode(key: u64) -> Option<Mode> {
    CHOOSERS
        .lock()
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, c)| c.best())
}

/// `work` on a thread of `mode`'s pool (with the other workers kept warm in `Mode::Spread`), the
/// caller polling meanwhile; returns its result and the seconds `work` itself took.
fn run_polled_on<R: Send>(
    p: &Pools,
    mode: Mode,
    work: impl FnOnce() -> R + Send,
    poll: &mut dyn FnMut(),
    every: std::time::Duration,
) -> (R, f64) {
    let (pool, n) = match mode {
        Mode::Spread => (&p.spread, p.n),
        Mode::Serial => (&p.serial, 1),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let mut out = None;
    pool.in_place_scope(|s| {
        s.spawn(move |_| {
            let start = std::time::Instant::now();
            let r = keep_warm(n, work);
            // A send fails only when the receiver is gone, which it never is before this job ends.
            let _ = tx.send((r, start.elapsed().as_secs_f64()));
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

    /// A weight-gradient-like product, a batch split and a chunked elementwise pass, as a train step
    /// runs them; returned as bits.
    fn step_like() -> Vec<u32> {
        use crate::kernels::gemm::{matmul_new, Operand};
        let (m, k, n) = (128, 784, 64);
        let a: Vec<f32> = (0..m * k)
            .map(|i| ((i * 7919) % 1013) as f32 * 1e-3 - 0.5)
            .collect();
        let b: Vec<f32> = (0..k * n)
            .map(|i| ((i * 104_729) % 997) as f32 * 1e-3 - 0.5)
            .collect();
        let op = |d| Operand {
            data: d,
            trans: false,
        };
        let mut c = matmul_new(m, k, n, op(&a), op(&b));
        let sums = over_batch(m, &mut c, MIN_SPLIT_FLOPS, |r, rows| {
            rows.iter_mut().for_each(|v| *v *= 0.5);
            r.len()
        });
        let mut big = vec![1.0f32; MIN_PARALLEL_ELEMS + 3];
        for_chunks(&mut big, |off, ch| {
            ch.iter_mut().for_each(|v| *v += off as f32)
        });
        c.push(sums.len() as f32);
        c.push(big.iter().sum::<f32>());
        c.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn both_modes_compute_the_same_bits() {
        let Ok(p) = current() else { return };
        let mut none = || {};
        let every = Duration::from_millis(5);
        let spread = run_polled_on(&p, Mode::Spread, step_like, &mut none, every).0;
        let serial = run_polled_on(&p, Mode::Serial, step_like, &mut none, every).0;
        assert!(spread == serial);
    }

    #[test]
    fn run_adaptive_runs_every_step_once_in_order_and_stops_when_asked() {
        let mut seen = Vec::new();
        let key = 0x5eed;
        for _ in 0..6 {
            let pieces = run_adaptive(
                key,
                40,
                |r| (r.collect::<Vec<_>>(), true),
                || {},
                Duration::from_millis(5),
            );
            seen.push(pieces.concat());
        }
        assert!(seen.iter().all(|s| *s == (0..40).collect::<Vec<_>>()));
        if num_threads() > 1 {
            assert!(chosen_mode(key).is_some());
        }
        let pieces = run_adaptive(key, 40, |r| (r, false), || {}, Duration::from_millis(5));
        assert_eq!(pieces.len(), 1);
    }

    #[test]
    fn within_pool_runs_on_a_worker() {
        if num_threads() > 1 {
            assert!(within_pool(on_pool));
        }
    }
}
