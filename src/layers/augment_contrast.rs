//! RandomContrast: in training, each image draws a contrast factor f and each of its channels
//! becomes (x − mean) · f + mean (mean over the image's pixels in that channel), clipped to the
//! value range; at inference the identity. Its backward is that affine map's, masked by the clip.
use super::augment::{Bounds, ImageDims};
use super::Layer;
use crate::autograd::Backward;
use crate::error::{Error, Result};
use crate::init::Rng;
use crate::kernels::parallel::over_batch;
use crate::tensor::Tensor;
use parking_lot::Mutex;

pub struct RandomContrast {
    /// The contrast factor is drawn from [1 − lower, 1 + upper].
    pub factor: Bounds,
    pub value_range: (f32, f32),
    rng: Mutex<Rng>,
}

impl RandomContrast {
    /// `lower` and `upper` in [0, 1], as Keras' `factor=(lower, upper)`.
    pub fn new(
        lower: f32,
        upper: f32,
        value_range: (f32, f32),
        seed: u64,
    ) -> Result<RandomContrast> {
        for (what, v) in [("lower", lower), ("upper", upper)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::invalid(
                    "RandomContrast",
                    format!("factor must be a number or a pair (lower, upper) in [0, 1], got {what} = {v}"),
                ));
            }
        }
        let (lo, hi) = value_range;
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
            return Err(Error::invalid(
                "RandomContrast",
                format!("value_range must be (low, high) with low <= high, got ({lo}, {hi})"),
            ));
        }
        Ok(RandomContrast {
            factor: Bounds {
                lo: 1.0 - lower,
                hi: 1.0 + upper,
            },
            value_range,
            rng: Mutex::new(Rng::new(seed)),
        })
    }
}

/// One image's (f, (1 − f) · mean) per channel: y = f · x + (1 − f) · mean before the clip. Both
/// passes compute y this way, so the backward's clip mask is the forward's.
fn coefficients(img: &[f32], c: usize, f: f64) -> Vec<(f32, f32)> {
    let mut sums = vec![0.0f64; c];
    for px in img.chunks(c) {
        sums.iter_mut().zip(px).for_each(|(s, &v)| *s += v as f64);
    }
    let pixels = (img.len() / c) as f64;
    sums.iter()
        .map(|s| (f as f32, ((1.0 - f) * s / pixels) as f32))
        .collect()
}

struct ContrastBackward {
    dims: ImageDims,
    factors: Vec<f64>,
    value_range: (f32, f32),
}

impl ContrastBackward {
    /// The clip passes the gradient g where lo ≤ y ≤ hi; then, per channel,
    /// dL/dx = f · g + (1 − f) / (h · w) · Σ_pixels g.
    fn image(&self, img: &[f32], grad: &[f32], f: f64, dst: &mut [f32]) {
        let (c, (lo, hi)) = (self.dims.c, self.value_range);
        let ab = coefficients(img, c, f);
        let mut sums = vec![0.0f64; c];
        for ((d, px), g) in dst.chunks_mut(c).zip(img.chunks(c)).zip(grad.chunks(c)) {
            for ch in 0..c {
                let (a, b) = ab[ch];
                d[ch] = if (lo..=hi).contains(&(a * px[ch] + b)) {
                    g[ch]
                } else {
                    0.0
                };
                sums[ch] += d[ch] as f64;
            }
        }
        let pixels = (self.dims.h * self.dims.w) as f64;
        let shift: Vec<f32> = sums
            .iter()
            .map(|s| ((1.0 - f) * s / pixels) as f32)
            .collect();
        for d in dst.chunks_mut(c) {
            d.iter_mut()
                .zip(&shift)
                .for_each(|(v, &t)| *v = f as f32 * *v + t);
        }
    }
}

impl Backward for ContrastBackward {
    fn name(&self) -> &'static str {
        "RandomContrast"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let x = inputs[0].data();
        let per = self.dims.pixels();
        let mut g = vec![0.0f32; x.len()];
        over_batch(self.dims.n, &mut g, x.len() * 4, |r, chunk| {
            for (k, i) in r.enumerate() {
                let span = i * per..(i + 1) * per;
                let dst = &mut chunk[k * per..(k + 1) * per];
                self.image(&x[span.clone()], &grad[span], self.factors[i], dst);
            }
        });
        vec![Some(g)]
    }
}

