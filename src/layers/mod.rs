//! Layers: the Layer trait and one layer per file, each composed of ops.
mod activation;
mod dense;
mod dropout;
mod flatten;

pub use activation::{Activation, ActivationLayer};
pub use dense::Dense;
pub use dropout::Dropout;
pub use flatten::Flatten;

use crate::error::Result;
use crate::tensor::Tensor;

pub trait Layer: Send + Sync {
    /// Keras' class name ("Dense", "Flatten", ...), used in messages and summaries.
    fn kind(&self) -> &'static str;
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor>;
    /// The forward pass without a final softmax/sigmoid, and which one was left out, so the train
    /// step can fuse it into cross-entropy (as Keras does with its logits).
    fn forward_logits(&self, x: &Tensor, training: bool) -> Result<(Tensor, Activation)> {
        Ok((self.forward(x, training)?, Activation::Linear))
    }
    /// Trainable parameters, in Keras' weight order (kernel before bias).
    fn params(&self) -> Vec<Tensor> {
        Vec::new()
    }
}
