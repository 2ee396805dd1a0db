//! The one-batch steps: forward, loss, backward, optimizer update and metrics for a Sequential stack.
//! Python's fit loop calls `train_step` once per batch; everything inside is Rust.
use crate::autograd::NoGradGuard;
use crate::error::Result;
use crate::kernels::parallel::within_pool;
use crate::layers::{Activation, Layer};
use crate::losses::{self, Loss};
use crate::metrics::{self, Metric};
use crate::optimizers::OptimizerState;
use crate::tensor::Tensor;
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Sequential {
    pub layers: Vec<Arc<dyn Layer>>,
}

/// What one batch produced: the loss and each metric's (sum, count).
#[derive(Debug, Clone)]
pub struct StepOut {
    pub loss: f32,
    pub metrics: Vec<(f64, f64)>,
}

fn at(i: usize, l: &dyn Layer) -> String {
    format!("layer {i} ({})", l.kind())
}

impl Sequential {
    pub fn new(layers: Vec<Arc<dyn Layer>>) -> Sequential {
        Sequential { layers }
    }

    pub fn params(&self) -> Vec<Tensor> {
        self.layers.iter().flat_map(|l| l.params()).collect()
    }

    pub fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        let mut h = x.clone();
        for (i, l) in self.layers.iter().enumerate() {
            h = l
                .forward(&h, training)
                .map_err(|e| e.context(&at(i, l.as_ref())))?;
        }
        Ok(h)
    }

    /// Forward with the last layer's softmax/sigmoid held back (see `Layer::forward_logits`).
    fn forward_logits(&self, x: &Tensor, training: bool) -> Result<(Tensor, Activation)> {
        let Some((last, body)) = self.layers.split_last() else {
            return Ok((x.clone(), Activation::Linear));
        };
        let mut h = x.clone();
        for (i, l) in body.iter().enumerate() {
            h = l
                .forward(&h, training)
                .map_err(|e| e.context(&at(i, l.as_ref())))?;
        }
        last.forward_logits(&h, training)
            .map_err(|e| e.context(&at(body.len(), last.as_ref())))
    }

    /// Loss and predictions; cross-entropy after softmax/sigmoid is computed from the logits.
    fn loss_and_preds(
        &self,
        loss: Loss,
        x: &Tensor,
        y: &Tensor,
        sw: Option<&Tensor>,
        training: bool,
    ) -> Result<(Tensor, Tensor)> {
        let (z, act) = self.forward_logits(x, training)?;
        let fuse = matches!(
            (loss, act),
            (
                Loss::CategoricalCrossentropy {
                    from_logits: false,
                    ..
                } | Loss::SparseCategoricalCrossentropy { from_logits: false },
                Activation::Softmax,
            ) | (
                Loss::BinaryCrossentropy {
                    from_logits: false,
                    ..
                },
                Activation::Elementwise(crate::ops::Unary::Sigmoid),
            )
        );
        if fuse {
            let l = losses::compute(loss.with_logits(), y, &z, sw)?;
            let _g = NoGradGuard::new();
            Ok((l, act.apply(&z)?))
        } else {
            let p = act.apply(&z)?;
            Ok((losses::compute(loss, y, &p, sw)?, p))
        }
    }

    /// Compiled metrics see no sample weights: Keras weighs only `weighted_metrics`.
    fn metric_stats(metrics: &[Metric], y: &Tensor, p: &Tensor) -> Result<Vec<(f64, f64)>> {
        metrics
            .iter()
            .map(|m| metrics::batch(*m, y, p, None))
            .collect()
    }

    /// One optimisation step on a batch. Weights change only after every check has passed.
    /// Runs on a pool thread so that its parallel products fork from there (`within_pool`).
    // The arguments are Keras' train_step inputs; a struct for them would only move the list.
    #[allow(clippy::too_many_arguments)]
    pub fn train_step(
        &self,
        opt: &mut OptimizerState,
        loss: Loss,
        metrics: &[Metric],
        x: &Tensor,
        y: &Tensor,
        sw: Option<&Tensor>,
        lr: f32,
    ) -> Result<StepOut> {
        within_pool(|| {
            let _ftz = crate::kernels::parallel::DenormalGuard::new();
            let params = self.params();
            params.iter().for_each(|p| p.zero_grad());
            let (l, p) = self.loss_and_preds(loss, x, y, sw, true)?;
            l.backward(None, false)?;
            opt.step(&params, lr)?;
            let m = Self::metric_stats(metrics, y, &p)?;
            Ok(StepOut {
                loss: l.item()?,
                metrics: m,
            })
        })
    }

    /// Loss and metrics on a batch without recording a graph or changing weights.
    pub fn eval_step(
        &self,
        loss: Loss,
        metrics: &[Metric],
        x: &Tensor,
        y: &Tensor,
        sw: Option<&Tensor>,
    ) -> Result<StepOut> {
        within_pool(|| {
            let _g = NoGradGuard::new();
            let (l, p) = self.loss_and_preds(loss, x, y, sw, false)?;
            Ok(StepOut {
                loss: l.item()?,
                metrics: Self::metric_stats(metrics, y, &p)?,
            })
        })
    }

    pub fn predict(&self, x: &Tensor) -> Result<Tensor> {
        within_pool(|| {
            let _g = NoGradGuard::new();
            self.forward(x, false)
        })
    }
}
