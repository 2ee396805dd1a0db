//! Spatial layers composed of view, index, pool and conv ops: UpSampling2D, ZeroPadding2D,
//! Cropping2D (NHWC), and the 1-D window layers (Conv1D, MaxPooling1D, AveragePooling1D) run as
//! their 2-D ops on a height-1 view.
use super::{Activation, Layer};
use crate::error::{Error, Result};
use crate::init::glorot_uniform;
use crate::ops::conv::Window;
use crate::ops::{Index, Unary};
use crate::tensor::Tensor;

fn check_rank(op: &str, x: &Tensor, rank: usize) -> Result<()> {
    if x.shape().len() != rank {
        return Err(Error::invalid(
            op,
            format!("needs a {rank}-D input, got shape {:?}", x.shape()),
        ));
    }
    Ok(())
}

const ALL: Index = Index::Slice(None, None, 1);

/// Nearest-neighbour upsampling: each pixel repeated size[0] × size[1] times.
pub struct UpSampling2D {
    pub size: [usize; 2],
}

impl Layer for UpSampling2D {
    fn kind(&self) -> &'static str {
        "UpSampling2D"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        check_rank("UpSampling2D", x, 4)?;
        let rep = |n: usize, s: usize| -> Index {
            let v: Vec<isize> = (0..n * s).map(|i| (i / s) as isize).collect();
            Index::Array(v, vec![n * s])
        };
        let (h, w) = (x.shape()[1], x.shape()[2]);
        // d/dx: the gather's backward sums the gradient over each pixel's copies.
        let y = x.index(&[ALL, rep(h, self.size[0])])?;
        y.index(&[ALL, ALL, rep(w, self.size[1])])
    }
}

/// Zeros around each image: ((top, bottom), (left, right)).
pub struct ZeroPadding2D {
    pub padding: [[usize; 2]; 2],
}

impl Layer for ZeroPadding2D {
    fn kind(&self) -> &'static str {
        "ZeroPadding2D"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        check_rank("ZeroPadding2D", x, 4)?;
        let mut y = x.clone();
        for (axis, [a, b]) in [(1usize, self.padding[0]), (2, self.padding[1])] {
            let mut parts = Vec::new();
            let zeros = |n: usize| {
                let mut s = y.shape().to_vec();
                s[axis] = n;
                Tensor::zeros(&s)
            };
            let (za, zb) = (zeros(a), zeros(b));
            if a > 0 {
                parts.push(za);
            }
            parts.push(y.clone());
            if b > 0 {
                parts.push(zb);
            }
            if parts.len() > 1 {
                y = Tensor::concatenate(&parts, axis as isize)?;
            }
        }
        Ok(y)
    }
}

/// Rows and columns cut from each image's edges: ((top, bottom), (left, right)).
pub struct Cropping2D {
    pub cropping: [[usize; 2]; 2],
}

impl Layer for Cropping2D {
    fn kind(&self) -> &'static str {
        "Cropping2D"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        check_rank("Cropping2D", x, 4)?;
        let [[t, b], [l, r]] = self.cropping;
        let (h, w) = (x.shape()[1], x.shape()[2]);
        if t + b >= h || l + r >= w {
            return Err(Error::invalid(
                "Cropping2D",
                format!(
                    "cropping {:?} leaves nothing of input {:?}",
                    self.cropping,
                    x.shape()
                ),
            ));
        }
        let s = |a: usize, n: usize| Index::Slice(Some(a as isize), Some(n as isize), 1);
        x.index(&[ALL, s(t, h - b), s(l, w - r)])
    }
}

/// (N, L, C) ↔ (N, 1, L, C).
fn as_2d(x: &Tensor) -> Result<Tensor> {
    let s = x.shape();
    x.reshape(&[s[0] as isize, 1, s[1] as isize, s[2] as isize])
}
fn as_1d(y: &Tensor) -> Result<Tensor> {
    let s = y.shape();
    y.reshape(&[s[0] as isize, s[2] as isize, s[3] as isize])
}

