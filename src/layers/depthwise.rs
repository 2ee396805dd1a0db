//! DepthwiseConv2D (kernel (kh, kw, in, dm), bias (in·dm)) and SeparableConv2D (that depthwise
//! kernel without bias, then a (1, 1, in·dm, filters) pointwise conv2d with bias); glorot-uniform
//! kernels and zero bias as in Keras. ReLU is fused into the pointwise product.
use super::{Activation, Layer};
use crate::error::Result;
use crate::init::glorot_uniform;
use crate::ops::conv::{Padding, Window};
use crate::ops::Unary;
use crate::tensor::Tensor;

pub struct DepthwiseConv2D {
    pub kernel: Tensor,
    pub bias: Option<Tensor>,
    pub window: Window,
    pub activation: Activation,
}

impl DepthwiseConv2D {
    pub fn new(
        in_channels: usize,
        depth_multiplier: usize,
        kernel_size: [usize; 2],
        window: Window,
        activation: Activation,
        use_bias: bool,
    ) -> DepthwiseConv2D {
        let shape = [
            kernel_size[0],
            kernel_size[1],
            in_channels,
            depth_multiplier,
        ];
        DepthwiseConv2D {
            kernel: glorot_uniform(&shape).with_grad(),
            bias: use_bias.then(|| Tensor::zeros(&[in_channels * depth_multiplier]).with_grad()),
            window,
            activation,
        }
    }
}

/// The forward of a layer whose last activation may be left out for a fused cross-entropy.
fn logits(z: Tensor, act: Activation) -> Result<(Tensor, Activation)> {
    if act.is_probabilistic() {
        Ok((z, act))
    } else {
        Ok((act.apply(&z)?, Activation::Linear))
    }
}

impl Layer for DepthwiseConv2D {
    fn kind(&self) -> &'static str {
        "DepthwiseConv2D"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        let z = x.depthwise_conv2d(&self.kernel, self.bias.as_ref(), &self.window)?;
        self.activation.apply(&z)
    }
    fn forward_logits(&self, x: &Tensor, _training: bool) -> Result<(Tensor, Activation)> {
        let z = x.depthwise_conv2d(&self.kernel, self.bias.as_ref(), &self.window)?;
        logits(z, self.activation)
    }
    fn params(&self) -> Vec<Tensor> {
        std::iter::once(self.kernel.clone())
            .chain(self.bias.clone())
            .collect()
    }
}

pub struct SeparableConv2D {
    pub depthwise_kernel: Tensor,
    pub pointwise_kernel: Tensor,
    pub bias: Option<Tensor>,
    pub window: Window,
    pub activation: Activation,
}

impl SeparableConv2D {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        in_channels: usize,
        filters: usize,
        depth_multiplier: usize,
        kernel_size: [usize; 2],
        window: Window,
        activation: Activation,
        use_bias: bool,
    ) -> SeparableConv2D {
        let mid = in_channels * depth_multiplier;
        let dshape = [
            kernel_size[0],
            kernel_size[1],
            in_channels,
            depth_multiplier,
        ];
        SeparableConv2D {
            depthwise_kernel: glorot_uniform(&dshape).with_grad(),
            pointwise_kernel: glorot_uniform(&[1, 1, mid, filters]).with_grad(),
            bias: use_bias.then(|| Tensor::zeros(&[filters]).with_grad()),
            window,
            activation,
        }
    }

    fn conv(&self, x: &Tensor) -> Result<(Tensor, Activation)> {
        let d = x.depthwise_conv2d(&self.depthwise_kernel, None, &self.window)?;
        let relu = self.activation == Activation::Elementwise(Unary::Relu);
        let one = Window::new([1, 1], [1, 1], Padding::Valid);
        let z = d.conv2d(&self.pointwise_kernel, self.bias.as_ref(), &one, relu)?;
        Ok((
            z,
            if relu {
                Activation::Linear
            } else {
                self.activation
            },
        ))
    }
}

impl Layer for SeparableConv2D {
    fn kind(&self) -> &'static str {
        "SeparableConv2D"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        let (z, act) = self.conv(x)?;
        act.apply(&z)
    }
    fn forward_logits(&self, x: &Tensor, _training: bool) -> Result<(Tensor, Activation)> {
        let (z, act) = self.conv(x)?;
        logits(z, act)
    }
    /// Keras' order: depthwise kernel, pointwise kernel, bias.
    fn params(&self) -> Vec<Tensor> {
        [self.depthwise_kernel.clone(), self.pointwise_kernel.clone()]
            .into_iter()
            .chain(self.bias.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_weight_order_follow_keras() {
        let win = Window::new([2, 2], [1, 1], Padding::Same);
        let d = DepthwiseConv2D::new(3, 2, [3, 3], win, Activation::Linear, true);
        let x = crate::init::randn(&[2, 5, 5, 3]);
        assert_eq!(d.forward(&x, false).unwrap().shape(), &[2, 3, 3, 6]);
        assert_eq!(d.params()[1].shape(), &[6]);
        let relu = Activation::Elementwise(Unary::Relu);
        let s = SeparableConv2D::new(3, 4, 2, [3, 3], win, relu, true);
        let shapes: Vec<Vec<usize>> = s.params().iter().map(|p| p.shape().to_vec()).collect();
        assert_eq!(shapes, [vec![3, 3, 3, 2], vec![1, 1, 6, 4], vec![4]]);
        let y = s.forward(&x, false).unwrap();
        assert_eq!(y.shape(), &[2, 3, 3, 4]);
        // The pointwise product of the depthwise output, ReLU fused.
        let dz = x.depthwise_conv2d(&s.depthwise_kernel, None, &win).unwrap();
        let one = Window::new([1, 1], [1, 1], Padding::Valid);
        let want = dz
            .conv2d(&s.pointwise_kernel, s.bias.as_ref(), &one, false)
            .unwrap();
        let relu_want: Vec<f32> = want.to_vec().iter().map(|v| v.max(0.0)).collect();
        assert_eq!(y.to_vec(), relu_want);
    }
}