impl Layer for RandomContrast {
    fn rng(&self) -> Option<&Mutex<Rng>> {
        Some(&self.rng)
    }
    fn kind(&self) -> &'static str {
        "RandomContrast"
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        let dims = ImageDims::of("RandomContrast", x.shape())?;
        if !training || x.numel() == 0 {
            return Ok(x.clone());
        }
        let factors: Vec<f64> = {
            let mut rng = self.rng.lock();
            (0..dims.n).map(|_| self.factor.draw(&mut rng)).collect()
        };
        let (lo, hi) = self.value_range;
        let (c, per) = (dims.c, dims.pixels());
        let mut out = vec![0.0f32; x.numel()];
        {
            let src = x.data();
            over_batch(dims.n, &mut out, src.len() * 4, |r, chunk| {
                for (k, i) in r.enumerate() {
                    let img = &src[i * per..(i + 1) * per];
                    let ab = coefficients(img, c, factors[i]);
                    for (o, px) in chunk[k * per..(k + 1) * per]
                        .chunks_mut(c)
                        .zip(img.chunks(c))
                    {
                        for ((o, &v), &(a, b)) in o.iter_mut().zip(px).zip(&ab) {
                            *o = (a * v + b).clamp(lo, hi);
                        }
                    }
                }
            });
        }
        let bw = ContrastBackward {
            dims,
            factors,
            value_range: self.value_range,
        };
        Ok(Tensor::from_op(out, x.shape().to_vec(), bw, &[x]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn augment_contrast_formula_clip_and_gradient() {
        let mut rng = Rng::new(9);
        let (n, h, w, c) = (3, 2, 3, 2);
        let xs: Vec<f32> = (0..n * h * w * c).map(|_| rng.uniform()).collect();
        let x = Tensor::new(xs.clone(), vec![n, h, w, c]).unwrap();
        let l = RandomContrast::new(0.5, 0.5, (0.0, 1.0), 2).unwrap();
        assert_eq!(l.forward(&x, false).unwrap().to_vec(), xs);
        let y = l.forward(&x, true).unwrap().to_vec();
        assert!(y.iter().all(|v| (0.0..=1.0).contains(v)));
        assert_ne!(y, xs);
        // Same seed, same draws: check the gradient against central differences in f64.
        let loss = |v: &[f32], seed| -> f64 {
            let l = RandomContrast::new(0.5, 0.5, (0.0, 1.0), seed).unwrap();
            let t = Tensor::new(v.to_vec(), vec![n, h, w, c]).unwrap();
            let y = l.forward(&t, true).unwrap().to_vec();
            y.iter()
                .enumerate()
                .map(|(k, &v)| (k as f64 * 0.37).sin() * v as f64)
                .sum()
        };
        let xg = Tensor::new(xs.clone(), vec![n, h, w, c])
            .unwrap()
            .with_grad();
        let y = RandomContrast::new(0.5, 0.5, (0.0, 1.0), 5)
            .unwrap()
            .forward(&xg, true)
            .unwrap();
        let wts: Vec<f32> = (0..y.numel())
            .map(|k| (k as f64 * 0.37).sin() as f32)
            .collect();
        y.backward(Some(wts), false).unwrap();
        let g = xg.grad().unwrap().to_vec();
        for k in 0..xs.len() {
            let (mut a, mut b) = (xs.clone(), xs.clone());
            a[k] += 1e-3;
            b[k] -= 1e-3;
            let fd = (loss(&a, 5) - loss(&b, 5)) / 2e-3;
            assert!((fd - g[k] as f64).abs() < 2e-2, "{k}: fd {fd} vs {}", g[k]);
        }
        assert!(RandomContrast::new(1.5, 0.0, (0.0, 1.0), 0).is_err());
    }
}
