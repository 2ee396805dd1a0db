//! Elementwise loops over one or two slices, with NumPy broadcasting for the two-operand case.
use super::parallel;
use crate::shape::{broadcast_strides, numel, strides};

/// `out[i] = f(a[i])`, parallel for large inputs.
pub fn map(a: &[f32], f: impl Fn(f32) -> f32 + Send + Sync) -> Vec<f32> {
    let mut out = vec![0.0f32; a.len()];
    parallel::for_chunks(&mut out, |off, chunk| {
        let n = chunk.len();
        for (o, &x) in chunk.iter_mut().zip(&a[off..off + n]) {
            *o = f(x);
        }
    });
    out
}

/// `out[i] = f(a[i], b[i])` over equal-length slices.
pub fn zip(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Send + Sync) -> Vec<f32> {
    let mut out = vec![0.0f32; a.len()];
    parallel::for_chunks(&mut out, |off, chunk| {
        let n = chunk.len();
        for ((o, &x), &y) in chunk.iter_mut().zip(&a[off..off + n]).zip(&b[off..off + n]) {
            *o = f(x, y);
        }
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
