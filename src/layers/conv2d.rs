//! Conv2D: act(conv2d(x, kernel) + bias) over NHWC inputs with an HWIO kernel; glorot-uniform kernel,
//! zero bias; ReLU is fused into the convolution, other activations follow it.
use super::{Activation, Layer};
use crate::error::Result;
use crate::init::glorot_uniform;
use crate::ops::conv::Window;
use crate::ops::Unary;
use crate::tensor::Tensor;

pub struct Conv2D {
    pub kernel: Tensor,
    pub bias: Option<Tensor>,
    pub window: Window,
    pub activation: Activation,
}

impl Conv2D {
    pub fn new(
        in_channels: usize,
        filters: usize,
        kernel_size: [usize; 2],
        window: Window,
        activation: Activation,
        use_bias: bool,
    ) -> Conv2D {
        let shape = [kernel_size[0], kernel_size[1], in_channels, filters];
        Conv2D {
            kernel: glorot_uniform(&shape).with_grad(),
            bias: use_bias.then(|| Tensor::zeros(&[filters]).with_grad()),
            window,
            activation,
        }
    }

    /// The convolution with ReLU fused when that is the activation; the activation still to apply.
    fn conv(&self, x: &Tensor) -> Result<(Tensor, Activation)> {
        let relu = self.activation == Activation::Elementwise(Unary::Relu);
        let y = x.conv2d(&self.kernel, self.bias.as_ref(), &self.window, relu)?;
        Ok((
            y,
            if relu {
                Activation::Linear
            } else {
                self.activation
            },
        ))
    }
}

impl Layer for Conv2D {
    fn kind(&self) -> &'static str {
        "Conv2D"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        let (z, act) = self.conv(x)?;
        act.apply(&z)
    }
    fn forward_logits(&self, x: &Tensor, _training: bool) -> Result<(Tensor, Activation)> {
        let (z, act) = self.conv(x)?;
        if act.is_probabilistic() {
            Ok((z, act))
        } else {
            Ok((act.apply(&z)?, Activation::Linear))
        }
    }
    fn params(&self) -> Vec<Tensor> {
        std::iter::once(self.kernel.clone())
            .chain(self.bias.clone())
            .collect()
    }
}
