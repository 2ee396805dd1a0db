//! Keras' TimeDistributed: one layer applied to every step of a (batch, time, ...) input, as one
//! call on the (batch·time, ...) reshape (so its products see all steps at once).
use super::{Activation, Layer, Regularizer};
use crate::error::{fmt_shape, Error, Result};
use crate::init::Rng;
use crate::tensor::Tensor;
use parking_lot::Mutex;
use std::sync::Arc;

pub struct TimeDistributed {
    pub inner: Arc<dyn Layer>,
}

impl TimeDistributed {
    /// (batch, time) and the input as (batch·time, ...).
    fn fold(&self, x: &Tensor) -> Result<(usize, usize, Tensor)> {
        let s = x.shape();
        if s.len() < 3 {
            return Err(Error::shape(
                "TimeDistributed",
                format!(
                    "expects inputs of at least 3 axes (batch, time, ...), got shape {}",
                    fmt_shape(s)
                ),
            ));
        }
        let (b, t) = (s[0], s[1]);
        let rest: Vec<isize> = s[2..].iter().map(|&v| v as isize).collect();
        Ok((b, t, x.reshape(&[&[(b * t) as isize], &rest[..]].concat())?))
    }
    fn unfold(b: usize, t: usize, y: &Tensor) -> Result<Tensor> {
        let rest: Vec<isize> = y.shape()[1..].iter().map(|&v| v as isize).collect();
        y.reshape(&[&[b as isize, t as isize], &rest[..]].concat())
    }
}

impl Layer for TimeDistributed {
    fn kind(&self) -> &'static str {
        "TimeDistributed"
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        let (b, t, folded) = self.fold(x)?;
        Self::unfold(b, t, &self.inner.forward(&folded, training)?)
    }
    fn forward_logits(&self, x: &Tensor, training: bool) -> Result<(Tensor, Activation)> {
        let (b, t, folded) = self.fold(x)?;
        let (y, act) = self.inner.forward_logits(&folded, training)?;
        Ok((Self::unfold(b, t, &y)?, act))
    }
    fn frozen_runs_in_inference(&self) -> bool {
        self.inner.frozen_runs_in_inference()
    }
    fn params(&self) -> Vec<Tensor> {
        self.inner.params()
    }
    fn state(&self) -> Vec<Tensor> {
        self.inner.state()
    }
    fn penalty(&self) -> Result<Option<Tensor>> {
        self.inner.penalty()
    }
    fn rng(&self) -> Option<&Mutex<Rng>> {
        self.inner.rng()
    }
    fn constrain(&self) -> Result<()> {
        self.inner.constrain()
    }
    fn constrained(&self) -> bool {
        self.inner.constrained()
    }
    fn activity(&self) -> Option<Regularizer> {
        self.inner.activity()
    }
}
