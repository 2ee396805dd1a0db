//! Flatten: (batch, d1, d2, ...) → (batch, d1·d2·...).
use super::Layer;
use crate::error::Result;
use crate::tensor::Tensor;

pub struct Flatten;

impl Layer for Flatten {
    fn kind(&self) -> &'static str {
        "Flatten"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        let batch = x.shape().first().copied().unwrap_or(1) as isize;
        x.reshape(&[batch, -1])
    }
}
