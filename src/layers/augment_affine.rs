//! RandomTranslation, RandomRotation and RandomZoom: one random affine map per image (Keras'
//! factor ranges and matrices), applied by the warp in augment_warp.rs.
use super::augment::{Bounds, ImageDims};
use super::augment_warp::{warp_tensor, Affine, FillMode, Interp, Warp};
use super::Layer;
use crate::error::{Error, Result};
use crate::init::Rng;
use crate::tensor::Tensor;
use parking_lot::Mutex;

/// Which random map each image draws, with Keras' factor ranges (fractions of the image size for
/// translation, of a full turn for rotation; zoom scales by 1 + factor, negative zooming in).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AffineKind {
    Translation {
        height: Bounds,
        width: Bounds,
    },
    Rotation(Bounds),
    /// `width: None` zooms both axes by the same draw (keeps the aspect ratio).
    Zoom {
        height: Bounds,
        width: Option<Bounds>,
    },
}

/// RandomTranslation, RandomRotation, RandomZoom: in training, one random map per image; at
/// inference the identity.
pub struct RandomAffine {
    pub kind: AffineKind,
    pub fill: FillMode,
    pub interp: Interp,
    pub fill_value: f32,
    rng: Mutex<Rng>,
}

impl RandomAffine {
    pub fn new(
        kind: AffineKind,
        fill_mode: &str,
        interpolation: &str,
        fill_value: f32,
        seed: u64,
    ) -> Result<RandomAffine> {
        let name = kind_name(&kind);
        let unit = Some((-1.0, 1.0));
        let check =
            |what, b: Bounds, allowed| Bounds::new(name, what, b.lo, b.hi, allowed).map(|_| ());
        match kind {
            AffineKind::Translation { height, width } => {
                check("height_factor", height, unit)?;
                check("width_factor", width, unit)?;
            }
            AffineKind::Rotation(f) => check("factor", f, None)?,
            AffineKind::Zoom { height, width } => {
                check("height_factor", height, unit)?;
                width.map_or(Ok(()), |w| check("width_factor", w, unit))?;
            }
        }
        if !fill_value.is_finite() {
            return Err(Error::invalid(
                name,
                format!("fill_value must be finite, got {fill_value}"),
            ));
        }
        Ok(RandomAffine {
            kind,
            fill: FillMode::from_name(name, fill_mode)?,
            interp: Interp::from_name(name, interpolation)?,
            fill_value,
            rng: Mutex::new(Rng::new(seed)),
        })
    }

    /// One image's map from output to input coordinates.
    fn draw(&self, rng: &mut Rng, h: usize, w: usize) -> Affine {
        let (hf, wf) = (h as f64, w as f64);
        match self.kind {
            AffineKind::Translation { height, width } => {
                let dy = height.draw(rng) * hf;
                let dx = width.draw(rng) * wf;
                [1.0, 0.0, -dx, 0.0, 1.0, -dy]
            }
            AffineKind::Rotation(f) => {
                // Positive angles turn the image counter-clockwise about its centre.
                let (s, c) = (f.draw(rng) * std::f64::consts::TAU).sin_cos();
                let (x1, y1) = (wf - 1.0, hf - 1.0);
                let x_off = (x1 - (c * x1 - s * y1)) / 2.0;
                let y_off = (y1 - (s * x1 + c * y1)) / 2.0;
                [c, -s, x_off, s, c, y_off]
            }
            AffineKind::Zoom { height, width } => {
                let zy = 1.0 + height.draw(rng);
                let zx = width.map_or(zy, |b| 1.0 + b.draw(rng));
                let (cx, cy) = ((wf - 1.0) / 2.0, (hf - 1.0) / 2.0);
                [zx, 0.0, cx * (1.0 - zx), 0.0, zy, cy * (1.0 - zy)]
            }
        }
    }
}

fn kind_name(kind: &AffineKind) -> &'static str {
    match kind {
        AffineKind::Translation { .. } => "RandomTranslation",
        AffineKind::Rotation(_) => "RandomRotation",
        AffineKind::Zoom { .. } => "RandomZoom",
    }
}

