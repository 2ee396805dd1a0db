//! Depthwise convolution's loops over NHWC samples. Output channel j = c·dm + m reads input
//! channel c only, so there is no shared reduction to hand to the GEMM, and an im2col copy only
//! adds memory traffic. Each loop visits the (output pixel, tap) pairs whose input pixel is inside
//! the image and runs over that pixel's contiguous channels, which the compiler vectorises. With
//! dm > 1 each sample is first widened to C·dm channels (value c repeated dm times), so the inner
//! loops stay long and contiguous (loops over runs of dm values were 2.5-4x slower at dm = 2,
//! 64×28×28×32 with a 3×3 kernel, timed on a busy 2-vCPU machine).
//! `w` is the (taps, C, dm) kernel, i.e. a (taps, C·dm) matrix. Each sample's loops run compiled
//! for the run-time SIMD level (`simd_level::vectorize`); the helpers are inlined into it.
use super::im2col::Geom;
use super::scratch::with_scratch;
use super::simd_level::{level, vectorize_at, Level};

/// `f(p, t, off)` for every output pixel p and tap t of one sample whose input pixel lies inside
/// the image, `off` being the offset of that pixel's channels in the sample.
#[inline(always)]
fn for_each_tap(g: &Geom, mut f: impl FnMut(usize, usize, usize)) {
    for oy in 0..g.oh {
        for ox in 0..g.ow {
            for ki in 0..g.kh {
                let Some(iy) = g.iy(oy, ki) else { continue };
                for kj in 0..g.kw {
                    if let Some(ix) = g.ix(ox, kj) {
                        f(oy * g.ow + ox, ki * g.kw + kj, (iy * g.w + ix) * g.c);
                    }
                }
            }
        }
    }
}

#[inline(always)]
fn fma(o: &mut [f32], a: &[f32], b: &[f32]) {
    o.iter_mut()
        .zip(a.iter().zip(b))
        .for_each(|(o, (a, b))| *o += a * b);
}

/// Run `f` on each sample of `x` widened to C·dm channels (the sample itself when dm is 1), with
/// the geometry of the widened sample.
fn widened(x: &[f32], g: &Geom, dm: usize, mut f: impl FnMut(usize, &[f32], &Geom)) {
    let gw = Geom { c: g.c * dm, ..*g };
    if dm == 1 {
        x.chunks_exact(g.in_len())
            .enumerate()
            .for_each(|(s, xs)| f(s, xs, &gw));
        return;
    }
    with_scratch(g.in_len() * dm, |wide| {
        for (s, xs) in x.chunks_exact(g.in_len()).enumerate() {
            for (d, &v) in wide.chunks_exact_mut(dm).zip(xs) {
                d.fill(v);
            }
            f(s, wide, &gw);
        }
    });
}

/// `out (pixels × C·dm) += Σ_t x[pixel at tap t] · w[t]` for the whole samples in `x`.
pub fn forward(x: &[f32], w: &[f32], g: &Geom, dm: usize, out: &mut [f32]) {
    forward_at(level(), x, w, g, dm, out)
}

fn forward_at(l: Level, x: &[f32], w: &[f32], g: &Geom, dm: usize, out: &mut [f32]) {
    let width = g.c * dm;
    let per = g.pixels() * width;
    widened(x, g, dm, |s, xs, gw| {
        let os = &mut out[s * per..(s + 1) * per];
        vectorize_at(
            l,
            #[inline(always)]
            || {
                for_each_tap(
                    gw,
                    #[inline(always)]
                    |p, t, off| {
                        let o = &mut os[p * width..(p + 1) * width];
                        fma(o, &xs[off..off + width], &w[t * width..(t + 1) * width]);
                    },
                )
            },
        );
    });
}

/// `dw[t] += Σ_pixels x[pixel at tap t] · dz[pixel]` for the whole samples in `x`.
pub fn add_kernel_grad(x: &[f32], dz: &[f32], g: &Geom, dm: usize, dw: &mut [f32]) {
    add_kernel_grad_at(level(), x, dz, g, dm, dw)
}

fn add_kernel_grad_at(l: Level, x: &[f32], dz: &[f32], g: &Geom, dm: usize, dw: &mut [f32]) {
    let width = g.c * dm;
    let per = g.pixels() * width;
    widened(x, g, dm, |s, xs, gw| {
        let gs = &dz[s * per..(s + 1) * per];
        vectorize_at(
            l,
            #[inline(always)]
            || {
                for_each_tap(
                    gw,
                    #[inline(always)]
                    |p, t, off| {
                        let d = &mut dw[t * width..(t + 1) * width];
                        fma(d, &xs[off..off + width], &gs[p * width..(p + 1) * width]);
                    },
                )
            },
        );
    });
}

/// `dx[pixel at tap t][c] += Σ_m dz[pixel][c·dm + m] · w[t][c·dm + m]`; `dx` holds whole
/// samples and is added to.
pub fn add_input_grad(dz: &[f32], w: &[f32], g: &Geom, dm: usize, dx: &mut [f32]) {
    add_input_grad_at(level(), dz, w, g, dm, dx)
}

fn add_input_grad_at(l: Level, dz: &[f32], w: &[f32], g: &Geom, dm: usize, dx: &mut [f32]) {
    let width = g.c * dm;
    let (per, gw) = (g.pixels() * width, Geom { c: width, ..*g });
    let scatter = |gs: &[f32], d: &mut [f32]| {
        vectorize_at(
            l,
            #[inline(always)]
            || {
                for_each_tap(
                    &gw,
                    #[inline(always)]
                    |p, t, off| {
                        let (gp, wt) = (
                            &gs[p * width..(p + 1) * width],
                            &w[t * width..(t + 1) * width],
                        );
                        fma(&mut d[off..off + width], gp, wt);
                    },
                )
            },
        );
    };
    if dm == 1 {
        for (gs, dxs) in dz.chunks_exact(per).zip(dx.chunks_exact_mut(g.in_len())) {
            scatter(gs, dxs);
        }
        return;
    }
    with_scratch(g.in_len() * dm, |wide| {
        for (gs, dxs) in dz.chunks_exact(per).zip(dx.chunks_exact_mut(g.in_len())) {
            wide.fill(0.0);
            scatter(gs, wide);
            for (d, v) in dxs.iter_mut().zip(wide.chunks_exact(dm)) {
                *d += v.iter().sum::<f32>();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::simd_level::testing::{every_level_matches_portable, values};

    #[test]
    fn every_level_matches_the_portable_path_with_nan_and_inf() {
        for c in [1, 7, 17] {
            for dm in [1, 2] {
                for same in [false, true] {
                    let g = Geom::new([6, 5, c], [3, 3], [1, 1], [1, 1], same);
                    let width = c * dm;
                    let x = values(2 * g.in_len(), 1, true);
                    let w = values(9 * width, 2, true);
                    let dz = values(2 * g.pixels() * width, 3, true);
                    every_level_matches_portable(&format!("depthwise c={c} dm={dm}"), |l| {
                        let mut out = vec![0.5; 2 * g.pixels() * width];
                        forward_at(l, &x, &w, &g, dm, &mut out);
                        let mut dw = vec![0.25; 9 * width];
                        add_kernel_grad_at(l, &x, &dz, &g, dm, &mut dw);
                        let mut dx = vec![0.125; x.len()];
                        add_input_grad_at(l, &dz, &w, &g, dm, &mut dx);
                        out.extend(dw);
                        out.extend(dx);
                        out
                    });
                }
            }
        }
    }
}
