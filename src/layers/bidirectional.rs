//! Keras' Bidirectional: a recurrent layer run forward and a second one (go_backwards) run over
//! the reversed sequence, their outputs merged; with return_sequences the backward outputs are
//! put back in time order first, so step t of both halves saw input t last.
use super::{Layer, Merge, Regularizer};
use crate::error::Result;
use crate::init::Rng;
use crate::ops::Index;
use crate::tensor::Tensor;
use parking_lot::Mutex;
use std::sync::Arc;

pub struct Bidirectional {
    pub forward: Arc<dyn Layer>,
    pub backward: Arc<dyn Layer>,
    pub merge: Merge,
    pub return_sequences: bool,
}

impl Layer for Bidirectional {
    fn kind(&self) -> &'static str {
        "Bidirectional"
    }
    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        let yf = self.forward.forward(x, training)?;
        let mut yb = self.backward.forward(x, training)?;
        if self.return_sequences {
            yb = yb.index(&[Index::Slice(None, None, 1), Index::Slice(None, None, -1)])?;
        }
        self.merge.forward_many(&[yf, yb], training)
    }
    fn params(&self) -> Vec<Tensor> {
        let mut p = self.forward.params();
        p.extend(self.backward.params());
        p
    }
    fn penalty(&self) -> Result<Option<Tensor>> {
        Ok(match (self.forward.penalty()?, self.backward.penalty()?) {
            (Some(a), Some(b)) => Some(a.add(&b)?),
            (a, b) => a.or(b),
        })
    }
    fn constrain(&self) -> Result<()> {
        self.forward.constrain()?;
        self.backward.constrain()
    }
    fn constrained(&self) -> bool {
        self.forward.constrained() || self.backward.constrained()
    }
    fn activity(&self) -> Option<Regularizer> {
        None
    }
    /// The forward half's generator: a checkpoint saves one position per layer.
    fn rng(&self) -> Option<&Mutex<Rng>> {
        self.forward.rng()
    }
}
