//! RandomContrast: in training, each image draws a contrast factor f and each of its channels
//! becomes (x − mean) · f + mean (mean over the image's pixels in that channel), clipped to the
//! value range; at inference the identity. Its backward is that affine map's, masked by the clip.
use super::augment::{Bounds, ImageDims};
use super::Layer;
use crate::autograd::Backward;
use crate::error::{Error, Result};
use crate::init::Rng;
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

/// Per image and channel means of `x` (n × pixels × c), in f64.
fn channel_means(x: &[f32], dims: &ImageDims) -> Vec<f64> {
    let (c, per) = (dims.c, dims.h * dims.w);
    let mut means = vec![0.0f64; dims.n * c];
    for (i, img) in x.chunks(per * c.max(1)).enumerate().take(dims.n) {
        for px in img.chunks(c.max(1)) {
            for (m, &v) in means[i * c..].iter_mut().zip(px) {
                *m += v as f64;
            }
        }
    }
    means.iter_mut().for_each(|m| *m /= per as f64);
    means
}

struct ContrastBackward {
    dims: ImageDims,
    factors: Vec<f64>,
    value_range: (f32, f32),
}

/// y = f·x + (1 − f)·mean(x) before the clip, which passes the gradient where lo ≤ y ≤ hi:
/// dL/dx = f·g + (1 − f)/(h·w) · Σ_pixels g, with g masked by the clip, per image and channel.
impl Backward for ContrastBackward {
    fn name(&self) -> &'static str {
        "RandomContrast"
    }
    fn backward(&self, grad: &[f32], inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let x = inputs[0].data();
        let d = &self.dims;
        let (c, per) = (d.c.max(1), d.h * d.w);
        let means = channel_means(&x, d);
        let (lo, hi) = (self.value_range.0 as f64, self.value_range.1 as f64);
        let mut g = vec![0.0f32; x.len()];
        for i in 0..d.n {
            let f = self.factors[i];
            let span = i * per * c..(i + 1) * per * c;
            let mut sums = vec![0.0f64; c];
            let masked: Vec<f64> = span
                .clone()
                .map(|k| {
                    let (ch, m) = (k % c, means[i * c + k % c]);
                    let pre = (x[k] as f64 - m) * f + m;
                    let gk = if (lo..=hi).contains(&pre) {
                        grad[k] as f64
                    } else {
                        0.0
                    };
                    sums[ch] += gk;
                    gk
                })
                .collect();
            for (k, gk) in span.zip(masked) {
                g[k] = (f * gk + (1.0 - f) * sums[k % c] / per as f64) as f32;
            }
        }
        vec![Some(g)]
    }
}

impl Layer for RandomContrast {
    fn kind(&self) -> &'static str {
        "RandomContrast"
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        let dims = ImageDims::of("RandomContrast", x.shape())?;
        if !training {
            return Ok(x.clone());
        }
        let factors: Vec<f64> = {
            let mut rng = self.rng.lock();
            (0..dims.n).map(|_| self.factor.draw(&mut rng)).collect()
        };
        let (lo, hi) = (self.value_range.0 as f64, self.value_range.1 as f64);
        let out = {
            let src = x.data();
            let means = channel_means(&src, &dims);
            let (c, per) = (dims.c.max(1), dims.pixels());
            src.iter()
                .enumerate()
                .map(|(k, &v)| {
                    let (i, m) = (k / per, means[(k / per) * dims.c + k % c]);
                    ((v as f64 - m) * factors[i] + m).clamp(lo, hi) as f32
                })
                .collect()
        };
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
