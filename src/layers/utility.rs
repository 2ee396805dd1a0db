//! Keras' small utility layers composed of ops: Rescaling, Permute, RepeatVector, GaussianNoise,
//! GaussianDropout, and the global max/average poolings over steps (1D) or height and width (2D).
use super::Layer;
use crate::error::{fmt_shape, Error, Result};
use crate::init::Rng;
use crate::tensor::Tensor;
use parking_lot::Mutex;

/// x · scale + offset; scale and offset broadcast against the input (scalars or per channel).
pub struct Rescaling {
    pub scale: Tensor,
    pub offset: Tensor,
}

impl Layer for Rescaling {
    fn kind(&self) -> &'static str {
        "Rescaling"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        x.mul(&self.scale)?.add(&self.offset)
    }
}

/// Permute: reorder the non-batch axes; `dims` are 1-based, as in Keras.
pub struct Permute {
    pub dims: Vec<usize>,
}

impl Layer for Permute {
    fn kind(&self) -> &'static str {
        "Permute"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        let perm: Vec<isize> = std::iter::once(0)
            .chain(self.dims.iter().map(|&d| d as isize))
            .collect();
        x.permute(&perm)
    }
}

/// RepeatVector: (batch, features) -> (batch, n, features).
pub struct RepeatVector {
    pub n: usize,
}

impl Layer for RepeatVector {
    fn kind(&self) -> &'static str {
        "RepeatVector"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        match *x.shape() {
            [b, f] => x.expand_dims(1)?.broadcast_to(&[b, self.n, f]),
            ref s => Err(Error::shape(
                "RepeatVector",
                format!(
                    "expects 2-D input (batch, features), got shape {}",
                    fmt_shape(s)
                ),
            )),
        }
    }
}

/// GaussianNoise (x + N(0, stddev²)) or GaussianDropout (x · N(1, rate / (1 − rate))), in
/// training only; seeded, one draw per value.
pub struct GaussianNoise {
    pub multiplicative: bool,
    pub stddev: f32,
    rng: Mutex<Rng>,
}

impl GaussianNoise {
    pub fn additive(stddev: f32, seed: u64) -> Result<GaussianNoise> {
        if !(stddev >= 0.0 && stddev.is_finite()) {
            return Err(Error::invalid(
                "GaussianNoise",
                format!("stddev must be >= 0, got {stddev}"),
            ));
        }
        Ok(GaussianNoise {
            multiplicative: false,
            stddev,
            rng: Mutex::new(Rng::new(seed)),
        })
    }
    pub fn dropout(rate: f32, seed: u64) -> Result<GaussianNoise> {
        if !(0.0..1.0).contains(&rate) {
            return Err(Error::invalid(
                "GaussianDropout",
                format!("rate must be in [0, 1), got {rate}"),
            ));
        }
        Ok(GaussianNoise {
            multiplicative: true,
            stddev: (rate / (1.0 - rate)).sqrt(),
            rng: Mutex::new(Rng::new(seed)),
        })
    }
}

impl Layer for GaussianNoise {
    fn rng(&self) -> Option<&Mutex<Rng>> {
        Some(&self.rng)
    }
    fn kind(&self) -> &'static str {
        if self.multiplicative {
            "GaussianDropout"
        } else {
            "GaussianNoise"
        }
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        if !training || self.stddev == 0.0 {
            return Ok(x.clone());
        }
        let mean = if self.multiplicative { 1.0 } else { 0.0 };
        let noise: Vec<f32> = {
            let mut rng = self.rng.lock();
            (0..x.numel())
                .map(|_| mean + self.stddev * rng.normal())
                .collect()
        };
        let noise = Tensor::from_parts(noise, x.shape().to_vec());
        if self.multiplicative {
            x.mul(&noise)
        } else {
            x.add(&noise)
        }
    }
}

/// GlobalMaxPooling1D/2D and GlobalAveragePooling1D: max or mean over the steps axis (rank 3)
/// or the height and width axes (rank 4) of a channels-last input.
pub struct GlobalPool {
    pub spatial_dims: usize,
    pub max: bool,
    pub keepdims: bool,
}

impl Layer for GlobalPool {
    fn kind(&self) -> &'static str {
        match (self.spatial_dims, self.max) {
            (1, true) => "GlobalMaxPooling1D",
            (1, false) => "GlobalAveragePooling1D",
            (_, true) => "GlobalMaxPooling2D",
            (_, false) => "GlobalAveragePooling2D",
        }
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        if x.ndim() != self.spatial_dims + 2 {
            return Err(Error::shape(
                self.kind(),
                format!(
                    "expects {}-D input (batch, {}channels), got shape {}",
                    self.spatial_dims + 2,
                    if self.spatial_dims == 1 {
                        "steps, "
                    } else {
                        "height, width, "
                    },
                    fmt_shape(x.shape())
                ),
            ));
        }
        let axes: Vec<isize> = (1..=self.spatial_dims as isize).collect();
        if self.max {
            x.max_axes(Some(&axes), self.keepdims)
        } else {
            x.mean_axes(Some(&axes), self.keepdims)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn repeat_vector_and_permute_shapes() {
        let x = Tensor::new((0..6).map(|v| v as f32).collect(), vec![2, 3]).unwrap();
        let y = RepeatVector { n: 4 }.forward(&x, false).unwrap();
        assert_eq!(y.shape(), &[2, 4, 3]);
        assert_eq!(&y.to_vec()[3..6], &[0.0, 1.0, 2.0]);
        let z = Permute { dims: vec![2, 1] }.forward(&y, false).unwrap();
        assert_eq!(z.shape(), &[2, 3, 4]);
    }
    #[test]
    fn gaussian_noise_is_identity_at_inference() {
        let x = Tensor::ones(&[3, 4]);
        let l = GaussianNoise::additive(1.0, 3).unwrap();
        assert_eq!(l.forward(&x, false).unwrap().to_vec(), x.to_vec());
        assert_ne!(l.forward(&x, true).unwrap().to_vec(), x.to_vec());
        assert!(GaussianNoise::dropout(1.0, 0).is_err());
    }
}