impl Layer for RandomAffine {
    fn rng(&self) -> Option<&Mutex<Rng>> {
        Some(&self.rng)
    }
    fn kind(&self) -> &'static str {
        kind_name(&self.kind)
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        let dims = ImageDims::of(self.kind(), x.shape())?;
        if !training {
            return Ok(x.clone());
        }
        let mats = {
            let mut rng = self.rng.lock();
            (0..dims.n)
                .map(|_| self.draw(&mut rng, dims.h, dims.w))
                .collect()
        };
        let warp = Warp {
            h: dims.h,
            w: dims.w,
            c: dims.c,
            oh: dims.h,
            ow: dims.w,
            fill: self.fill,
            interp: self.interp,
            fill_value: self.fill_value,
        };
        Ok(warp_tensor(self.kind(), x, dims, warp, mats))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(lo: f32, hi: f32) -> Bounds {
        Bounds { lo, hi }
    }

    #[test]
    fn augment_rotation_by_a_quarter_turn_is_rot90() {
        let n = 5;
        let x = Tensor::new((0..n * n).map(|v| v as f32).collect(), vec![1, n, n, 1]).unwrap();
        for interp in ["nearest", "bilinear"] {
            let l = RandomAffine::new(
                AffineKind::Rotation(b(0.25, 0.25)),
                "constant",
                interp,
                0.0,
                0,
            )
            .unwrap();
            let y = l.forward(&x, true).unwrap().to_vec();
            for r in 0..n {
                for col in 0..n {
                    // np.rot90: out[r, c] = in[c, n - 1 - r].
                    let want = (col * n + (n - 1 - r)) as f32;
                    assert!(
                        (y[r * n + col] - want).abs() < 1e-4,
                        "{interp} ({r}, {col}): {}",
                        y[r * n + col]
                    );
                }
            }
            assert_eq!(l.forward(&x, false).unwrap().to_vec(), x.to_vec());
        }
    }

    #[test]
    fn augment_bad_names_and_factors_are_refused() {
        let t = AffineKind::Translation {
            height: b(-0.1, 0.1),
            width: b(0.0, 0.0),
        };
        let e = RandomAffine::new(t, "mirror", "bilinear", 0.0, 0)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("RandomTranslation") && e.contains("mirror") && e.contains("reflect"),
            "{e}"
        );
        let e = RandomAffine::new(t, "wrap", "bicubic", 0.0, 0)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("bicubic") && e.contains("bilinear"), "{e}");
        let z = AffineKind::Zoom {
            height: b(-1.5, 0.2),
            width: None,
        };
        let e = RandomAffine::new(z, "wrap", "nearest", 0.0, 0)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("RandomZoom") && e.contains("height_factor") && e.contains("-1.5"),
            "{e}"
        );
    }

    #[test]
    fn augment_affine_gradient_matches_finite_differences() {
        // Each layer is built afresh with the same seed, so every evaluation draws the same map.
        let (n, h, w, c) = (2, 4, 5, 2);
        let mut rng = Rng::new(1);
        let xs: Vec<f32> = (0..n * h * w * c).map(|_| rng.uniform()).collect();
        let wts: Vec<f32> = (0..xs.len()).map(|_| rng.normal()).collect();
        let kinds = [
            AffineKind::Translation {
                height: b(-0.3, 0.3),
                width: b(-0.3, 0.3),
            },
            AffineKind::Rotation(b(-0.2, 0.2)),
            AffineKind::Zoom {
                height: b(-0.4, 0.4),
                width: Some(b(-0.2, 0.3)),
            },
        ];
        for kind in kinds {
            let layer = || RandomAffine::new(kind, "reflect", "bilinear", 0.0, 7).unwrap();
            let loss = |v: &[f32]| -> f64 {
                let t = Tensor::new(v.to_vec(), vec![n, h, w, c]).unwrap();
                let y = layer().forward(&t, true).unwrap().to_vec();
                y.iter().zip(&wts).map(|(a, b)| (a * b) as f64).sum()
            };
            let x = Tensor::new(xs.clone(), vec![n, h, w, c])
                .unwrap()
                .with_grad();
            layer()
                .forward(&x, true)
                .unwrap()
                .backward(Some(wts.clone()), false)
                .unwrap();
            let g = x.grad().unwrap().to_vec();
            for k in 0..xs.len() {
                let (mut up, mut down) = (xs.clone(), xs.clone());
                up[k] += 0.05;
                down[k] -= 0.05;
                let fd = (loss(&up) - loss(&down)) / 0.1;
                assert!(
                    (fd - g[k] as f64).abs() < 1e-3,
                    "{kind:?} {k}: fd {fd} vs {}",
                    g[k]
                );
            }
        }
    }
}
