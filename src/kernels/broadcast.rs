//! Elementwise loops over one or two slices, with NumPy broadcasting for the two-operand case.
//! Each chunk's loop runs compiled for the run-time SIMD level (`simd_level::vectorize`), so the
//! activations and masks built on `map`/`zip` (ops/unary.rs) vectorise with AVX2 or AVX-512.
use super::parallel;
use super::simd_level::{level, vectorize_at, Level};
use crate::shape::{broadcast_strides, numel, strides};

/// `out[i] = f(a[i])`, parallel for large inputs.
pub fn map(a: &[f32], f: impl Fn(f32) -> f32 + Send + Sync) -> Vec<f32> {
    map_at(level(), a, f)
}

fn map_at(l: Level, a: &[f32], f: impl Fn(f32) -> f32 + Send + Sync) -> Vec<f32> {
    let mut out = vec![0.0f32; a.len()];
    parallel::for_chunks(&mut out, |off, chunk| {
        let n = chunk.len();
        vectorize_at(
            l,
            #[inline(always)]
            || {
                for (o, &x) in chunk.iter_mut().zip(&a[off..off + n]) {
                    *o = f(x);
                }
            },
        )
    });
    out
}

/// `out[i] = f(a[i], b[i])` over equal-length slices.
pub fn zip(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Send + Sync) -> Vec<f32> {
    zip_at(level(), a, b, f)
}

fn zip_at(l: Level, a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Send + Sync) -> Vec<f32> {
    let mut out = vec![0.0f32; a.len()];
    parallel::for_chunks(&mut out, |off, chunk| {
        let n = chunk.len();
        vectorize_at(
            l,
            #[inline(always)]
            || {
                for ((o, &x), &y) in chunk.iter_mut().zip(&a[off..off + n]).zip(&b[off..off + n]) {
                    *o = f(x, y);
                }
            },
        )
    });
    out
}

/// `f` applied over `a` and `b` broadcast to `out_shape` (already validated by the caller).
pub fn zip_broadcast(
    a: &[f32],
    a_shape: &[usize],
    b: &[f32],
    b_shape: &[usize],
    out_shape: &[usize],
    f: impl Fn(f32, f32) -> f32 + Send + Sync,
) -> Vec<f32> {
    if a_shape == b_shape {
        return zip(a, b, f);
    }
    if a.len() == 1 {
        let x = a[0];
        return map(b, move |y| f(x, y));
    }
    if b.len() == 1 {
        let y = b[0];
        return map(a, move |x| f(x, y));
    }
    let n = numel(out_shape);
    let sa = broadcast_strides(a_shape, out_shape);
    let sb = broadcast_strides(b_shape, out_shape);
    let so = strides(out_shape);
    let nd = out_shape.len();
    let inner = out_shape[nd - 1];
    let (ia, ib) = (sa[nd - 1], sb[nd - 1]);
    let mut out = vec![0.0f32; n];
    if inner == 0 {
        return out;
    }
    // Rows of the last axis are independent: split the work by rows.
    parallel::for_chunks(&mut out, |off, chunk| {
        let mut i = 0;
        while i < chunk.len() {
            let flat = off + i;
            let (mut pa, mut pb, mut rem) = (0, 0, flat);
            for d in 0..nd {
                let idx = rem / so[d];
                rem %= so[d];
                pa += idx * sa[d];
                pb += idx * sb[d];
            }
            // Finish the current row (or the chunk, whichever ends first).
            let col = flat % inner;
            let len = (inner - col).min(chunk.len() - i);
            for j in 0..len {
                chunk[i + j] = f(a[pa + j * ia], b[pb + j * ib]);
            }
            i += len;
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::simd_level::testing::{every_level_matches_portable, values, LENGTHS};
    use crate::ops::unary::Unary;

    #[test]
    fn every_level_maps_and_zips_as_the_portable_path() {
        // The activations (values and derivatives) that run through map/zip, plus plain arithmetic.
        let acts = [
            Unary::Relu,
            Unary::Sigmoid,
            Unary::Tanh,
            Unary::Exp,
            Unary::Abs,
            Unary::Gelu,
            Unary::Softplus,
            Unary::LeakyRelu(0.2),
            Unary::Elu(1.0),
            Unary::MulScalar(0.5),
        ];
        for n in LENGTHS.into_iter().chain([1 << 16]) {
            let (x, g) = (values(n, 4, true), values(n, 5, true));
            for u in acts {
                every_level_matches_portable(&format!("{} n={n}", u.name()), |l| {
                    let y = map_at(l, &x, move |v| u.f(v));
                    let mut all = zip_at(l, &x, &y, move |x, y| u.df(x, y));
                    all.extend(zip_at(l, &g, &all.clone(), |g, d| g * d));
                    all.extend(y);
                    all
                });
            }
        }
    }
}
