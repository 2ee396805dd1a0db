//! Sums of squares over slices (of values, or of the difference of two), for the gradient
//! monitor's norms: f32 lanes within blocks so the loop vectorises, f64 across blocks so a layer
//! of millions of weights keeps its digits. The loops are compiled for each SIMD level and run at
//! `simd_level::level()` (`simd_level::vectorize`).
//!
//! Why the dispatch matters beyond width: the monitor runs right after the backward products, and
//! the GEMM crates' AVX-512 kernels leave the upper register halves dirty; SSE-encoded code after
//! that is ~15x slower (see `parallel::clear_upper_simd`). VEX-encoded code pays no such penalty,
//! and the portable path clears the registers first. (A first, serial SSE version cost the MNIST MLP's
//! step ~130 µs, +21% at every=1; with this file +7.5%, on a loaded machine, so how much each
//! change gave was not isolated.)
//!
//! Big slices are split over the pool (`*_par`): on the 2-vCPU target a serial pass of ~30 µs
//! let the idle worker fall asleep, and the update's and the next step's parallel work then paid
//! its wake-up each time. Parts are summed in order, so the result does not depend on scheduling.
use super::parallel::run;
use super::simd_level::{level, vectorize_at, Level};
use rayon::prelude::*;

const BLOCK: usize = 1024;
/// Slices at least this long are split over the pool (as the optimizers' updates are).
const MIN_SPLIT: usize = 1 << 15;
const PART: usize = 16 * BLOCK;

#[inline(always)]
fn block(x: &[f32], y: Option<&[f32]>) -> f64 {
    let mut lanes = [0.0f32; 16];
    let mut tail = 0.0f32;
    let (xs, xt) = x.as_chunks::<16>();
    match y {
        None => {
            for c in xs {
                for k in 0..16 {
                    lanes[k] += c[k] * c[k];
                }
            }
            tail = xt.iter().map(|v| v * v).sum();
        }
        Some(y) => {
            let (ys, yt) = y.as_chunks::<16>();
            for (c, d) in xs.iter().zip(ys) {
                for k in 0..16 {
                    let e = c[k] - d[k];
                    lanes[k] += e * e;
                }
            }
            for (a, b) in xt.iter().zip(yt) {
                tail += (a - b) * (a - b);
            }
        }
    }
    lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(tail)
}

#[inline(always)]
fn blocks(x: &[f32], y: Option<&[f32]>) -> f64 {
    match y {
        None => x.chunks(BLOCK).map(|b| block(b, None)).sum(),
        Some(y) => x
            .chunks(BLOCK)
            .zip(y.chunks(BLOCK))
            .map(|(a, b)| block(a, Some(b)))
            .sum(),
    }
}

fn dispatch(level: Level, x: &[f32], y: Option<&[f32]>) -> f64 {
    vectorize_at(
        level,
        #[inline(always)]
        || blocks(x, y),
    )
}

/// Σ x², accumulated in f64 across blocks.
pub fn sum_sq(x: &[f32]) -> f64 {
    dispatch(level(), x, None)
}

/// Σ (x − y)² over the common length of `x` and `y`.
pub fn diff_sq(x: &[f32], y: &[f32]) -> f64 {
    let n = x.len().min(y.len());
    dispatch(level(), &x[..n], Some(&y[..n]))
}

/// `sum_sq`, split over the pool for big slices.
pub fn sum_sq_par(x: &[f32]) -> f64 {
    run(x.len(), MIN_SPLIT, |threads| {
        if threads == 1 {
            return sum_sq(x);
        }
        let parts: Vec<f64> = x.par_chunks(PART).map(sum_sq).collect();
        parts.iter().sum()
    })
}

/// `diff_sq`, split over the pool for big slices.
pub fn diff_sq_par(x: &[f32], y: &[f32]) -> f64 {
    run(x.len().min(y.len()), MIN_SPLIT, |threads| {
        if threads == 1 {
            return diff_sq(x, y);
        }
        let parts: Vec<f64> = (x.par_chunks(PART), y.par_chunks(PART))
            .into_par_iter()
            .map(|(a, b)| diff_sq(a, b))
            .collect();
        parts.iter().sum()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_a_plain_f64_loop_past_blocks_and_tails() {
        for n in [0, 1, 15, 17, 1024, 3001] {
            let v: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let u: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f64 = v.iter().map(|&x| f64::from(x).powi(2)).sum();
            let diff: f64 = v
                .iter()
                .zip(&u)
                .map(|(&a, &b)| f64::from(a - b).powi(2))
                .sum();
            assert!((sum_sq(&v) - plain).abs() <= 1e-5 * plain.max(1.0), "{n}");
            assert!(
                (diff_sq(&v, &u) - diff).abs() <= 1e-5 * diff.max(1.0),
                "{n}"
            );
        }
    }

    #[test]
    fn every_level_sums_as_the_portable_path() {
        use crate::kernels::simd_level::{available, testing::values, testing::LENGTHS};
        let bits = |v: f64| if v.is_nan() { u64::MAX } else { v.to_bits() };
        for n in LENGTHS.into_iter().chain([1024, 2051]) {
            for specials in [false, true] {
                let (x, y) = (values(n, 1, specials), values(n, 2, specials));
                let want = (
                    bits(dispatch(Level::Portable, &x, None)),
                    bits(dispatch(Level::Portable, &x, Some(&y))),
                );
                for l in available() {
                    let got = (bits(dispatch(l, &x, None)), bits(dispatch(l, &x, Some(&y))));
                    assert_eq!(got, want, "{l:?} n={n} specials={specials}");
                }
            }
        }
    }
}
