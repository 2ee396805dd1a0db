//! 3×3 stride-1 convolutions by Winograd's F(2×2, 3×3) (Lavin & Gray, 2015): each 2×2 block of
//! outputs comes from a 4×4 input tile with 16 multiplies per (input, output) channel pair instead of
//! 36, so the products shrink 2.25× (less the partial tiles at an odd edge). The 16 products per
//! group of tiles are GEMMs of (tiles × cin)·(cin × cout), run by faer like im2col's.
//!
//! Forward: V = Bᵀ·d·B per tile and input channel, U = G·g·Gᵀ per kernel channel pair,
//! M[ξ] = V[ξ]·U[ξ] for each of the 16 tile positions ξ, y = Aᵀ·M·A. The kernel gradient is the
//! adjoint of those linear maps: dM = A·dz·Aᵀ, dU[ξ] = V[ξ]ᵀ·dM[ξ], dg = Gᵀ·dU·G, so it is the
//! exact gradient of what the forward computed, which equals the convolution's up to rounding. The
//! input gradient is itself a 3×3 stride-1 convolution (`transposed`), so `forward` computes it.
//!
//! The transforms run across channels, `L` lanes at a time, at the run-time SIMD level.
use super::gemm::{matmul_serial as gemm, Operand};
use super::im2col::Geom;
use super::simd_level::{vectorize_at, Level};
use std::mem::MaybeUninit;

/// Channels handled together by the transforms (one AVX-512 register, two AVX2 ones).
const L: usize = 16;
/// Tiles per group of products: V and M of 256 tiles × 32-64 channels stay in L2, and products of
/// 256 rows run faer near the rate of im2col's larger ones.
const GROUP_TILES: usize = 256;
/// Fewer input channels than this keep im2col: the products' inner dimension would be the channel
/// count, too short for the GEMM (the first layer of an image network has 1-3).
pub const MIN_CHANNELS: usize = 8;

type Lanes = [f32; L];
/// The padding's input rows.
static ZERO: Lanes = [0.0; L];

/// Whether `g` with `cout` filters is a convolution this file can compute: 3×3, stride 1, no
/// dilation, and channel counts that are whole multiples of the lane width (32, 64, 128… as image
/// networks have; others keep im2col rather than a second, masked path).
pub fn applies(g: &Geom, cout: usize) -> bool {
    (g.kh, g.kw, g.sh, g.sw, g.dh, g.dw) == (3, 3, 1, 1, 1, 1)
        && g.c >= MIN_CHANNELS
        && g.c.is_multiple_of(L)
        && cout.is_multiple_of(L)
        && cout > 0
}

/// (tile rows, tile columns) of one sample.
fn tiles(g: &Geom) -> (usize, usize) {
    (g.oh.div_ceil(2), g.ow.div_ceil(2))
}

/// Samples per group of products.
pub fn group_size(g: &Geom) -> usize {
    let (th, tw) = tiles(g);
    (GROUP_TILES / (th * tw).max(1)).max(1)
}

/// Scratch floats one group of `samples` needs: the input tiles V and the products M.
pub fn scratch_len(g: &Geom, samples: usize, cout: usize) -> usize {
    let (th, tw) = tiles(g);
    16 * samples * th * tw * (g.c + cout)
}

/// The `L` values of `s` from `at`.
#[inline(always)]
fn lanes(s: &[f32], at: usize) -> &Lanes {
    s[at..at + L].try_into().unwrap()
}

/// The R×C tile whose element (i, j) is `f(i, j)`.
#[inline(always)]
fn grid<'a, const R: usize, const C: usize>(
    f: impl Fn(usize, usize) -> &'a Lanes,
) -> [[&'a Lanes; C]; R] {
    let mut t = [[&ZERO; C]; R];
    for (i, row) in t.iter_mut().enumerate() {
        for (j, e) in row.iter_mut().enumerate() {
            *e = f(i, j);
        }
    }
    t
}

/// `d = v`, `d` not yet initialised.
#[inline(always)]
fn write_fresh(d: &mut [MaybeUninit<f32>], v: &Lanes) {
    assert!(d.len() >= L);
    // SAFETY: `d` has room for the `L` values (checked), and `v` is a separate array.
    unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), d.as_mut_ptr().cast::<f32>(), L) }
}