/// MaxPooling1D (`average` false) or AveragePooling1D over (N, L, C); `window` has height 1.
pub struct Pooling1D {
    pub size: usize,
    pub window: Window,
    pub average: bool,
}

impl Layer for Pooling1D {
    fn kind(&self) -> &'static str {
        if self.average {
            "AveragePooling1D"
        } else {
            "MaxPooling1D"
        }
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        check_rank(self.kind(), x, 3)?;
        let x2 = as_2d(x)?;
        let y = if self.average {
            x2.avg_pool2d([1, self.size], &self.window)?
        } else {
            x2.max_pool2d([1, self.size], &self.window)?
        };
        as_1d(&y)
    }
}

/// Conv1D: act(conv1d(x, kernel) + bias), x (N, L, C), kernel (k, C, F), as conv2d with a
/// (1, k, C, F) view of the kernel; `window` has height 1.
pub struct Conv1D {
    pub kernel: Tensor,
    pub bias: Option<Tensor>,
    pub window: Window,
    pub activation: Activation,
}

impl Conv1D {
    pub fn new(
        in_channels: usize,
        filters: usize,
        kernel_size: usize,
        window: Window,
        activation: Activation,
        use_bias: bool,
    ) -> Conv1D {
        Conv1D {
            kernel: glorot_uniform(&[kernel_size, in_channels, filters]).with_grad(),
            bias: use_bias.then(|| Tensor::zeros(&[filters]).with_grad()),
            window,
            activation,
        }
    }
}

impl Layer for Conv1D {
    fn kind(&self) -> &'static str {
        "Conv1D"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        let (z, act) = self.forward_logits(x, _training)?;
        act.apply(&z)
    }
    fn forward_logits(&self, x: &Tensor, _training: bool) -> Result<(Tensor, Activation)> {
        check_rank("Conv1D", x, 3)?;
        let k = self.kernel.shape();
        let k4 = self
            .kernel
            .reshape(&[1, k[0] as isize, k[1] as isize, k[2] as isize])?;
        let relu = self.activation == Activation::Elementwise(Unary::Relu);
        let y = as_2d(x)?.conv2d(&k4, self.bias.as_ref(), &self.window, relu)?;
        let y = as_1d(&y)?;
        Ok(match self.activation {
            _ if relu => (y, Activation::Linear),
            a if a.is_probabilistic() => (y, a),
            a => (a.apply(&y)?, Activation::Linear),
        })
    }
    fn params(&self) -> Vec<Tensor> {
        std::iter::once(self.kernel.clone())
            .chain(self.bias.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::conv::Padding;
    #[test]
    fn spatial_shapes() {
        let x = Tensor::new((0..12).map(|v| v as f32).collect(), vec![1, 2, 3, 2]).unwrap();
        let up = UpSampling2D { size: [2, 3] }.forward(&x, false).unwrap();
        assert_eq!(up.shape(), &[1, 4, 9, 2]);
        let pad = ZeroPadding2D {
            padding: [[1, 0], [2, 1]],
        };
        assert_eq!(pad.forward(&x, false).unwrap().shape(), &[1, 3, 6, 2]);
        let crop = Cropping2D {
            cropping: [[1, 0], [1, 1]],
        };
        let c = crop.forward(&x, false).unwrap();
        assert_eq!(
            (c.shape().to_vec(), c.to_vec()),
            (vec![1, 1, 1, 2], vec![8.0, 9.0])
        );
        let x1 = Tensor::new((0..8).map(|v| v as f32).collect(), vec![1, 4, 2]).unwrap();
        let win = Window::new([1, 2], [1, 1], Padding::Valid);
        let p = Pooling1D {
            size: 2,
            window: win,
            average: false,
        };
        assert_eq!(
            p.forward(&x1, false).unwrap().to_vec(),
            vec![2.0, 3.0, 6.0, 7.0]
        );
    }
}
