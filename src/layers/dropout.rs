//! Dropout (inverted): in training, zero each value with probability `rate` and scale the rest by
//! 1/(1 − rate); at inference the identity. SpatialDropout2D drops whole channels of an NHWC sample
//! instead, since neighbouring pixels of a feature map are too alike for single values to matter.
use super::Layer;
use crate::error::{fmt_shape, Error, Result};
use crate::init::Rng;
use crate::tensor::Tensor;
use parking_lot::Mutex;

pub struct Dropout {
    pub rate: f32,
    /// One draw per (sample, channel) of an NHWC input, shared by its pixels (SpatialDropout2D).
    pub spatial: bool,
    rng: Mutex<Rng>,
}

impl Dropout {
    pub fn new(rate: f32, seed: u64) -> Result<Dropout> {
        if !(0.0..1.0).contains(&rate) {
            return Err(Error::invalid(
                "Dropout",
                format!("rate must be in [0, 1), got {rate}"),
            ));
        }
        Ok(Dropout {
            rate,
            spatial: false,
            rng: Mutex::new(Rng::new(seed)),
        })
    }

    /// SpatialDropout2D: the same, one draw per channel of each sample.
    pub fn spatial(rate: f32, seed: u64) -> Result<Dropout> {
        Ok(Dropout {
            spatial: true,
            ..Dropout::new(rate, seed)?
        })
    }
}

impl Layer for Dropout {
    fn rng(&self) -> Option<&Mutex<Rng>> {
        Some(&self.rng)
    }
    fn kind(&self) -> &'static str {
        if self.spatial {
            "SpatialDropout2D"
        } else {
            "Dropout"
        }
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        // The mask broadcasts over height and width when spatial: (N, 1, 1, C).
        let shape = match (self.spatial, x.shape()) {
            (false, s) => s.to_vec(),
            (true, &[n, _, _, c]) => vec![n, 1, 1, c],
            (true, s) => {
                return Err(Error::shape(
                    "SpatialDropout2D",
                    format!(
                        "expects a 4-D input (batch, height, width, channels), got shape {}",
                        fmt_shape(s)
                    ),
                ))
            }
        };
        if !training || self.rate == 0.0 {
            return Ok(x.clone());
        }
        let keep = 1.0 - self.rate;
        let scale = 1.0 / keep;
        let mask = {
            let mut rng = self.rng.lock();
            (0..shape.iter().product())
                .map(|_| if rng.uniform() < keep { scale } else { 0.0 })
                .collect()
        };
        x.mul(&Tensor::from_parts(mask, shape))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spatial_dropout_drops_whole_channels_and_scales_the_rest() {
        let (n, h, w, c) = (4, 3, 5, 50);
        let x = Tensor::ones(&[n, h, w, c]);
        let layer = Dropout::spatial(0.4, 7).unwrap();
        let y = layer.forward(&x, true).unwrap().to_vec();
        let mut dropped = 0;
        for s in 0..n {
            for ch in 0..c {
                let at = |p: usize| y[(s * h * w + p) * c + ch];
                let first = at(0);
                assert!(first == 0.0 || (first - 1.0 / 0.6).abs() < 1e-6);
                assert!(
                    (0..h * w).all(|p| at(p) == first),
                    "channel {ch} of sample {s}"
                );
                dropped += (first == 0.0) as usize;
            }
        }
        // 200 draws at p = 0.4: 80 expected; this seed gives a count well inside 5 sigma.
        assert!(
            (50..110).contains(&dropped),
            "{dropped} of 200 channels dropped"
        );
        assert_eq!(layer.forward(&x, false).unwrap().to_vec(), x.to_vec());
        let flat = Tensor::ones(&[2, 3]);
        let e = layer.forward(&flat, true).unwrap_err().to_string();
        assert!(
            e.contains("SpatialDropout2D") && e.contains("(2, 3)"),
            "{e}"
        );
    }
}
