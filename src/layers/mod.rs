//! Layers: the Layer trait and one layer per file, each composed of ops.
mod activation;
mod activation_layers;
mod batchnorm;
mod bidirectional;
mod constraint;
mod conv2d;
mod conv_transpose;
mod dense;
mod depthwise;
mod dropout;
mod embedding;
mod flatten;
mod merge;
mod normalization;
mod pooling;
mod recurrent;
mod regularizer;
mod reshape;
mod spatial;
mod time_distributed;
mod utility;

pub use activation::{Activation, ActivationLayer, NAMES as ACTIVATION_NAMES};
pub use activation_layers::{PRelu, ReluLayer, SoftmaxLayer};
pub use batchnorm::BatchNormalization;
pub use bidirectional::Bidirectional;
pub use constraint::{Constraint, NAMES as CONSTRAINT_NAMES};
pub use conv2d::Conv2D;
pub use conv_transpose::Conv2DTranspose;
pub use dense::Dense;
pub use depthwise::{DepthwiseConv2D, SeparableConv2D};
pub use dropout::Dropout;
pub use embedding::{Embedding, LayerNormalization};
pub use flatten::Flatten;
pub use merge::{Merge, MergeKind, NAMES as MERGE_NAMES};
pub use normalization::Normalization;
pub use pooling::{GlobalAveragePooling2D, Pooling2D};
pub use recurrent::{cell_from_name, Cell, Recurrent, RecurrentOptions};
pub use regularizer::{Regularizer, Weighted};
pub use reshape::Reshape;
pub use spatial::{Conv1D, Cropping2D, Pooling1D, UpSampling2D, ZeroPadding2D};
pub use time_distributed::TimeDistributed;
pub use utility::{GaussianNoise, GlobalPool, Permute, RepeatVector, Rescaling};

use crate::error::{Error, Result};
use crate::init::Rng;
use crate::tensor::Tensor;
use parking_lot::Mutex;

pub trait Layer: Send + Sync {
    /// Keras' class name ("Dense", "Flatten", ...), used in messages and summaries.
    fn kind(&self) -> &'static str;
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor>;
    /// The forward pass on a node's inputs: one for most layers, several for merges.
    fn forward_many(&self, xs: &[Tensor], training: bool) -> Result<Tensor> {
        match xs {
            [x] => self.forward(x, training),
            _ => Err(Error::invalid(
                self.kind(),
                format!("takes one input, got {}", xs.len()),
            )),
        }
    }
    /// Whether `trainable = False` also puts the layer in inference mode (BatchNormalization, as
    /// in Keras 2.x and 3).
    fn frozen_runs_in_inference(&self) -> bool {
        false
    }
    /// The forward pass without a final softmax/sigmoid, and which one was left out, so the train
    /// step can fuse it into cross-entropy (as Keras does with its logits).
    fn forward_logits(&self, x: &Tensor, training: bool) -> Result<(Tensor, Activation)> {
        Ok((self.forward(x, training)?, Activation::Linear))
    }
    /// Trainable parameters, in Keras' weight order (kernel before bias).
    fn params(&self) -> Vec<Tensor> {
        Vec::new()
    }
    /// Non-trainable weights the layer updates itself (BatchNormalization's moving statistics),
    /// in Keras' order; saved and loaded with the trainable ones.
    fn state(&self) -> Vec<Tensor> {
        Vec::new()
    }
    /// The regularization term this layer adds to the training loss (kernel and bias
    /// regularizers), if any.
    fn penalty(&self) -> Result<Option<Tensor>> {
        Ok(None)
    }
    /// The random generator a layer draws from in training (Dropout, noise, augmentation), so a
    /// checkpoint can save its position and a resumed fit draw the same masks.
    fn rng(&self) -> Option<&Mutex<Rng>> {
        None
    }
    /// Project the weights onto their constraints (kernel_constraint, ...); the train step calls
    /// this after each optimizer update, as Keras' optimizer applies `variable.constraint`.
    fn constrain(&self) -> Result<()> {
        Ok(())
    }
    /// Whether `constrain` can move any weight (the gradient monitor then measures the update
    /// from a copy taken before the step, not inside the optimizer's).
    fn constrained(&self) -> bool {
        false
    }
    /// The regularizer of the layer's output (Keras' `activity_regularizer`), if any.
    fn activity(&self) -> Option<Regularizer> {
        None
    }
}

// Issue 13, the image augmentation layers (one block, for easy merges).
mod augment;
mod augment_affine;
mod augment_contrast;
mod augment_warp;
pub use augment::{Bounds, FlipMode, ImageDims, RandomCrop, RandomFlip, FLIP_MODES};
pub use augment_affine::{AffineKind, RandomAffine};
pub use augment_contrast::RandomContrast;
pub use augment_warp::{FillMode, Interp, FILL_MODES, INTERPOLATIONS};