/// `d[..L] += v`, on a fixed-length array so that it compiles to vector adds (on a slice the
/// compiler left it a scalar loop).
#[inline(always)]
fn add_lanes(d: &mut [f32], v: &Lanes) {
    let d: &mut Lanes = (&mut d[..L]).try_into().unwrap();
    for (d, v) in d.iter_mut().zip(v) {
        *d += v;
    }
}

/// Apply a separable 2-D transform to an R×C tile whose elements are `L` channels each: `fc` to
/// every column, then `fr` to every row, written per lane in plain scalar code, which the compiler
/// turns into vector code across the lanes.
#[inline(always)]
fn per_lane<const R: usize, const C: usize, const P: usize, const Q: usize>(
    src: &[[&Lanes; C]; R],
    fc: impl Fn([f32; R]) -> [f32; P],
    fr: impl Fn([f32; C]) -> [f32; Q],
) -> [[Lanes; Q]; P] {
    let mut out = [[[0.0; L]; Q]; P];
    for l in 0..L {
        let mut mid = [[0.0f32; C]; P];
        for j in 0..C {
            let mut col = [0.0; R];
            for i in 0..R {
                col[i] = src[i][j][l];
            }
            let t = fc(col);
            for i in 0..P {
                mid[i][j] = t[i];
            }
        }
        for i in 0..P {
            let t = fr(mid[i]);
            for j in 0..Q {
                out[i][j][l] = t[j];
            }
        }
    }
    out
}

/// Bᵀ·v (input transform).
#[inline(always)]
fn bt([a, b, c, d]: [f32; 4]) -> [f32; 4] {
    [a - c, b + c, c - b, b - d]
}
/// G·g (kernel transform).
#[inline(always)]
fn gk([a, b, c]: [f32; 3]) -> [f32; 4] {
    [a, 0.5 * (a + b + c), 0.5 * (a - b + c), c]
}
/// Gᵀ·u (its adjoint).
#[inline(always)]
fn gt([a, b, c, d]: [f32; 4]) -> [f32; 3] {
    [a + 0.5 * (b + c), 0.5 * (b - c), 0.5 * (b + c) + d]
}
/// Aᵀ·m (output transform).
#[inline(always)]
fn at([a, b, c, d]: [f32; 4]) -> [f32; 2] {
    [a + b + c, b - c - d]
}
/// A·y (its adjoint).
#[inline(always)]
fn a([y0, y1]: [f32; 2]) -> [f32; 4] {
    [y0, y0 + y1, y0 - y1, -y1]
}

/// U (16 × cin × cout) of an HWIO 3×3 kernel `w`.
pub fn kernel_transform(w: &[f32], cin: usize, cout: usize, level: Level) -> Vec<f32> {
    per_channel_pair::<3, 4>(w, cin, cout, gk, level)
}

/// The kernel gradient (HWIO, 9 × cin × cout) of dU (16 × cin × cout).
pub fn kernel_grad(du: &[f32], cin: usize, cout: usize, level: Level) -> Vec<f32> {
    per_channel_pair::<4, 3>(du, cin, cout, gt, level)
}

