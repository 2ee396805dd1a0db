//! Conv2DTranspose: act(conv2d_transpose(x, kernel) + bias) over NHWC inputs with Keras' kernel
//! layout (kh, kw, filters, in_channels); glorot-uniform kernel, zero bias.
use super::{Activation, Layer};
use crate::error::Result;
use crate::init::glorot_uniform;
use crate::ops::conv::Window;
use crate::tensor::Tensor;

pub struct Conv2DTranspose {
    pub kernel: Tensor,
    pub bias: Option<Tensor>,
    pub window: Window,
    pub output_padding: Option<[usize; 2]>,
    pub activation: Activation,
}

impl Conv2DTranspose {
    pub fn new(
        in_channels: usize,
        filters: usize,
        kernel_size: [usize; 2],
        window: Window,
        output_padding: Option<[usize; 2]>,
        activation: Activation,
        use_bias: bool,
    ) -> Conv2DTranspose {
        let shape = [kernel_size[0], kernel_size[1], filters, in_channels];
        Conv2DTranspose {
            kernel: glorot_uniform(&shape).with_grad(),
            bias: use_bias.then(|| Tensor::zeros(&[filters]).with_grad()),
            window,
            output_padding,
            activation,
        }
    }

    fn conv(&self, x: &Tensor) -> Result<Tensor> {
        x.conv2d_transpose(
            &self.kernel,
            self.bias.as_ref(),
            &self.window,
            self.output_padding,
        )
    }
}

impl Layer for Conv2DTranspose {
    fn kind(&self) -> &'static str {
        "Conv2DTranspose"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        self.activation.apply(&self.conv(x)?)
    }
    fn forward_logits(&self, x: &Tensor, _training: bool) -> Result<(Tensor, Activation)> {
        let z = self.conv(x)?;
        if self.activation.is_probabilistic() {
            Ok((z, self.activation))
        } else {
            Ok((self.activation.apply(&z)?, Activation::Linear))
        }
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
    use crate::ops::Unary;

    #[test]
    fn kernel_is_filters_before_inputs_and_relu_applies() {
        let win = Window::new([2, 2], [1, 1], Padding::Same);
        let relu = Activation::Elementwise(Unary::Relu);
        let l = Conv2DTranspose::new(3, 5, [3, 3], win, None, relu, true);
        assert_eq!(l.kernel.shape(), &[3, 3, 5, 3]);
        assert_eq!(l.params().len(), 2);
        let y = l.forward(&crate::init::randn(&[2, 4, 4, 3]), true).unwrap();
        assert_eq!(y.shape(), &[2, 8, 8, 5]);
        assert!(y.to_vec().iter().all(|&v| v >= 0.0));
        let e = l.forward(&Tensor::ones(&[2, 4, 4, 2]), true).unwrap_err();
        assert!(e.to_string().contains("conv2d_transpose"));
    }
}
