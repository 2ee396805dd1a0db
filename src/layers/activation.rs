//! Activation functions by Keras name, and the Activation layer that applies one.
use super::Layer;
use crate::error::{Error, Result};
use crate::ops::Unary;
use crate::tensor::Tensor;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    Linear,
    Softmax,
    Elementwise(Unary),
}

pub const NAMES: &[&str] = &[
    "linear",
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "leaky_relu",
    "elu",
    "gelu",
    "softplus",
];

impl Activation {
    pub fn from_name(name: &str) -> Result<Activation> {
        Ok(match name {
            "linear" | "" => Activation::Linear,
            "softmax" => Activation::Softmax,
            "relu" => Activation::Elementwise(Unary::Relu),
            "sigmoid" => Activation::Elementwise(Unary::Sigmoid),
            "tanh" => Activation::Elementwise(Unary::Tanh),
            "leaky_relu" => Activation::Elementwise(Unary::LeakyRelu(0.2)),
            "elu" => Activation::Elementwise(Unary::Elu(1.0)),
            "gelu" => Activation::Elementwise(Unary::Gelu),
            "softplus" => Activation::Elementwise(Unary::Softplus),
            other => {
                return Err(Error::invalid(
                    "activation",
                    format!(
                        "unknown activation '{other}'; valid names: {}",
                        NAMES.join(", ")
                    ),
                ))
            }
        })
    }
    pub fn apply(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Linear => Ok(x.clone()),
            Activation::Softmax => x.softmax(-1),
            Activation::Elementwise(u) => Ok(crate::ops::unary::unary(x, u)),
        }
    }
    /// Softmax and sigmoid can be folded into a cross-entropy loss.
    pub fn is_probabilistic(self) -> bool {
        matches!(
            self,
            Activation::Softmax | Activation::Elementwise(Unary::Sigmoid)
        )
    }
}

pub struct ActivationLayer(pub Activation);

impl Layer for ActivationLayer {
    fn kind(&self) -> &'static str {
        "Activation"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        self.0.apply(x)
    }
    fn forward_logits(&self, x: &Tensor, _training: bool) -> Result<(Tensor, Activation)> {
        if self.0.is_probabilistic() {
            Ok((x.clone(), self.0))
        } else {
            Ok((self.0.apply(x)?, Activation::Linear))
        }
    }
}