/// The P×P tile that `f` applied to columns and then rows makes of each (input, output) channel
/// pair's R×R tile of `src` (R·R × cin × cout), as (P·P × cin × cout).
#[inline(always)]
fn per_channel_pair<const R: usize, const P: usize>(
    src: &[f32],
    cin: usize,
    cout: usize,
    f: impl Fn([f32; R]) -> [f32; P] + Copy,
    level: Level,
) -> Vec<f32> {
    let mut out = vec![0.0f32; P * P * cin * cout];
    vectorize_at(
        level,
        #[inline(always)]
        || {
            for ci in 0..cin {
                for c0 in (0..cout).step_by(L) {
                    let at = |i: usize, j: usize| lanes(src, c0 + ((i * R + j) * cin + ci) * cout);
                    let tile: [[_; R]; R] = grid(at);
                    let t = per_lane(&tile, f, f);
                    for (k, row) in t.iter().flatten().enumerate() {
                        let o = (k * cin + ci) * cout + c0;
                        out[o..o + L].copy_from_slice(row);
                    }
                }
            }
        },
    );
    out
}

/// Input offset (pixel index) of tile (ti, tj)'s element (r, q), if inside the sample.
#[inline(always)]
fn input_at(g: &Geom, ti: usize, tj: usize, r: usize, q: usize) -> Option<usize> {
    let h = (2 * ti + r).checked_sub(g.pt).filter(|&h| h < g.h)?;
    let w = (2 * tj + q).checked_sub(g.pl).filter(|&w| w < g.w)?;
    Some(h * g.w + w)
}

/// Output pixel index of tile (ti, tj)'s element (r, q), if inside the sample.
#[inline(always)]
fn output_at(g: &Geom, ti: usize, tj: usize, r: usize, q: usize) -> Option<usize> {
    let (h, w) = (2 * ti + r, 2 * tj + q);
    (h < g.oh && w < g.ow).then_some(h * g.ow + w)
}

/// Call `f(sample, ti, tj, tile)` for every tile of `samples` samples, in V's order, compiled at
/// `level` (`f` is written `#[inline(always)] |..|` to be compiled with it).
#[inline(always)]
fn each_tile(
    g: &Geom,
    samples: usize,
    level: Level,
    mut f: impl FnMut(usize, usize, usize, usize),
) {
    let (th, tw) = tiles(g);
    vectorize_at(
        level,
        #[inline(always)]
        || {
            for s in 0..samples {
                for ti in 0..th {
                    for tj in 0..tw {
                        f(s, ti, tj, (s * th + ti) * tw + tj);
                    }
                }
            }
        },
    )
}

/// V (16 × tiles × cin) of the whole samples `x`.
fn input_transform(x: &[f32], g: &Geom, v: &mut [f32], level: Level) {
    let (th, tw) = tiles(g);
    let (cin, samples) = (g.c, x.len() / g.in_len());
    let t_all = samples * th * tw;
    each_tile(
        g,
        samples,
        level,
        #[inline(always)]
        |s, ti, tj, t| {
            let xs = &x[s * g.in_len()..(s + 1) * g.in_len()];
            let mut at = [[None; 4]; 4];
            for (r, row) in at.iter_mut().enumerate() {
                for (q, e) in row.iter_mut().enumerate() {
                    *e = input_at(g, ti, tj, r, q);
                }
            }
            for c0 in (0..cin).step_by(L) {
                let src: [[_; 4]; 4] = grid(
                    #[inline(always)]
                    |r, q| at[r][q].map_or(&ZERO, |p| lanes(xs, p * cin + c0)),
                );
                let out = per_lane(&src, bt, bt);
                for (xi, row) in out.iter().flatten().enumerate() {
                    let o = (xi * t_all + t) * cin + c0;
                    v[o..o + L].copy_from_slice(row);
                }
            }
        },
    );
}

