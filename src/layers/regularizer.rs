//! Weight regularizers (Keras' l1, l2, l1_l2) and `Weighted`, the layer wrapper carrying a layer's
//! weight options: the penalties of its weights and of its output, and its weights' constraints.
use super::{Activation, Constraint, Layer};
use crate::autograd::NoGradGuard;
use crate::error::Result;
use crate::init::Rng;
use crate::ops::unary::unary;
use crate::ops::Unary;
use crate::tensor::Tensor;
use parking_lot::Mutex;
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

    /// The penalty of a layer's output `y`, divided by its batch size (its first axis) as Keras 3
    /// does since 3.x's `Layer.__call__` (tf.keras 2 divided too; Keras 3.0 did not).
    pub fn activity_penalty(&self, y: &Tensor) -> Result<Tensor> {
        let p = self.penalty(y)?;
        match y.shape().first() {
            Some(&n) if n > 0 => Ok(unary(&p, Unary::MulScalar(1.0 / n as f32))),
            _ => Ok(p),
        }
    }
}

/// A layer carrying Keras' weight options: per parameter (in `params()` order: kernel, bias;
/// gamma, beta; embeddings; alpha) a regularizer and a constraint, and a regularizer of its output.
pub struct Weighted {
    pub inner: Arc<dyn Layer>,
    pub regularizers: Vec<Option<Regularizer>>,
    pub constraints: Vec<Option<Constraint>>,
    pub activity: Option<Regularizer>,
}

impl Weighted {
    /// Kernel and bias regularizers only (what `regularized` built before constraints).
    pub fn regularized(
        inner: Arc<dyn Layer>,
        kernel: Option<Regularizer>,
        bias: Option<Regularizer>,
    ) -> Weighted {
        Weighted {
            inner,
            regularizers: vec![kernel, bias],
            constraints: Vec::new(),
            activity: None,
        }
    }
}

impl Layer for Weighted {
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
        let mut total = self.inner.penalty()?;
        // Only trainable weights count, as Keras 3: a frozen layer's weights ask for no gradient.
        for (reg, w) in self.regularizers.iter().zip(&params) {
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
    fn constrain(&self) -> Result<()> {
        self.inner.constrain()?;
        let _g = NoGradGuard::new();
        for (c, w) in self.constraints.iter().zip(self.inner.params()) {
            if let Some(c) = c {
                c.apply(&w)?;
            }
        }
        Ok(())
    }
    fn constrained(&self) -> bool {
        self.constraints.iter().any(Option::is_some) || self.inner.constrained()
    }
    fn activity(&self) -> Option<Regularizer> {
        self.activity.or_else(|| self.inner.activity())
    }
    fn rng(&self) -> Option<&Mutex<Rng>> {
        self.inner.rng()
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
        let r = Weighted::regularized(
            Arc::new(d),
            Some(Regularizer { l1: 0.1, l2: 0.01 }),
            Some(Regularizer { l1: 0.0, l2: 1.0 }),
        );
        let p = r.penalty().unwrap().unwrap().item().unwrap();
        let want = 0.1 * 6.5 + 0.01 * (1.0 + 4.0 + 9.0 + 0.25) + 2.0;
        assert!((p - want).abs() < 1e-5, "{p} vs {want}");
    }
}
