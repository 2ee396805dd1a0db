//! Sums of squares over slices (of values, or of the difference of two), for the gradient
//! monitor's norms: f32 lanes within blocks so the loop vectorises, f64 across blocks so a layer
//! of millions of weights keeps its digits. An AVX2 build of the same loops is chosen at run time.
//!
//! Why the dispatch: the monitor runs right after the backward products, and the GEMM crates'
//! AVX-512 kernels leave the upper register halves dirty; SSE-encoded code after that is ~15x
//! slower (see `parallel::clear_upper_simd`). VEX-encoded AVX2 code pays no such penalty, and the
//! portable path clears the registers first. (A first, serial SSE version cost the MNIST MLP's
//! step ~130 µs, +21% at every=1; with this file +7.5%, on a loaded machine, so how much each
//! change gave was not isolated.)
//!
//! Big slices are split over the pool (`*_par`): on the 2-vCPU target a serial pass of ~30 µs
//! let the idle worker fall asleep, and the update's and the next step's parallel work then paid
//! its wake-up each time. Parts are summed in order, so the result does not depend on scheduling.
use super::parallel::{clear_upper_simd, run};
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

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn blocks_avx2(x: &[f32], y: Option<&[f32]>) -> f64 {
    blocks(x, y)
}

fn dispatch(x: &[f32], y: Option<&[f32]>) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA (checked above); the function reads only its slices.
        let total = unsafe { blocks_avx2(x, y) };
        clear_upper_simd(); // for the SSE-encoded code after it
        return total;
    }
    clear_upper_simd();
    blocks(x, y)
}

/// Σ x², accumulated in f64 across blocks.
pub fn sum_sq(x: &[f32]) -> f64 {
    dispatch(x, None)
}

/// Σ (x − y)² over the common length of `x` and `y`.
pub fn diff_sq(x: &[f32], y: &[f32]) -> f64 {
    let n = x.len().min(y.len());
    dispatch(&x[..n], Some(&y[..n]))
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

/// Copy `src` into `dst` (of the same length) and return `sum_sq(src)`, split over the pool for
/// big slices; each part is summed from the copy it just wrote, still in cache.
pub fn copy_sum_sq_par(src: &[f32], dst: &mut [f32]) -> f64 {
    let n = src.len().min(dst.len());
    let (src, dst) = (&src[..n], &mut dst[..n]);
    let part = |(s, d): (&[f32], &mut [f32])| {
        d.copy_from_slice(s);
        sum_sq(d)
    };
    run(n, MIN_SPLIT, |threads| {
        if threads == 1 {
            return part((src, dst));
        }
        let parts: Vec<f64> = (src.par_chunks(PART), dst.par_chunks_mut(PART))
            .into_par_iter()
            .map(part)
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
}