/// y = Aᵀ·M·A (+ bias, then ReLU when asked) into the whole samples' outputs `y`, each written once.
fn output_transform(
    m: &[f32],
    g: &Geom,
    cout: usize,
    bias: Option<&[f32]>,
    relu: bool,
    y: &mut [MaybeUninit<f32>],
    level: Level,
) {
    let (th, tw) = tiles(g);
    let out_len = g.oh * g.ow * cout;
    let samples = y.len() / out_len;
    let t_all = samples * th * tw;
    each_tile(
        g,
        samples,
        level,
        #[inline(always)]
        |s, ti, tj, t| {
            for c0 in (0..cout).step_by(L) {
                let at_x = |i: usize, j: usize| lanes(m, ((i * 4 + j) * t_all + t) * cout + c0);
                let src: [[_; 4]; 4] = grid(at_x);
                let bv = bias.map_or(&ZERO, |b| lanes(b, c0));
                let out = per_lane(&src, at, at);
                for (r, row) in out.iter().enumerate() {
                    for (q, val) in row.iter().enumerate() {
                        if let Some(p) = output_at(g, ti, tj, r, q) {
                            let o = s * out_len + p * cout + c0;
                            let mut v = *val;
                            for (v, b) in v.iter_mut().zip(bv) {
                                *v += b;
                            }
                            if relu {
                                v = v.map(|v| v.max(0.0));
                            }
                            write_fresh(&mut y[o..o + L], &v);
                        }
                    }
                }
            }
        },
    );
}

/// dM = A·dz·Aᵀ (16 × tiles × cout) of the whole samples' output gradient `dz`, and db += Σ dz
/// when `db` is given (summed here, as each value is read, to save a pass over the gradient).
fn grad_transform(
    dz: &[f32],
    g: &Geom,
    cout: usize,
    dm: &mut [f32],
    mut db: Option<&mut [f32]>,
    level: Level,
) {
    let (th, tw) = tiles(g);
    let out_len = g.oh * g.ow * cout;
    let samples = dz.len() / out_len;
    let t_all = samples * th * tw;
    each_tile(
        g,
        samples,
        level,
        #[inline(always)]
        |s, ti, tj, t| {
            for c0 in (0..cout).step_by(L) {
                let at_z = |r: usize, q: usize| {
                    output_at(g, ti, tj, r, q)
                        .map_or(&ZERO, |p| lanes(dz, s * out_len + p * cout + c0))
                };
                let src: [[_; 2]; 2] = grid(at_z);
                if let Some(db) = db.as_deref_mut() {
                    for (r, row) in src.iter().enumerate() {
                        for (q, e) in row.iter().enumerate() {
                            if output_at(g, ti, tj, r, q).is_some() {
                                add_lanes(&mut db[c0..], e);
                            }
                        }
                    }
                }
                let out = per_lane(&src, a, a);
                for (xi, row) in out.iter().flatten().enumerate() {
                    let o = (xi * t_all + t) * cout + c0;
                    dm[o..o + L].copy_from_slice(row);
                }
            }
        },
    );
}

fn op(data: &[f32], trans: bool) -> Operand<'_> {
    Operand { data, trans }
}

