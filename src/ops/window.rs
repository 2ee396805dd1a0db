//! Keras' window options shared by convolution and pooling: padding names, strides, dilation, and
//! the checked geometry they give for an NHWC input (also for a transposed convolution).
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

/// Keras' transposed-convolution output length along one axis (`input` ≥ 1), and the padding
/// before the first row of the conv2d whose input gradient this is (the output pixel of input `i`
/// and tap `t` is `i·s + t·d − pad`). Lengths follow keras' compute_conv_transpose_output_shape,
/// the padding its JAX backend's left pad (`eff − 1 − left_pad`), which TF's 'same' rule agrees
/// with wherever TF defines the op.
pub fn transpose_len(
    input: usize,
    k: usize,
    s: usize,
    d: usize,
    same: bool,
    out_pad: Option<usize>,
) -> (usize, usize) {
    let eff = (k - 1) * d + 1;
    if !same {
        let op = out_pad.unwrap_or(eff.max(s) - eff);
        return ((input - 1) * s + eff + op, 0);
    }
    let (len, pad_len) = match out_pad {
        None => (input * s, s + eff - 2),
        Some(op) => ((input - 1) * s + eff % 2 + op, eff + eff % 2 - 2 + op),
    };
    let left = (pad_len / 2 + pad_len % 2).min(eff - 1);
    (len, eff - 1 - left)
}

/// The geometry of the conv2d whose input gradient `conv2d_transpose` is: its input (h, w, c) is
/// the transpose's output (OH, OW, filters), its output (oh, ow) the transpose's input (H, W).
pub fn transpose_geom(
    op: &str,
    xs: &[usize],
    ks: &[usize],
    win: &Window,
    out_pad: Option<[usize; 2]>,
) -> Result<Geom> {
    if ks.len() != 4 || xs.len() != 4 || xs[3] != ks[3] {
        return Err(Error::shape_mismatch(op, xs, ks, "do not fit: the input (batch, height, width, channels) must have as many channels as the kernel (kh, kw, filters, in_channels) has input channels (its last axis)"));
    }
    let (s, d) = (win.strides, win.dilation);
    if s.contains(&0) || d.contains(&0) || ks[..2].contains(&0) {
        return Err(Error::invalid(
            op,
            format!(
                "kernel {:?}, strides {s:?} and dilation {d:?} must all be positive",
                &ks[..2]
            ),
        ));
    }
    if let Some(p) = out_pad.filter(|p| p[0] >= s[0] || p[1] >= s[1]) {
        return Err(Error::invalid(
            op,
            format!("output_padding {p:?} must be smaller than the strides {s:?}"),
        ));
    }
    if xs[1] == 0 || xs[2] == 0 {
        return Err(Error::shape(
            op,
            format!("needs a non-empty image, got shape {}", fmt_shape(xs)),
        ));
    }
    let same = win.padding == Padding::Same;
    let axis = |i: usize| transpose_len(xs[1 + i], ks[i], s[i], d[i], same, out_pad.map(|p| p[i]));
    let ((oh, pt), (ow, pl)) = (axis(0), axis(1));
    if oh == 0 || ow == 0 {
        return Err(Error::shape(op, format!("input of shape {} with kernel {:?} and output_padding {out_pad:?} gives an empty output", fmt_shape(xs), &ks[..2])));
    }
    Ok(Geom {
        h: oh,
        w: ow,
        c: ks[2],
        kh: ks[0],
        kw: ks[1],
        sh: s[0],
        sw: s[1],
        dh: d[0],
        dw: d[1],
        pt,
        pl,
        oh: xs[1],
        ow: xs[2],
    })
}
