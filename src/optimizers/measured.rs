//! Updates that measure themselves for the gradient monitor (model/grad_monitor.rs): the squared
//! norms of the gradient, of the weights before the step and of the step itself, read while the
//! update rule has each block of the parameter in cache.
//!
//! Why here and not around the update: a monitor outside the rule must copy the weights before the
//! step and compare after it, three more passes over every buffer; on the MNIST MLP (Adam, batch
//! 128) that was 11-12% of a step at `every=1`. Block by block, the copy is a few KiB that stay in
//! L1 while the rule reads the same block (the elementwise rules here); Adam, the common case,
//! goes further and sums in registers inside its kernel (`kernels::adam::update_measured`):
//! +7 µs on the 34 µs one-thread step of the MLP's 101 770 weights, where blocks cost +24 µs.
use crate::kernels::norms::{diff_sq, sum_sq};
use crate::kernels::simd_level::vectorize;
use std::ops::Range;

/// Per parameter: [Σ g², Σ w² (before the step), Σ (w_after − w_before)²], in f64.
pub type Norms = [f64; 3];

/// What a rule's `apply` is asked: `Some(k)` to measure, after scaling the weights by `k`
/// (decoupled weight decay, `1 − lr·weight_decay`; 1 for none), or None for a plain update.
pub(crate) type Measure = Option<f32>;

/// Floats per block: a multiple of every SIMD width (so the kernels' vector bodies and scalar tails
/// fall on the same elements as in an unblocked call), and three buffers of it fit in L1.
const BLOCK: usize = 2048;

/// Run the update `f(w_block, g_block, range)` over `w`, where `range` locates the block within `w`
/// (for the rule's state slots). With `measure = None` it is one call over everything and returns
/// zeros. With `Some(k)` each block's weights are first scaled by `k` and the block's norms are
/// added up, Σ w² before the decay.
///
/// The loop, and `f` inlined into it, is compiled for the SIMD level (`simd_level::vectorize`):
/// the elementwise rules' closures then vectorise 8 or 16 wide instead of SSE2's 4, and
/// the results stay bit for bit those of the portable build (no contraction into FMAs, exact
/// square roots and divisions either way).
#[inline(always)]
pub(crate) fn blocked(
    w: &mut [f32],
    g: &[f32],
    measure: Measure,
    f: impl FnMut(&mut [f32], &[f32], Range<usize>),
) -> Norms {
    vectorize(
        #[inline(always)]
        || blocked_body(w, g, measure, f),
    )
}

#[inline(always)]
fn blocked_body(
    w: &mut [f32],
    g: &[f32],
    measure: Measure,
    mut f: impl FnMut(&mut [f32], &[f32], Range<usize>),
) -> Norms {
    let n = w.len().min(g.len());
    let Some(k) = measure else {
        f(&mut w[..n], &g[..n], 0..n);
        return [0.0; 3];
    };
    let mut before = [0.0f32; BLOCK];
    let mut out = [0.0f64; 3];
    for lo in (0..n).step_by(BLOCK) {
        let hi = (lo + BLOCK).min(n);
        let (wb, gb, copy) = (&mut w[lo..hi], &g[lo..hi], &mut before[..hi - lo]);
        let (g2, w2) = copy_and_sum(wb, gb, copy);
        if k != 1.0 {
            wb.iter_mut().for_each(|v| *v *= k);
        }
        f(wb, gb, lo..hi);
        out[0] += g2;
        out[1] += w2;
        out[2] += diff_sum(wb, copy);
    }
    out
}

/// Lanes of f32 partial sums: enough independent chains (4 AVX2 registers a sum) that the adds
/// do not wait on each other's latency. Measured on 784·128 weights at one thread (Xeon): Adam's
/// step 33 µs, with these loops 57 µs (with three 16-lane `norms` sums a block it was 73 µs).
const LANES: usize = 32;

/// Copy `w` into `copy` and return (Σ g², Σ w²) of one block.
#[inline(always)]
fn copy_and_sum(w: &[f32], g: &[f32], copy: &mut [f32]) -> (f64, f64) {
    copy.copy_from_slice(w);
    let (mut a, mut b) = ([0.0f32; LANES], [0.0f32; LANES]);
    let (wc, wt) = w.as_chunks::<LANES>();
    let (gc, gt) = g.as_chunks::<LANES>();
    for (w, g) in wc.iter().zip(gc) {
        for j in 0..LANES {
            a[j] += g[j] * g[j];
            b[j] += w[j] * w[j];
        }
    }
    for (w, g) in wt.iter().zip(gt) {
        a[0] += g * g;
        b[0] += w * w;
    }
    (lanes(&a), lanes(&b))
}

