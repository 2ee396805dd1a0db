//! The affine warp behind RandomTranslation, RandomRotation and RandomZoom (and RandomCrop's
//! resize): each output pixel samples the input at a per-image 2×3 map of its coordinates, with
//! Keras' fill modes and interpolations; the backward is the warp's adjoint (each output gradient
//! scattered back with the sampling weights). Images run in parallel on the pool.
use super::augment::ImageDims;
use crate::autograd::Backward;
use crate::error::{Error, Result};
use crate::kernels::parallel::over_batch;
use crate::tensor::Tensor;

/// How points outside the input are filled (Keras' names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillMode {
    /// (d c b a | a b c d | d c b a): reflected about the edge of the last pixel.
    Reflect,
    /// (a b c d | a b c d | a b c d)
    Wrap,
    /// (k k k k | a b c d | k k k k) with k = fill_value.
    Constant,
    /// (a a a a | a b c d | d d d d)
    Nearest,
}

pub const FILL_MODES: [&str; 4] = ["reflect", "wrap", "constant", "nearest"];
pub const INTERPOLATIONS: [&str; 2] = ["nearest", "bilinear"];

impl FillMode {
    pub fn from_name(kind: &str, name: &str) -> Result<FillMode> {
        Ok(match name {
            "reflect" => FillMode::Reflect,
            "wrap" => FillMode::Wrap,
            "constant" => FillMode::Constant,
            "nearest" => FillMode::Nearest,
            other => {
                return Err(Error::invalid(
                    kind,
                    format!("unknown fill_mode '{other}'; expected one of {FILL_MODES:?}"),
                ))
            }
        })
    }
    /// The pixel that stands for index `i` on an axis of `n` pixels; None where the fill value
    /// applies. Applied to each interpolation tap, as Keras' map_coordinates does.
    #[inline]
    fn fix(self, i: i64, n: i64) -> Option<usize> {
        let j = match self {
            FillMode::Constant => return (0..n).contains(&i).then_some(i as usize),
            FillMode::Nearest => i.clamp(0, n - 1),
            FillMode::Wrap => i.rem_euclid(n),
            FillMode::Reflect => {
                let j = i.rem_euclid(2 * n);
                if j >= n {
                    2 * n - 1 - j
                } else {
                    j
                }
            }
        };
        Some(j as usize)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interp {
    Nearest,
    Bilinear,
}

impl Interp {
    pub fn from_name(kind: &str, name: &str) -> Result<Interp> {
        match name {
            "nearest" => Ok(Interp::Nearest),
            "bilinear" => Ok(Interp::Bilinear),
            other => Err(Error::invalid(
                kind,
                format!("unknown interpolation '{other}'; expected one of {INTERPOLATIONS:?}"),
            )),
        }
    }
}

/// Output pixel (x, y) samples the input at (m0·x + m1·y + m2, m3·x + m4·y + m5): Keras'
/// `affine_transform` transform without its projective terms.
pub type Affine = [f64; 6];

/// The geometry of one warp: input h × w × c, output oh × ow × c.
#[derive(Clone, Copy, Debug)]
pub struct Warp {
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub oh: usize,
    pub ow: usize,
    pub fill: FillMode,
    pub interp: Interp,
    pub fill_value: f32,
}

/// One interpolation tap: the input pixel's offset (None: the fill value) and its weight.
type Tap = (Option<usize>, f32);

impl Warp {
    #[inline]
    fn taps(&self, m: &Affine, ox: usize, oy: usize) -> [Tap; 4] {
        let (x, y) = (ox as f64, oy as f64);
        // Clamped so that the casts below stay far from i64's ends.
        let sx = (m[0] * x + m[1] * y + m[2]).clamp(-1e9, 1e9);
        let sy = (m[3] * x + m[4] * y + m[5]).clamp(-1e9, 1e9);
        let (h, w) = (self.h as i64, self.w as i64);
        let at = |yi: i64, xi: i64| -> Option<usize> {
            Some((self.fill.fix(yi, h)? * self.w + self.fill.fix(xi, w)?) * self.c)
        };
        match self.interp {
            Interp::Nearest => {
                let t = (at(sy.round() as i64, sx.round() as i64), 1.0);
                [t, (None, 0.0), (None, 0.0), (None, 0.0)]
            }
            Interp::Bilinear => {
                let (fy, fx) = (sy.floor(), sx.floor());
                let (dy, dx) = ((sy - fy) as f32, (sx - fx) as f32);
                let (y0, x0) = (fy as i64, fx as i64);
                let wts = [
                    (1.0 - dy) * (1.0 - dx),
                    (1.0 - dy) * dx,
                    dy * (1.0 - dx),
                    dy * dx,
                ];
                // Most taps fall inside the image, where no fill rule is needed.
                let offs = if y0 >= 0 && x0 >= 0 && y0 + 1 < h && x0 + 1 < w {
                    let (base, row) = (
                        (y0 as usize * self.w + x0 as usize) * self.c,
                        self.w * self.c,
                    );
                    [
                        Some(base),
                        Some(base + self.c),
                        Some(base + row),
                        Some(base + row + self.c),
                    ]
                } else {
                    let (ya, yb) = (self.fill.fix(y0, h), self.fill.fix(y0 + 1, h));
                    let (xa, xb) = (self.fill.fix(x0, w), self.fill.fix(x0 + 1, w));
                    let at =
                        |yi: Option<usize>, xi: Option<usize>| Some((yi? * self.w + xi?) * self.c);
                    [at(ya, xa), at(ya, xb), at(yb, xa), at(yb, xb)]
                };
                [
                    (offs[0], wts[0]),
                    (offs[1], wts[1]),
                    (offs[2], wts[2]),
                    (offs[3], wts[3]),
                ]
            }
        }
    }

    fn forward_image(&self, m: &Affine, src: &[f32], dst: &mut [f32]) {
        let c = self.c;
        for oy in 0..self.oh {
            for ox in 0..self.ow {
                let out = &mut dst[(oy * self.ow + ox) * c..][..c];
                for (at, wt) in self.taps(m, ox, oy) {
                    match at {
                        _ if wt == 0.0 => {}
                        Some(s) => out
                            .iter_mut()
                            .zip(&src[s..s + c])
                            .for_each(|(o, v)| *o += wt * v),
                        None => out.iter_mut().for_each(|o| *o += wt * self.fill_value),
                    }
                }
            }
        }
    }

    // d(out)/d(in) is the weight of each tap; the fill value takes no gradient.
    fn backward_image(&self, m: &Affine, grad: &[f32], dst: &mut [f32]) {
        let c = self.c;
        for oy in 0..self.oh {
            for ox in 0..self.ow {
                let g = &grad[(oy * self.ow + ox) * c..][..c];
                for (at, wt) in self.taps(m, ox, oy) {
                    if let (Some(s), true) = (at, wt != 0.0) {
                        dst[s..s + c]
                            .iter_mut()
                            .zip(g)
                            .for_each(|(d, v)| *d += wt * v);
                    }
                }
            }
        }
    }

    /// Each of the `mats.len()` images of `x` warped; output n × oh × ow × c.
    pub fn apply(&self, x: &[f32], mats: &[Affine]) -> Vec<f32> {
        let (n, per_in, per_out) = (
            mats.len(),
            self.h * self.w * self.c,
            self.oh * self.ow * self.c,
        );
        let mut out = vec![0.0f32; n * per_out];
        over_batch(n, &mut out, n * per_out * 40, |r, chunk| {
            for (k, i) in r.enumerate() {
                let src = &x[i * per_in..(i + 1) * per_in];
                self.forward_image(&mats[i], src, &mut chunk[k * per_out..(k + 1) * per_out]);
            }
        });
        out
    }

    /// The adjoint of `apply`: the gradient of the input from that of the output.
    pub fn adjoint(&self, grad: &[f32], mats: &[Affine]) -> Vec<f32> {
        let (n, per_in, per_out) = (
            mats.len(),
            self.h * self.w * self.c,
            self.oh * self.ow * self.c,
        );
        let mut g = vec![0.0f32; n * per_in];
        over_batch(n, &mut g, n * per_out * 40, |r, chunk| {
            for (k, i) in r.enumerate() {
                let go = &grad[i * per_out..(i + 1) * per_out];
                self.backward_image(&mats[i], go, &mut chunk[k * per_in..(k + 1) * per_in]);
            }
        });
        g
    }
}

struct WarpBackward {
    kind: &'static str,
    warp: Warp,
    mats: Vec<Affine>,
}

impl Backward for WarpBackward {
    fn name(&self) -> &'static str {
        self.kind
    }
    fn backward(&self, grad: &[f32], _inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        vec![Some(self.warp.adjoint(grad, &self.mats))]
    }
}

/// `x` (images of `dims`) warped by one map per image, recorded for autograd.
pub fn warp_tensor(
    kind: &'static str,
    x: &Tensor,
    dims: ImageDims,
    warp: Warp,
    mats: Vec<Affine>,
) -> Tensor {
    let data = warp.apply(&x.data(), &mats);
    let shape = dims.shape(warp.oh, warp.ow);
    Tensor::from_op(data, shape, WarpBackward { kind, warp, mats }, &[x])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::Rng;

    #[test]
    fn augment_fill_modes_follow_keras_pictures() {
        // Axis of 4 pixels (a b c d), indices -4..8.
        let row = |m: FillMode| -> Vec<Option<usize>> { (-4..8).map(|i| m.fix(i, 4)).collect() };
        let s = |v: &[usize]| v.iter().map(|&i| Some(i)).collect::<Vec<_>>();
        assert_eq!(
            row(FillMode::Reflect),
            s(&[3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0])
        );
        assert_eq!(
            row(FillMode::Wrap),
            s(&[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
        );
        assert_eq!(
            row(FillMode::Nearest),
            s(&[0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3])
        );
        let c = row(FillMode::Constant);
        assert_eq!(c[4..8], s(&[0, 1, 2, 3])[..]);
        assert!(c[..4].iter().chain(&c[8..]).all(Option::is_none));
    }

    #[test]
    fn augment_warp_backward_is_the_adjoint() {
        // <warp(x), g> == <x, adjoint(g)> for random x, g and a non-trivial map.
        let mut rng = Rng::new(3);
        let (h, w, c) = (4, 5, 2);
        for fill in [
            FillMode::Reflect,
            FillMode::Wrap,
            FillMode::Constant,
            FillMode::Nearest,
        ] {
            let warp = Warp {
                h,
                w,
                c,
                oh: 3,
                ow: 6,
                fill,
                interp: Interp::Bilinear,
                fill_value: 0.0,
            };
            let m: Affine = [0.9, 0.3, -1.2, -0.2, 1.1, 0.7];
            let x: Vec<f32> = (0..h * w * c).map(|_| rng.normal()).collect();
            let g: Vec<f32> = (0..3 * 6 * c).map(|_| rng.normal()).collect();
            let y = warp.apply(&x, &[m]);
            let gx = warp.adjoint(&g, &[m]);
            let lhs: f64 = y.iter().zip(&g).map(|(a, b)| (a * b) as f64).sum();
            let rhs: f64 = x.iter().zip(&gx).map(|(a, b)| (a * b) as f64).sum();
            assert!(
                (lhs - rhs).abs() < 1e-4 * (1.0 + lhs.abs()),
                "{fill:?}: {lhs} vs {rhs}"
            );
        }
    }
}
