//! Keras' activation layers with arguments: Softmax(axis), ReLU(max_value, negative_slope,
//! threshold), LeakyReLU, ELU (as Unary ops through ActivationLayer) and PReLU (a learned slope).
use super::{Activation, Layer};
use crate::error::{Error, Result};
use crate::ops::binary::{compare, Compare};
use crate::ops::unary::unary;
use crate::ops::Unary;
use crate::tensor::Tensor;

/// Softmax along `axis`; along the last axis it can fold into a cross-entropy loss.
pub struct SoftmaxLayer {
    pub axis: isize,
}

impl SoftmaxLayer {
    fn is_last(&self, x: &Tensor) -> bool {
        self.axis == -1 || self.axis == x.ndim() as isize - 1
    }
}

impl Layer for SoftmaxLayer {
    fn kind(&self) -> &'static str {
        "Softmax"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        x.softmax(self.axis)
    }
    fn forward_logits(&self, x: &Tensor, training: bool) -> Result<(Tensor, Activation)> {
        if self.is_last(x) {
            Ok((x.clone(), Activation::Softmax))
        } else {
            Ok((self.forward(x, training)?, Activation::Linear))
        }
    }
}

/// Keras' relu(x, negative_slope, max_value, threshold): x where threshold < x (clipped to
/// [0, max_value]), negative_slope · (x − threshold) below the threshold.
pub struct ReluLayer {
    pub max_value: Option<f32>,
    pub negative_slope: f32,
    pub threshold: f32,
}

impl ReluLayer {
    pub fn new(max_value: Option<f32>, negative_slope: f32, threshold: f32) -> Result<ReluLayer> {
        let bad = |what: &str, v: f32| {
            Error::invalid("ReLU", format!("{what} must be >= 0 (and finite), got {v}"))
        };
        if let Some(m) = max_value.filter(|m| m.is_nan() || *m < 0.0) {
            return Err(bad("max_value", m));
        }
        if !(negative_slope >= 0.0 && negative_slope.is_finite()) {
            return Err(bad("negative_slope", negative_slope));
        }
        if !threshold.is_finite() {
            return Err(Error::invalid(
                "ReLU",
                format!("threshold must be finite, got {threshold}"),
            ));
        }
        Ok(ReluLayer {
            max_value,
            negative_slope,
            threshold,
        })
    }
}

impl Layer for ReluLayer {
    fn kind(&self) -> &'static str {
        "ReLU"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        let (t, s) = (self.threshold, self.negative_slope);
        if t == 0.0 && self.max_value.is_none() {
            return Ok(match s {
                0.0 => unary(x, Unary::Relu),
                _ => unary(x, Unary::LeakyRelu(s)),
            });
        }
        let above = if t == 0.0 {
            unary(x, Unary::Relu)
        } else {
            x.mul(&compare(x, &Tensor::scalar(t), Compare::Gt)?)?
        };
        let pos = match self.max_value {
            Some(m) => unary(&above, Unary::Clip(0.0, m)),
            None => above,
        };
        if s == 0.0 {
            return Ok(pos);
        }
        let below = unary(&unary(x, Unary::RSubScalar(t)), Unary::Relu);
        pos.sub(&unary(&below, Unary::MulScalar(s)))
    }
}

/// PReLU: relu(x) + alpha · (x − relu(x)), alpha learned with the input's shape (1 on shared axes).
pub struct PRelu {
    pub alpha: Tensor,
}

impl Layer for PRelu {
    fn kind(&self) -> &'static str {
        "PReLU"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        let pos = unary(x, Unary::Relu);
        pos.add(&self.alpha.mul(&x.sub(&pos)?)?)
    }
    fn params(&self) -> Vec<Tensor> {
        vec![self.alpha.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn run(l: &dyn Layer, v: &[f32]) -> Vec<f32> {
        let x = Tensor::new(v.to_vec(), vec![v.len()]).unwrap();
        l.forward(&x, false).unwrap().to_vec()
    }
    #[test]
    fn relu_matches_keras_documented_values() {
        let x = [-10.0, -5.0, 0.0, 5.0, 10.0];
        let l = ReluLayer::new(None, 1.0, 0.0).unwrap();
        assert_eq!(run(&l, &x), vec![-10.0, -5.0, 0.0, 5.0, 10.0]);
        let l = ReluLayer::new(Some(5.0), 0.0, 0.0).unwrap();
        assert_eq!(run(&l, &x), vec![0.0, 0.0, 0.0, 5.0, 5.0]);
        let l = ReluLayer::new(None, 0.0, 5.0).unwrap();
        assert_eq!(run(&l, &x), vec![0.0, 0.0, 0.0, 0.0, 10.0]);
        let l = ReluLayer::new(Some(6.0), 0.5, 1.0).unwrap();
        assert_eq!(run(&l, &x), vec![-5.5, -3.0, -0.5, 5.0, 6.0]);
        assert!(ReluLayer::new(Some(-1.0), 0.0, 0.0).is_err());
    }
    #[test]
    fn prelu_uses_its_slope_below_zero() {
        let l = PRelu {
            alpha: Tensor::full(&[2], 0.25),
        };
        assert_eq!(run(&l, &[-4.0, 2.0]), vec![-1.0, 2.0]);
    }
}
