//! Differentiable ops, one family per file; each file holds the forward, its `Backward` and its tests.
pub mod batchnorm;
pub mod batchnorm_axis;
pub mod binary;
pub mod conv;
mod conv_choice;
pub mod conv_transpose;
mod conv_winograd;
pub mod depthwise;
pub mod index;
pub mod inplace;
pub mod linear;
pub mod matmul;
pub mod pool;
pub mod recurrence;
mod recurrence_backward;
pub mod reduce;
pub mod softmax;
pub mod unary;
pub mod view;
pub mod window;

pub use binary::{Binary, Compare};
pub use index::Index;
pub use unary::Unary;
