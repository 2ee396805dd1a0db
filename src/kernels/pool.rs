//! Pooling loops over whole NHWC samples, with the window geometry of im2col.rs (dilation 1).
//! Padding never takes part: max pooling ignores it, average pooling divides by the values inside
//! the image, as TensorFlow does for 'same'. Each entry point runs its loops compiled for the
//! run-time SIMD level (`simd_level::vectorize`); the helpers are inlined into it.
use super::fresh::{filled, zeroed};
use super::im2col::Geom;
use super::simd_level::vectorize;
use std::mem::MaybeUninit;

/// Visit the in-image positions (offset of channel 0 within a sample) of output pixel (oy, ox).
#[inline(always)]
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

/// Whether the windows tile the image: stride = window, no dilation, every window inside the image
/// (Keras' default MaxPooling2D with 'valid'; 'same' can pad the bottom and right only). Each input
/// value then lies in at most one window, and the loops below need no bounds checks per tap.
#[inline(always)]
fn tiled(g: &Geom) -> bool {
    g.sh == g.kh
        && g.sw == g.kw
        && g.dh == 1
        && g.dw == 1
        && g.pt == 0
        && g.pl == 0
        && g.oh * g.kh <= g.h
        && g.ow * g.kw <= g.w
}

/// Offset (of channel 0, within a sample) of tap (ki, kj) of output pixel (oy, ox) in a tiled pooling.
#[inline(always)]
fn tile_tap(g: &Geom, oy: usize, ox: usize, ki: usize, kj: usize) -> usize {
    ((oy * g.kh + ki) * g.w + ox * g.kw + kj) * g.c
}

/// Max over each window (NaN is skipped, as by `f32::max`); every value of `out` is written.
pub fn max_pool_values(x: &[f32], g: &Geom, out: &mut [MaybeUninit<f32>]) {
    vectorize(
        #[inline(always)]
        || max_pool_values_body(x, g, out),
    )
}

#[inline(always)]
fn max_pool_values_body(x: &[f32], g: &Geom, out: &mut [MaybeUninit<f32>]) {
    let (c, per_out) = (g.c, g.pixels() * g.c);
    if tiled(g) {
        for (s, xs) in x.chunks_exact(g.in_len().max(1)).enumerate() {
            for p in 0..g.pixels() {
                let (oy, ox) = (p / g.ow, p % g.ow);
                let o = &mut out[s * per_out + p * c..s * per_out + (p + 1) * c];
                let first = tile_tap(g, oy, ox, 0, 0);
                o.iter_mut().zip(&xs[first..first + c]).for_each(|(o, &v)| {
                    o.write(v);
                });
                // SAFETY: written just above.
                let o = unsafe { &mut *(o as *mut [MaybeUninit<f32>] as *mut [f32]) };
                for t in 1..g.kh * g.kw {
                    let base = tile_tap(g, oy, ox, t / g.kw, t % g.kw);
                    o.iter_mut()
                        .zip(&xs[base..base + c])
                        .for_each(|(o, &v)| *o = o.max(v));
                }
            }
        }
        return;
    }
    max_pool_values_windows(x, g, out)
}

/// `max_pool_values` for any geometry.
#[inline(always)]
fn max_pool_values_windows(x: &[f32], g: &Geom, out: &mut [MaybeUninit<f32>]) {
    let (c, per_out) = (g.c, g.pixels() * g.c);
    for (s, xs) in x.chunks_exact(g.in_len().max(1)).enumerate() {
        for p in 0..g.pixels() {
            let o = filled(
                &mut out[s * per_out + p * c..s * per_out + (p + 1) * c],
                f32::NEG_INFINITY,
            );
            window(
                g,
                p / g.ow,
                p % g.ow,
                #[inline(always)]
                |base| {
                    let v = &xs[base..base + c];
                    for ch in 0..c {
                        o[ch] = o[ch].max(v[ch]);
                    }
                },
            );
        }
    }
}

/// dx for max pooling: each output gradient goes to the first value of its window that equals the
/// window's maximum `y` (ties: the first in the window gets it all). The winners are found again
/// here from the input rather than stored by the forward pass: that kept an offset per output and
/// cost the forward pass more memory traffic (5.5 MB for the MNIST CNN's first pooling) than this
/// search costs. Every value of `dx` is written.
pub fn max_pool_back(x: &[f32], y: &[f32], grad: &[f32], g: &Geom, dx: &mut [MaybeUninit<f32>]) {
    vectorize(
        #[inline(always)]
        || {
            if tiled(g) {
                max_pool_back_tiled(x, y, grad, g, dx)
            } else {
                max_pool_back_windows(x, y, grad, g, dx)
            }
        },
    )
}

