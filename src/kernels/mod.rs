//! Plain loops over slices: no Tensor, no graph. Ops call these after checking shapes.
pub mod adam;
pub mod broadcast;
pub mod conv_products;
pub mod depthwise;
pub mod fresh;
pub mod gather;
pub mod gemm;
mod gemm_split;
pub mod im2col;
pub mod norms;
mod offered;
pub mod parallel;
pub mod policy;
pub mod pool;
pub mod reduce;
pub mod scratch;
pub mod simd_level;
