//! Weight regularizers (Keras' l1, l2, l1_l2) and the layer wrapper that adds their penalty on a
//! layer's kernel and bias to the training loss.
use super::{Activation, Layer};
use crate::error::Result;
use crate::ops::unary::unary;
use crate::ops::Unary;
use crate::tensor::Tensor;
use std::sync::Arc;

/// l1 · Σ|w| + l2 · Σw², Keras' L1L2.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Regularizer {
    pub l1: f32,
    pub l2: f32,
}

impl Regularizer {
    pub fn penalty(&self, w: &Tensor) -> Result<Tensor> {
        let mut p = Tensor::scalar(0.0);
        if self.l1 != 0.0 {
            p = p.add(&unary(
                &unary(w, Unary::Abs).sum(),
                Unary::MulScalar(self.l1),
            ))?;
        }
        if self.l2 != 0.0 {
            p = p.add(&unary(&w.mul(w)?.sum(), Unary::MulScalar(self.l2)))?;
        }
        Ok(p)
    }
}

/// A layer whose first two parameters (kernel, bias) carry regularizers; the rest is the inner
/// layer's.
pub struct Regularized {
    pub inner: Arc<dyn Layer>,
    pub kernel: Option<Regularizer>,
    pub bias: Option<Regularizer>,
}

impl Layer for Regularized {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        self.inner.forward(x, training)
    }
    fn forward_many(&self, xs: &[Tensor], training: bool) -> Result<Tensor> {
        self.inner.forward_many(xs, training)
    }
    fn frozen_runs_in_inference(&self) -> bool {
        self.inner.frozen_runs_in_inference()
    }
    fn forward_logits(&self, x: &Tensor, training: bool) -> Result<(Tensor, Activation)> {
        self.inner.forward_logits(x, training)
    }
    fn params(&self) -> Vec<Tensor> {
        self.inner.params()
    }
    fn state(&self) -> Vec<Tensor> {
        self.inner.state()
    }
    fn penalty(&self) -> Result<Option<Tensor>> {
        let params = self.inner.params();
        let mut total: Option<Tensor> = None;
        // Only trainable weights count, as Keras 3: a frozen layer's weights ask for no gradient.
        for (reg, w) in [self.kernel, self.bias].iter().zip(&params) {
            if let (Some(r), true) = (reg, w.requires_grad()) {
                let p = r.penalty(w)?;
                total = Some(match total {
                    None => p,
                    Some(t) => t.add(&p)?,
                });
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Dense;
    #[test]
    fn penalty_is_l1_plus_l2_of_kernel_and_bias() {
        let d = Dense::new(2, 2, Activation::Linear, true);
        d.kernel.data_mut().copy_from_slice(&[1.0, -2.0, 3.0, 0.5]);
        d.bias
            .as_ref()
            .unwrap()
            .data_mut()
            .copy_from_slice(&[1.0, -1.0]);
        let r = Regularized {
            inner: Arc::new(d),
            kernel: Some(Regularizer { l1: 0.1, l2: 0.01 }),
            bias: Some(Regularizer { l1: 0.0, l2: 1.0 }),
        };
        let p = r.penalty().unwrap().unwrap().item().unwrap();
        let want = 0.1 * 6.5 + 0.01 * (1.0 + 4.0 + 9.0 + 0.25) + 2.0;
        assert!((p - want).abs() < 1e-5, "{p} vs {want}");
    }
}