/// Σ (x − y)² of one block.
#[inline(always)]
fn diff_sum(x: &[f32], y: &[f32]) -> f64 {
    let mut a = [0.0f32; LANES];
    let (xc, xt) = x.as_chunks::<LANES>();
    let (yc, yt) = y.as_chunks::<LANES>();
    for (x, y) in xc.iter().zip(yc) {
        for j in 0..LANES {
            let d = x[j] - y[j];
            a[j] += d * d;
        }
    }
    for (x, y) in xt.iter().zip(yt) {
        a[0] += (x - y) * (x - y);
    }
    lanes(&a)
}

#[inline(always)]
fn lanes(a: &[f32; LANES]) -> f64 {
    a.iter().map(|&v| f64::from(v)).sum()
}

/// The two `Optimizer` methods of a rule whose inherent `apply(i, w, g, lr, t, k)` does the work,
/// measuring when `k` is `Some` (the decay factor, as in `blocked`).
macro_rules! measured_by_apply {
    () => {
        fn update(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, t: u64) {
            self.apply(i, w, g, lr, t, None);
        }
        fn update_measured(
            &mut self,
            i: usize,
            w: &mut [f32],
            g: &[f32],
            lr: f32,
            t: u64,
            k: f32,
        ) -> Option<$crate::optimizers::measured::Norms> {
            Some(self.apply(i, w, g, lr, t, Some(k)))
        }
    };
}
pub(crate) use measured_by_apply;

/// Add per-chunk norms in order, so the result does not depend on which thread ran which chunk.
pub(crate) fn total(parts: impl IntoIterator<Item = Norms>) -> Norms {
    parts
        .into_iter()
        .fold([0.0; 3], |a, b| [a[0] + b[0], a[1] + b[1], a[2] + b[2]])
}

/// The norms of a rule that does not measure itself: copy the weights into `scratch`, scale them by
/// `k`, run `update(w)`, and compare. Three more passes than `blocked`, for the rare rules (LAMB,
/// whose trust ratio needs whole-parameter norms first) that cannot work block by block.
pub(crate) fn around(
    w: &mut [f32],
    g: &[f32],
    k: f32,
    scratch: &mut Vec<f32>,
    update: impl FnOnce(&mut [f32]),
) -> Norms {
    scratch.clear();
    scratch.extend_from_slice(w);
    let (g2, w2) = (sum_sq(g), sum_sq(scratch));
    if k != 1.0 {
        w.iter_mut().for_each(|v| *v *= k);
    }
    update(w);
    [g2, w2, diff_sq(w, scratch)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(w0: &[f32], g: &[f32], w1: &[f32]) -> Norms {
        let sq = |v: &[f32]| v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>();
        let d: f64 = w0
            .iter()
            .zip(w1)
            .map(|(&a, &b)| f64::from(b - a).powi(2))
            .sum();
        [sq(g), sq(w0), d]
    }

    fn close(a: Norms, b: Norms) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-5 * y.abs().max(1e-12), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn blocks_measure_what_the_update_did_past_block_edges() {
        for n in [0, 1, 17, BLOCK, BLOCK + 3, 3 * BLOCK + 1000] {
            let w0: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let g: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            for k in [1.0, 0.99] {
                let step = |w: &mut [f32], g: &[f32]| {
                    w.iter_mut().zip(g).for_each(|(w, g)| *w -= 0.01 * g)
                };
                let mut w = w0.clone();
                let mut seen = vec![false; n];
                let got = blocked(&mut w, &g, Some(k), |wb, gb, r| {
                    assert_eq!((wb.len(), gb.len()), (r.len(), r.len()));
                    seen[r].iter_mut().for_each(|s| *s = true);
                    step(wb, gb);
                });
                assert!(seen.iter().all(|&s| s), "{n}");
                // The same weights as decaying everything, then one unblocked update.
                let mut want = w0.clone();
                want.iter_mut().for_each(|v| *v *= k);
                step(&mut want, &g);
                assert_eq!(w, want, "{n} {k}");
                close(got, plain(&w0, &g, &w));
                let mut w2 = w0.clone();
                let got2 = around(&mut w2, &g, k, &mut Vec::new(), |w| step(w, &g));
                assert_eq!(w2, want);
                close(got2, got);
            }
        }
        let mut w = vec![1.0f32; 5];
        assert_eq!(
            blocked(&mut w, &[1.0; 5], None, |w, _, _| w[0] = 2.0),
            [0.0; 3]
        );
        assert_eq!(w[0], 2.0);
    }
}
