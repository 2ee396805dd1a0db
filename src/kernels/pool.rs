//! Pooling loops over whole NHWC samples, with the window geometry of im2col.rs (dilation 1).
//! Padding never takes part: max pooling ignores it, average pooling divides by the values inside
//! the image, as TensorFlow does for 'same'.
use super::im2col::Geom;

/// Visit the in-image positions (offset of channel 0 within a sample) of output pixel (oy, ox).
#[inline]
fn window(g: &Geom, oy: usize, ox: usize, mut f: impl FnMut(usize)) {
    for ki in 0..g.kh {
        let Some(iy) = g.iy(oy, ki) else { continue };
        for kj in 0..g.kw {
            if let Some(ix) = g.ix(ox, kj) {
                f((iy * g.w + ix) * g.c);
            }
        }
    }
}

/// Max over each window into `out`; `arg` gets the winner's offset within its sample. Of tied
/// values the first in the window wins and receives the whole gradient.
pub fn max_pool(x: &[f32], g: &Geom, out: &mut [f32], arg: &mut [u32]) {
    max_pool_values(x, g, out);
    let (c, per_out) = (g.c, g.pixels() * g.c);
    let mut taps = Vec::with_capacity(g.kh * g.kw);
    for (s, xs) in x.chunks_exact(g.in_len().max(1)).enumerate() {
        for p in 0..g.pixels() {
            let span = s * per_out + p * c..s * per_out + (p + 1) * c;
            let (o, a) = (&out[span.clone()], &mut arg[span]);
            taps.clear();
            window(g, p / g.ow, p % g.ow, |base| taps.push(base));
            // Last tap first, so the first equal tap writes last; masks instead of branches let
            // the channel loop vectorise.
            for &base in taps.iter().rev() {
                let v = &xs[base..base + c];
                for ch in 0..c {
                    let hit = ((v[ch] == o[ch]) as u32).wrapping_neg();
                    let i = (base + ch) as u32;
                    a[ch] = (a[ch] & !hit) | (i & hit);
                }
            }
        }
    }
}

/// Max over each window without recording winners (inference: no gradient will be asked for).
pub fn max_pool_values(x: &[f32], g: &Geom, out: &mut [f32]) {
    let (c, per_out) = (g.c, g.pixels() * g.c);
    for (s, xs) in x.chunks_exact(g.in_len().max(1)).enumerate() {
        for p in 0..g.pixels() {
            let o = &mut out[s * per_out + p * c..s * per_out + (p + 1) * c];
            o.fill(f32::NEG_INFINITY);
            window(g, p / g.ow, p % g.ow, |base| {
                let v = &xs[base..base + c];
                for ch in 0..c {
                    o[ch] = o[ch].max(v[ch]);
                }
            });
        }
    }
}

/// Route each output gradient to its window's winner (`dx` holds whole samples, added to).
pub fn max_pool_back(grad: &[f32], arg: &[u32], per_out: usize, in_len: usize, dx: &mut [f32]) {
    let samples = grad
        .chunks_exact(per_out.max(1))
        .zip(arg.chunks_exact(per_out.max(1)));
    for ((gs, args), dxs) in samples.zip(dx.chunks_exact_mut(in_len.max(1))) {
        for (&gv, &a) in gs.iter().zip(args) {
            dxs[a as usize] += gv;
        }
    }
}

/// Number of in-image positions in the window of output pixel (oy, ox).
#[inline]
fn count(g: &Geom, oy: usize, ox: usize) -> f32 {
    let rows = (0..g.kh).filter(|&ki| g.iy(oy, ki).is_some()).count();
    let cols = (0..g.kw).filter(|&kj| g.ix(ox, kj).is_some()).count();
    (rows * cols) as f32
}

/// Mean over each window's in-image values.
pub fn avg_pool(x: &[f32], g: &Geom, out: &mut [f32]) {
    let (c, per_out) = (g.c, g.pixels() * g.c);
    for (s, xs) in x.chunks_exact(g.in_len().max(1)).enumerate() {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let p = s * per_out + (oy * g.ow + ox) * c;
                let o = &mut out[p..p + c];
                o.fill(0.0);
                window(g, oy, ox, |base| {
                    o.iter_mut()
                        .zip(&xs[base..base + c])
                        .for_each(|(a, b)| *a += b);
                });
                let inv = 1.0 / count(g, oy, ox);
                o.iter_mut().for_each(|v| *v *= inv);
            }
        }
    }
}

/// Spread each output gradient evenly over its window's in-image values (`dx` is added to).
pub fn avg_pool_back(grad: &[f32], g: &Geom, dx: &mut [f32]) {
    let (c, per_out) = (g.c, g.pixels() * g.c);
    for (s, dxs) in dx.chunks_exact_mut(g.in_len().max(1)).enumerate() {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let p = s * per_out + (oy * g.ow + ox) * c;
                let inv = 1.0 / count(g, oy, ox);
                let gv = &grad[p..p + c];
                window(g, oy, ox, |base| {
                    dxs[base..base + c]
                        .iter_mut()
                        .zip(gv)
                        .for_each(|(a, b)| *a += b * inv);
                });
            }
        }
    }
}
