//! Reshape: each sample to `target` (without the batch axis; one entry may be -1).
use super::Layer;
use crate::error::Result;
use crate::tensor::Tensor;

pub struct Reshape {
    pub target: Vec<isize>,
}

impl Layer for Reshape {
    fn kind(&self) -> &'static str {
        "Reshape"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        let batch = x.shape().first().copied().unwrap_or(1) as isize;
        let shape: Vec<isize> = std::iter::once(batch)
            .chain(self.target.iter().copied())
            .collect();
        x.reshape(&shape)
    }
}