/// `max_pool_back` for any geometry: dx zeroed, then each gradient added at its winner.
#[inline(always)]
fn max_pool_back_windows(
    x: &[f32],
    y: &[f32],
    grad: &[f32],
    g: &Geom,
    dx: &mut [MaybeUninit<f32>],
) {
    let (c, per_out, in_len) = (g.c, g.pixels() * g.c, g.in_len());
    let mut taps = Vec::with_capacity(g.kh * g.kw);
    let mut win = vec![0usize; c];
    for (s, xs) in x.chunks_exact(in_len.max(1)).enumerate() {
        // One sample at a time: zeroed right before its gradients land, while in cache.
        let dxs = zeroed(&mut dx[s * in_len..(s + 1) * in_len]);
        for p in 0..g.pixels() {
            let span = s * per_out + p * c..s * per_out + (p + 1) * c;
            let (o, gs) = (&y[span.clone()], &grad[span]);
            taps.clear();
            window(g, p / g.ow, p % g.ow, |base| taps.push(base));
            // Last tap first, so the first equal tap writes last; masks instead of branches let
            // the channel loop vectorise. No tap equals a window of NaNs: its gradient is dropped.
            win.fill(usize::MAX);
            for &base in taps.iter().rev() {
                let v = &xs[base..base + c];
                for ch in 0..c {
                    let hit = ((v[ch] == o[ch]) as usize).wrapping_neg();
                    win[ch] = (win[ch] & !hit) | ((base + ch) & hit);
                }
            }
            for (&i, &gv) in win.iter().zip(gs) {
                if let Some(d) = dxs.get_mut(i) {
                    *d += gv;
                }
            }
        }
    }
}

/// `max_pool_back` for tiled windows: each input value is written once, with its window's gradient
/// if it is that window's first maximum and 0 otherwise, so dx needs no zero-filling first.
#[inline(always)]
fn max_pool_back_tiled(x: &[f32], y: &[f32], grad: &[f32], g: &Geom, dx: &mut [MaybeUninit<f32>]) {
    let (c, per_out, in_len) = (g.c, g.pixels() * g.c, g.in_len());
    let mut rest = vec![0.0f32; c];
    for (s, xs) in x.chunks_exact(in_len.max(1)).enumerate() {
        let dxs = &mut dx[s * in_len..(s + 1) * in_len];
        // The image's last rows and columns that no window reaches get no gradient.
        for iy in 0..g.h {
            for ix in 0..g.w {
                if iy >= g.oh * g.kh || ix >= g.ow * g.kw {
                    let at = (iy * g.w + ix) * c;
                    dxs[at..at + c].fill(MaybeUninit::new(0.0));
                }
            }
        }
        for p in 0..g.pixels() {
            let (oy, ox) = (p / g.ow, p % g.ow);
            let span = s * per_out + p * c..s * per_out + (p + 1) * c;
            let o = &y[span.clone()];
            // The gradient not yet handed out: the first tap equal to the maximum takes it.
            rest.copy_from_slice(&grad[span]);
            for t in 0..g.kh * g.kw {
                let base = tile_tap(g, oy, ox, t / g.kw, t % g.kw);
                let (v, d) = (&xs[base..base + c], &mut dxs[base..base + c]);
                // Bit masks rather than `if`: the compiler kept branches there, which real images
                // (ties and near-ties everywhere) mispredicted, at a fifth of a CNN train step.
                for ch in 0..c {
                    let hit = ((v[ch] == o[ch]) as u32).wrapping_neg();
                    let r = rest[ch].to_bits();
                    d[ch].write(f32::from_bits(r & hit));
                    rest[ch] = f32::from_bits(r & !hit);
                }
            }
        }
    }
}

/// Number of in-image positions in the window of output pixel (oy, ox).
#[inline(always)]
fn count(g: &Geom, oy: usize, ox: usize) -> f32 {
    let rows = (0..g.kh).filter(|&ki| g.iy(oy, ki).is_some()).count();
    let cols = (0..g.kw).filter(|&kj| g.ix(ox, kj).is_some()).count();
    (rows * cols) as f32
}

/// Mean over each window's in-image values.
pub fn avg_pool(x: &[f32], g: &Geom, out: &mut [f32]) {
    vectorize(
        #[inline(always)]
        || avg_pool_body(x, g, out),
    )
}

#[inline(always)]
fn avg_pool_body(x: &[f32], g: &Geom, out: &mut [f32]) {
    let (c, per_out) = (g.c, g.pixels() * g.c);
    for (s, xs) in x.chunks_exact(g.in_len().max(1)).enumerate() {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let p = s * per_out + (oy * g.ow + ox) * c;
                let o = &mut out[p..p + c];
                o.fill(0.0);
                window(
                    g,
                    oy,
                    ox,
                    #[inline(always)]
                    |base| {
                        o.iter_mut()
                            .zip(&xs[base..base + c])
                            .for_each(|(a, b)| *a += b);
                    },
                );
                let inv = 1.0 / count(g, oy, ox);
                o.iter_mut().for_each(|v| *v *= inv);
            }
        }
    }
}

