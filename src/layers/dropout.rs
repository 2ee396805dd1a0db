//! Dropout (inverted): in training, zero each value with probability `rate` and scale the rest by
//! 1/(1 − rate); at inference the identity.
use super::Layer;
use crate::error::{Error, Result};
use crate::init::Rng;
use crate::tensor::Tensor;
use parking_lot::Mutex;

pub struct Dropout {
    pub rate: f32,
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
            rng: Mutex::new(Rng::new(seed)),
        })
    }
}

impl Layer for Dropout {
    fn kind(&self) -> &'static str {
        "Dropout"
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        if !training || self.rate == 0.0 {
            return Ok(x.clone());
        }
        let keep = 1.0 - self.rate;
        let scale = 1.0 / keep;
        let mask = {
            let mut rng = self.rng.lock();
            (0..x.numel())
                .map(|_| if rng.uniform() < keep { scale } else { 0.0 })
                .collect()
        };
        x.mul(&Tensor::from_parts(mask, x.shape().to_vec()))
    }
}
