//! Keras' window options shared by convolution and pooling: padding names, strides, dilation, and
//! the checked geometry they give for an NHWC input.
use crate::error::{fmt_shape, Error, Result};
use crate::kernels::im2col::Geom;

/// Keras' padding names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    Valid,
    Same,
}

impl Padding {
    pub fn from_name(op: &str, name: &str) -> Result<Padding> {
        match name.to_ascii_lowercase().as_str() {
            "valid" => Ok(Padding::Valid),
            "same" => Ok(Padding::Same),
            other => Err(Error::invalid(
                op,
                format!("padding must be 'valid' or 'same', got '{other}'"),
            )),
        }
    }
}

/// Strides, dilation and padding of a 2-D window op.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub strides: [usize; 2],
    pub dilation: [usize; 2],
    pub padding: Padding,
}

impl Window {
    pub fn new(strides: [usize; 2], dilation: [usize; 2], padding: Padding) -> Window {
        Window {
            strides,
            dilation,
            padding,
        }
    }
    /// The geometry for input `xs` (NHWC) and a `k` window, checked to give a non-empty output.
    pub fn geom(&self, op: &str, xs: &[usize], k: [usize; 2], c: usize) -> Result<Geom> {
        if xs.len() != 4 {
            return Err(Error::shape(
                op,
                format!(
                    "expects a 4-D input (batch, height, width, channels), got shape {}",
                    fmt_shape(xs)
                ),
            ));
        }
        if self.strides.contains(&0) || self.dilation.contains(&0) || k.contains(&0) {
            return Err(Error::invalid(
                op,
                format!(
                    "window {k:?}, strides {:?} and dilation {:?} must all be positive",
                    self.strides, self.dilation
                ),
            ));
        }
        let g = Geom::new(
            [xs[1], xs[2], c],
            k,
            self.strides,
            self.dilation,
            self.padding == Padding::Same,
        );
        if g.oh == 0 || g.ow == 0 {
            return Err(Error::shape(op, format!("input of shape {} is smaller than the {}x{} window (dilation {:?}) with 'valid' padding: the output would be empty", fmt_shape(xs), k[0], k[1], self.dilation)));
        }
        Ok(g)
    }
}