/// Spread each output gradient evenly over its window's in-image values (`dx` is added to).
pub fn avg_pool_back(grad: &[f32], g: &Geom, dx: &mut [f32]) {
    vectorize(
        #[inline(always)]
        || avg_pool_back_body(grad, g, dx),
    )
}

#[inline(always)]
fn avg_pool_back_body(grad: &[f32], g: &Geom, dx: &mut [f32]) {
    let (c, per_out) = (g.c, g.pixels() * g.c);
    for (s, dxs) in dx.chunks_exact_mut(g.in_len().max(1)).enumerate() {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let p = s * per_out + (oy * g.ow + ox) * c;
                let inv = 1.0 / count(g, oy, ox);
                let gv = &grad[p..p + c];
                window(
                    g,
                    oy,
                    ox,
                    #[inline(always)]
                    |base| {
                        dxs[base..base + c]
                            .iter_mut()
                            .zip(gv)
                            .for_each(|(a, b)| *a += b * inv);
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: impl Fn(&mut [MaybeUninit<f32>]), len: usize) -> Vec<f32> {
        let mut v = vec![MaybeUninit::new(f32::NAN); len];
        f(&mut v);
        // SAFETY: initialised above (and overwritten by `f`).
        v.iter().map(|m| unsafe { m.assume_init() }).collect()
    }

    #[test]
    fn tiled_paths_match_the_general_ones_with_ties_and_uncovered_edges() {
        // 7×5 image, 2×2 windows with stride 2: the last row and column belong to no window.
        let g = Geom::new([7, 5, 3], [2, 2], [2, 2], [1, 1], false);
        assert!(tiled(&g));
        let n = 2;
        let x: Vec<f32> = (0..n * g.in_len()).map(|i| ((i * 7) % 4) as f32).collect();
        let per_out = g.pixels() * g.c;
        let y = run(|o| max_pool_values(&x, &g, o), n * per_out);
        assert_eq!(y, run(|o| max_pool_values_windows(&x, &g, o), n * per_out));
        let grad: Vec<f32> = (0..n * per_out).map(|i| i as f32 + 1.0).collect();
        let len = n * g.in_len();
        let fast = run(|d| max_pool_back_tiled(&x, &y, &grad, &g, d), len);
        assert_eq!(
            fast,
            run(|d| max_pool_back_windows(&x, &y, &grad, &g, d), len)
        );
        // Ties: each window's gradient lands once, in full.
        assert_eq!(fast.iter().sum::<f32>(), grad.iter().sum::<f32>());
    }

    #[test]
    fn every_level_pools_as_the_portable_path_with_nan_and_inf() {
        use crate::kernels::simd_level::testing::{every_level_matches_portable, values};
        use crate::kernels::simd_level::vectorize_at;
        // Channel counts around the vector widths; tiled and overlapping/padded windows.
        for c in [1, 7, 15, 17, 33] {
            for (k, st, same) in [(2, 2, false), (3, 2, true), (3, 1, false)] {
                let g = Geom::new([7, 6, c], [k, k], [st, st], [1, 1], same);
                let n = 2;
                let mut x = values(n * g.in_len(), c as u64, true);
                // Ties inside windows.
                for i in (0..x.len()).step_by(5) {
                    x[i] = 1.0;
                }
                let per_out = g.pixels() * g.c;
                let grad = values(n * per_out, 9, true);
                let y = run(|o| max_pool_values(&x, &g, o), n * per_out);
                let what = format!("pool c={c} k={k} s={st} same={same}");
                every_level_matches_portable(&what, |l| {
                    let mut all = run(
                        |o| {
                            vectorize_at(
                                l,
                                #[inline(always)]
                                || max_pool_values_body(&x, &g, o),
                            )
                        },
                        n * per_out,
                    );
                    all.extend(run(
                        |d| {
                            vectorize_at(
                                l,
                                #[inline(always)]
                                || {
                                    if tiled(&g) {
                                        max_pool_back_tiled(&x, &y, &grad, &g, d)
                                    } else {
                                        max_pool_back_windows(&x, &y, &grad, &g, d)
                                    }
                                },
                            )
                        },
                        n * g.in_len(),
                    ));
                    let mut avg = vec![0.0; n * per_out];
                    vectorize_at(
                        l,
                        #[inline(always)]
                        || avg_pool_body(&x, &g, &mut avg),
                    );
                    let mut back = vec![0.5; n * g.in_len()];
                    vectorize_at(
                        l,
                        #[inline(always)]
                        || avg_pool_back_body(&grad, &g, &mut back),
                    );
                    all.extend(avg);
                    all.extend(back);
                    all
                });
            }
        }
    }
}
