//! Which algorithm computes the 3×3 stride-1 convolutions that Winograd's can (`winograd::applies`):
//! `RUSTGRAD_CONV3X3=auto` (the default: both are timed on the first call of each shape and the
//! faster is kept, `ops::conv_choice`), `im2col` or `winograd`. Neither wins everywhere: Winograd
//! cut a CIFAR-shaped CNN's training time by a third on an Intel Xeon (AVX-512) yet was 13% slower
//! on MNIST's CNN on an AMD Zen 5, whose GEMM runs near its peak at im2col's long inner dimension
//! and loses more at Winograd's short one (docs/speed.md has the figures). Results differ between
//! the two by rounding only; naming one makes runs bit-identical across processes. Read once per
//! process; an unknown value is an error, and the Python extension refuses to import with it.
use crate::error::{Error, Result};
use std::sync::OnceLock;

/// The environment variable that picks the algorithm.
pub const ENV: &str = "RUSTGRAD_CONV3X3";

/// An algorithm for 3×3 stride-1 convolutions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conv3x3 {
    /// The faster of the two for each shape, timed on its first call.
    Auto,
    /// Columns of the input's windows times the kernel, one GEMM (`kernels::conv_products`).
    Im2col,
    /// Winograd's F(2×2, 3×3), 16 smaller GEMMs (`kernels::winograd`).
    Winograd,
}

/// The algorithm a `RUSTGRAD_CONV3X3` value asks for; unset or empty means auto.
pub fn parse(value: Option<&str>) -> Result<Conv3x3> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("auto") => Ok(Conv3x3::Auto),
        Some("im2col") => Ok(Conv3x3::Im2col),
        Some("winograd") => Ok(Conv3x3::Winograd),
        Some(other) => Err(Error::invalid(
            ENV,
            format!("unknown algorithm {other:?}; valid: auto, im2col, winograd"),
        )),
    }
}

static CONFIGURED: OnceLock<Result<Conv3x3>> = OnceLock::new();

/// The algorithm from `RUSTGRAD_CONV3X3` (read once per process), or the error its value gives.
pub fn check() -> Result<Conv3x3> {
    CONFIGURED
        .get_or_init(|| parse(std::env::var(ENV).ok().as_deref()))
        .clone()
}

/// The algorithm in use. A bad value never reaches Python (the extension's import calls `check`
/// and raises); a pure-Rust caller that skipped `check` gets auto.
pub fn configured() -> Conv3x3 {
    check().unwrap_or(Conv3x3::Auto)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_names_and_refuses_others() {
        assert_eq!(parse(None).unwrap(), Conv3x3::Auto);
        assert_eq!(parse(Some(" ")).unwrap(), Conv3x3::Auto);
        assert_eq!(parse(Some("AUTO")).unwrap(), Conv3x3::Auto);
        assert_eq!(parse(Some("im2col")).unwrap(), Conv3x3::Im2col);
        assert_eq!(parse(Some("Winograd")).unwrap(), Conv3x3::Winograd);
        let err = parse(Some("fft")).unwrap_err().to_string();
        assert!(
            err.contains("RUSTGRAD_CONV3X3") && err.contains("fft"),
            "{err}"
        );
    }
}