/// y (+ bias, ReLU) of the whole samples `x` with the transformed kernel `u`; `buf` holds
/// `scratch_len` floats for those samples. Every output is written; returns them initialised.
#[allow(clippy::too_many_arguments)]
pub fn forward<'y>(
    x: &[f32],
    u: &[f32],
    g: &Geom,
    cout: usize,
    bias: Option<&[f32]>,
    relu: bool,
    buf: &mut [f32],
    y: &'y mut [MaybeUninit<f32>],
    level: Level,
) -> &'y mut [f32] {
    let (th, tw) = tiles(g);
    let t_all = x.len() / g.in_len() * th * tw;
    let (v, m) = buf.split_at_mut(16 * t_all * g.c);
    input_transform(x, g, v, level);
    let (vl, ul, ml) = (t_all * g.c, g.c * cout, t_all * cout);
    for xi in 0..16 {
        let (vx, ux) = (&v[xi * vl..(xi + 1) * vl], &u[xi * ul..(xi + 1) * ul]);
        gemm(
            t_all,
            g.c,
            cout,
            op(vx, false),
            op(ux, false),
            &mut m[xi * ml..(xi + 1) * ml],
            false,
        );
    }
    output_transform(&m[..16 * ml], g, cout, bias, relu, y, level);
    // SAFETY: the tiles cover every output of the samples and `output_transform` wrote each one.
    unsafe { &mut *(y as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// The geometry of the input gradient's convolution. The input gradient of a 3×3 stride-1
/// convolution is itself one: of dz (oh × ow × cout) with the kernel turned 180° and its channel
/// axes swapped (`transposed_kernel`), padded by 2 less the forward's padding, giving h × w × cin.
/// So `forward` computes it too, each dx written once, instead of a scatter of overlapping tiles.
pub fn transposed(g: &Geom, cout: usize) -> Geom {
    Geom {
        h: g.oh,
        w: g.ow,
        c: cout,
        pt: 2 - g.pt,
        pl: 2 - g.pl,
        oh: g.h,
        ow: g.w,
        ..*g
    }
}

/// The HWIO kernel (3 × 3 × cout × cin) of `transposed`'s convolution: w[2−i][2−j]ᵀ.
pub fn transposed_kernel(w: &[f32], cin: usize, cout: usize) -> Vec<f32> {
    let mut t = vec![0.0f32; 9 * cin * cout];
    for k in 0..9 {
        let (src, dst) = (
            &w[(8 - k) * cin * cout..][..cin * cout],
            &mut t[k * cin * cout..],
        );
        for ci in 0..cin {
            for co in 0..cout {
                dst[co * cin + ci] = src[ci * cout + co];
            }
        }
    }
    t
}

/// Scratch floats `backward` needs for `samples` samples: `forward`'s for dx's convolution, or
/// V and dM, whichever is larger.
pub fn backward_scratch_len(g: &Geom, samples: usize, cout: usize) -> usize {
    scratch_len(g, samples, cout).max(scratch_len(&transposed(g, cout), samples, g.c))
}

/// The gradients `backward` computes; each only when given.
pub struct Grads<'a> {
    /// dU (16 × cin × cout), += Vᵀ·dM.
    pub du: Option<&'a mut [f32]>,
    /// The bias gradient (cout), += Σ dz.
    pub db: Option<&'a mut [f32]>,
    /// The samples' input gradient, written (`forward` of dz by `transposed`, kernel `ut`).
    pub dx: Option<(&'a [f32], &'a mut [MaybeUninit<f32>])>,
}

/// The backward pass of `forward` for the whole samples `x`, whose output gradient is `dz` (after
/// the fused ReLU's mask). `buf` holds `backward_scratch_len` floats for those samples.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    x: &[f32],
    dz: &[f32],
    g: &Geom,
    cout: usize,
    buf: &mut [f32],
    grads: Grads,
    level: Level,
) {
    let Grads { du, db, dx } = grads;
    if du.is_some() || db.is_some() {
        let (th, tw) = tiles(g);
        let t_all = dz.len() / (g.oh * g.ow * cout) * th * tw;
        let (v, dm) = buf.split_at_mut(16 * t_all * g.c);
        let (vl, ul, ml) = (t_all * g.c, g.c * cout, t_all * cout);
        grad_transform(dz, g, cout, dm, db, level);
        if let Some(du) = du {
            input_transform(x, g, v, level);
            for xi in 0..16 {
                let (vx, dmx) = (&v[xi * vl..(xi + 1) * vl], &dm[xi * ml..(xi + 1) * ml]);
                let dux = &mut du[xi * ul..(xi + 1) * ul];
                gemm(g.c, t_all, cout, op(vx, true), op(dmx, false), dux, true);
            }
        }
    }
    if let Some((ut, dx)) = dx {
        forward(
            dz,
            ut,
            &transposed(g, cout),
            g.c,
            None,
            false,
            buf,
            dx,
            level,
        );
    }
}

#[cfg(test)]
#[path = "winograd_tests.rs"]
mod tests;
