//! Dense: act(x · kernel + bias) through the fused linear op; glorot-uniform kernel, zero bias.
use super::{Activation, Layer};
use crate::error::Result;
use crate::init::glorot_uniform;
use crate::tensor::Tensor;

pub struct Dense {
    pub kernel: Tensor,
    pub bias: Option<Tensor>,
    pub activation: Activation,
}

impl Dense {
    pub fn new(input_dim: usize, units: usize, activation: Activation, use_bias: bool) -> Dense {
        let kernel = glorot_uniform(&[input_dim, units]).with_grad();
        let bias = use_bias.then(|| Tensor::zeros(&[units]).with_grad());
        Dense {
            kernel,
            bias,
            activation,
        }
    }

    fn pre_and_act(&self, x: &Tensor, fuse_final: bool) -> Result<(Tensor, Activation)> {
        match self.activation {
            Activation::Elementwise(u) if !(fuse_final && self.activation.is_probabilistic()) => {
                Ok((
                    x.linear(&self.kernel, self.bias.as_ref(), Some(u))?,
                    Activation::Linear,
                ))
            }
            act => Ok((x.linear(&self.kernel, self.bias.as_ref(), None)?, act)),
        }
    }
}

impl Layer for Dense {
    fn kind(&self) -> &'static str {
        "Dense"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        let (z, act) = self.pre_and_act(x, false)?;
        act.apply(&z)
    }
    fn forward_logits(&self, x: &Tensor, _training: bool) -> Result<(Tensor, Activation)> {
        let (z, act) = self.pre_and_act(x, true)?;
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
