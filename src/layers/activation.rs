//! Activation functions by Keras name, and the Activation layer that applies one.
use super::Layer;
use crate::error::{Error, Result};
use crate::ops::Unary;
use crate::tensor::Tensor;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    Linear,
    Softmax,
    /// x − logsumexp(x) along the last axis, as Keras' default axis.
    LogSoftmax,
    Elementwise(Unary),
}

/// Every name keras.activations.get resolves (aliases included), except crelu, which doubles the
/// last axis and so is not an activation a layer of fixed units can end in.
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
    "selu",
    "softsign",
    "silu",
    "swish",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "relu6",
    "mish",
    "exponential",
    "log_softmax",
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
            "selu" => Activation::Elementwise(Unary::Selu),
            "softsign" => Activation::Elementwise(Unary::Softsign),
            "silu" | "swish" => Activation::Elementwise(Unary::Silu),
            "hard_sigmoid" => Activation::Elementwise(Unary::HardSigmoid),
            "hard_silu" | "hard_swish" => Activation::Elementwise(Unary::HardSilu),
            "relu6" => Activation::Elementwise(Unary::Relu6),
            "mish" => Activation::Elementwise(Unary::Mish),
            "exponential" => Activation::Elementwise(Unary::Exp),
            "log_softmax" => Activation::LogSoftmax,
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
            Activation::LogSoftmax => x.log_softmax(-1),
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

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn every_listed_name_resolves() {
        for name in NAMES {
            assert!(Activation::from_name(name).is_ok(), "{name}");
        }
        let e = Activation::from_name("crelu").unwrap_err().to_string();
        assert!(e.contains("valid names") && e.contains("mish"), "{e}");
    }
    #[test]
    fn log_softmax_is_along_the_last_axis() {
        let x = Tensor::new(vec![1.0, 2.0, 3.0, 0.0, 0.0, 0.0], vec![2, 3]).unwrap();
        let y = Activation::LogSoftmax.apply(&x).unwrap().to_vec();
        let lse = (1f32.exp() + 2f32.exp() + 3f32.exp()).ln();
        assert!((y[0] - (1.0 - lse)).abs() < 1e-6);
        assert!((y[3] + 3f32.ln()).abs() < 1e-6);
    }
}
