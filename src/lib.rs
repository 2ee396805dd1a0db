//! rustgrad: f32 tensors with reverse-mode autograd, layers, losses and optimizers, in pure Rust.
//! The Python bindings live behind the `python` feature in `python/`.
pub mod allocator;
pub mod autograd;
pub mod error;
pub mod init;
pub mod kernels;
pub mod layers;
pub mod losses;
pub mod metrics;
pub mod model;
pub mod ops;
pub mod optimizers;
pub mod registry;
pub mod sample_weight;
pub mod shape;
pub mod tensor;

#[cfg(feature = "python")]
mod python;

pub use autograd::{is_grad_enabled, set_grad_enabled, NoGradGuard};
pub use error::{Error, Result};
pub use tensor::Tensor;
