//! Compile state and the one-batch steps on a model graph: forward, the losses of every output
//! (weighted and summed), backward, the optimizer update of the trainable layers, and metrics.
use super::grad_hook::{self, GradHook};
use super::grad_monitor::GradMonitor;
use super::graph::{Graph, OutputValue};
use crate::autograd::NoGradGuard;
use crate::error::{Error, Result};
use crate::kernels::parallel::{within_pool, DenormalGuard};
use crate::layers::Activation;
use crate::losses::{self, Loss};
use crate::metrics::{self, Metric};
use crate::optimizers::{Norms, OptimizerState, Snapshot};
use crate::tensor::Tensor;

/// What one output is trained on: its loss, that loss's weight in the total, and its metrics.
#[derive(Clone, Debug)]
pub struct Head {
    pub loss: Loss,
    pub weight: f32,
    pub metrics: Vec<Metric>,
}

/// What `compile` fixes: one head per output, the optimizer, and which layers are frozen.
pub struct Compiled {
    pub heads: Vec<Head>,
    pub opt: OptimizerState,
    pub frozen: Vec<bool>,
    /// Run on the packed gradients of every step (data-parallel averaging), with its buffer.
    pub grad_hook: Option<Box<dyn GradHook>>,
    hook_buf: Vec<f32>,
    /// Per-layer gradient, weight and update norms every few steps (GradientMonitor).
    pub grad_monitor: Option<GradMonitor>,
}

/// What one batch produced: the total loss, then (sum, count) statistics: with several outputs one
/// per output for its own loss first, then every output's metrics in order.
#[derive(Debug, Clone)]
pub struct StepOut {
    pub loss: f32,
    pub stats: Vec<(f64, f64)>,
}

impl Compiled {
    /// Compile state for `graph`: the heads must match its outputs; frozen layers' weights stop
    /// asking for gradients (so backward computes none for them) and the others ask again.
    pub fn new(
        graph: &Graph,
        heads: Vec<Head>,
        opt: OptimizerState,
        frozen: &[usize],
    ) -> Result<Self> {
        if heads.len() != graph.outputs.len() {
            return Err(Error::invalid(
                "compile",
                format!(
                    "the model has {} outputs but got {} losses",
                    graph.outputs.len(),
                    heads.len()
                ),
            ));
        }
        if let Some(&l) = frozen.iter().find(|&&l| l >= graph.layers.len()) {
            return Err(Error::invalid(
                "compile",
                format!("frozen layer {l} of {}", graph.layers.len()),
            ));
        }
        let mask: Vec<bool> = (0..graph.layers.len())
            .map(|l| frozen.contains(&l))
            .collect();
        for (layer, &off) in graph.layers.iter().zip(&mask) {
            for p in layer.params() {
                p.set_requires_grad(!off)?;
            }
        }
        Ok(Compiled {
            heads,
            opt,
            frozen: mask,
            grad_hook: None,
            hook_buf: Vec::new(),
            grad_monitor: None,
        })
    }

    /// The parameters the optimizer updates, in layer order (its state slots follow this order).
    fn trainable(&self, graph: &Graph) -> Vec<Tensor> {
        graph
            .layers
            .iter()
            .zip(&self.frozen)
            .filter(|(_, &off)| !off)
            .flat_map(|(l, _)| l.params())
            .collect()
    }

    /// The trainable layers that have weights (graph indices), and each one's parameters: the
    /// groups the gradient monitor reports on.
    pub fn monitored(&self, graph: &Graph) -> (Vec<usize>, Vec<Vec<Tensor>>) {
        graph
            .layers
            .iter()
            .enumerate()
            .filter(|&(l, layer)| !self.frozen[l] && !layer.params().is_empty())
            .map(|(l, layer)| (l, layer.params()))
            .unzip()
    }

    /// How many floats the trainable parameters hold (the gradient hook's buffer, less one).
    pub fn trainable_size(&self, graph: &Graph) -> usize {
        self.trainable(graph).iter().map(Tensor::numel).sum()
    }

    /// Keras' `finalize_variable_values` at the end of fit: the weights take their moving average
    /// when the optimizer keeps one (use_ema), else nothing changes.
    pub fn finalize_variable_values(&mut self, graph: &Graph) {
        let params = self.trainable(graph);
        self.opt.finalize(&params);
    }

    /// The optimizer's step count and slots, parameter positions as in `trainable`.
    pub fn optimizer_state(&mut self) -> Snapshot {
        self.opt.snapshot()
    }

    /// Continue from a saved optimizer state, checked against this graph's trainable parameters.
    pub fn set_optimizer_state(&mut self, graph: &Graph, snap: Snapshot) -> Result<()> {
        let sizes: Vec<usize> = self.trainable(graph).iter().map(|p| p.numel()).collect();
        self.opt.restore(snap, Some(&sizes))
    }

    /// Whether layer `l` runs in training mode during a train step: a frozen layer that says so
    /// (BatchNormalization) runs in inference mode, as in Keras.
    fn mode(&self, graph: &Graph, l: usize) -> bool {
        !(self.frozen[l] && graph.layers[l].frozen_runs_in_inference())
    }
}

/// The loss of one output and the predictions its metrics read; a final softmax/sigmoid followed
/// by cross-entropy on probabilities is computed from the logits (log-sum-exp).
fn head_loss(
    h: &Head,
    out: &OutputValue,
    y: &Tensor,
    sw: Option<&Tensor>,
) -> Result<(Tensor, Option<Tensor>)> {
    let fuse = matches!(
        (h.loss, out.act),
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
        let l = losses::compute(h.loss.with_logits(), y, &out.logits, sw)?;
        // The probabilities are for the metrics only: without any, the softmax is not computed
        // (it was a third of a batch-128 MNIST step's loss time).
        if h.metrics.is_empty() {
            return Ok((l, None));
        }
        let _g = NoGradGuard::new();
        Ok((l, Some(out.act.apply(&out.logits)?)))
    } else {
        let p = out.act.apply(&out.logits)?;
        Ok((losses::compute(h.loss, y, &p, sw)?, Some(p)))
    }
}

/// The weighted total loss and the statistics of every head.
fn total_loss(
    heads: &[Head],
    outs: &[OutputValue],
    ys: &[Tensor],
    sw: Option<&Tensor>,
) -> Result<(Tensor, Vec<(f64, f64)>)> {
    if ys.len() != heads.len() {
        return Err(Error::invalid(
            "Model",
            format!(
                "the model has {} outputs but got {} targets",
                heads.len(),
                ys.len()
            ),
        ));
    }
    let mut total: Option<Tensor> = None;
    let (mut own, mut stats) = (Vec::new(), Vec::new());
    for ((h, out), y) in heads.iter().zip(outs).zip(ys) {
        let (l, p) = head_loss(h, out, y, sw)?;
        let rows = out.logits.shape().first().copied().unwrap_or(1) as f64;
        own.push((f64::from(l.item()?) * rows, rows));
        // Compiled metrics see no sample weights: Keras weighs only `weighted_metrics`.
        if let Some(p) = &p {
            for m in &h.metrics {
                stats.push(metrics::batch(*m, y, p, None)?);
            }
        }
        let weighted = if h.weight == 1.0 {
            l
        } else {
            l.mul(&Tensor::scalar(h.weight))?
        };
        total = Some(match total {
            None => weighted,
            Some(t) => t.add(&weighted)?,
        });
    }
    let total = total.ok_or_else(|| Error::invalid("Model", "a model needs an output"))?;
    if heads.len() > 1 {
        own.extend(stats);
        stats = own;
    }
    Ok((total, stats))
}

impl Graph {
    /// `loss` plus the activity penalties of this batch's outputs and every layer's weight
    /// penalty, as Keras adds `model.losses`.
    fn with_penalties(&self, loss: Tensor, activity: Option<Tensor>) -> Result<Tensor> {
        let mut total = match activity {
            Some(a) => loss.add(&a)?,
            None => loss,
        };
        for layer in &self.layers {
            if let Some(p) = layer.penalty()? {
                total = total.add(&p)?;
            }
        }
        Ok(total)
    }

    /// One optimisation step on a batch. Weights change only after every check has passed.
    /// Runs on a pool thread so that its parallel products fork from there (`within_pool`).
    pub fn train_step(
        &self,
        c: &mut Compiled,
        xs: &[Tensor],
        ys: &[Tensor],
        sw: Option<&Tensor>,
        lr: f32,
    ) -> Result<StepOut> {
        within_pool(|| {
            let _ftz = DenormalGuard::new();
            let params = c.trainable(self);
            params.iter().for_each(|p| p.zero_grad());
            let (outs, act) = self.run_collecting(xs, &|l| c.mode(self, l), true, true)?;
            let (l, stats) = total_loss(&c.heads, &outs, ys, sw)?;
            let l = self.with_penalties(l, act)?;
            l.backward(None, false)?;
            if let Some(hook) = &c.grad_hook {
                let rows = xs.first().and_then(|x| x.shape().first()).copied();
                grad_hook::run(hook.as_ref(), &params, rows.unwrap_or(1), &mut c.hook_buf)?;
            }
            let update = |c: &mut Compiled, measure: bool| -> Result<Vec<Norms>> {
                let norms = if measure {
                    c.opt.step_measured(&params, lr)?
                } else {
                    c.opt.step(&params, lr)?;
                    Vec::new()
                };
                // Then each updated layer's weights are projected onto their constraints (Keras).
                for (layer, _) in self.layers.iter().zip(&c.frozen).filter(|(_, &off)| !off) {
                    layer.constrain()?;
                }
                Ok(norms)
            };
            let mut monitor = c.grad_monitor.take();
            let updated = match monitor.as_mut() {
                Some(m) => {
                    let (ids, groups) = c.monitored(self);
                    let constrained: Vec<bool> =
                        ids.iter().map(|&l| self.layers[l].constrained()).collect();
                    m.observe(&groups, &constrained, |measure| update(c, measure))
                }
                None => update(c, false).map(drop),
            };
            c.grad_monitor = monitor;
            updated?;
            Ok(StepOut {
                loss: l.item()?,
                stats,
            })
        })
    }

    /// Loss and metrics on a batch without recording a graph or changing weights.
    pub fn eval_step(
        &self,
        heads: &[Head],
        xs: &[Tensor],
        ys: &[Tensor],
        sw: Option<&Tensor>,
    ) -> Result<StepOut> {
        within_pool(|| {
            let _g = NoGradGuard::new();
            let (outs, act) = self.run_collecting(xs, &|_| false, true, true)?;
            let (l, stats) = total_loss(heads, &outs, ys, sw)?;
            let l = self.with_penalties(l, act)?;
            Ok(StepOut {
                loss: l.item()?,
                stats,
            })
        })
    }

    pub fn predict(&self, xs: &[Tensor]) -> Result<Vec<Tensor>> {
        within_pool(|| {
            let _g = NoGradGuard::new();
            self.forward(xs, false)
        })
    }
}

/// What a run of many batches produced: each batch's loss and statistics, and the error that ended
/// the run early, if any (the batches before it keep their updates).
#[derive(Default, Debug)]
pub struct Trained {
    pub losses: Vec<f32>,
    pub stats: Vec<Vec<(f64, f64)>>,
    pub error: Option<Error>,
}

/// One batch of a run: inputs, targets and sample weights.
pub type Batch = (Vec<Tensor>, Vec<Tensor>, Option<Tensor>);

impl Graph {
    /// Batches `0..lrs.len()` in order, batch `b` made by `batch(b)` and trained at `lrs[b]`,
    /// until all ran, one failed, or `stop` was set (checked between batches, never inside one:
    /// a Ctrl-C seen by a waiting thread never leaves weights half-updated).
    pub fn train_many(
        &self,
        c: &mut Compiled,
        lrs: &[f32],
        mut batch: impl FnMut(usize) -> Result<Batch>,
        stop: &std::sync::atomic::AtomicBool,
    ) -> Trained {
        let mut out = Trained::default();
        for (b, &lr) in lrs.iter().enumerate() {
            if stop.load(std::sync::atomic::Ordering::Acquire) {
                break;
            }
            let step =
                batch(b).and_then(|(xs, ys, sw)| self.train_step(c, &xs, &ys, sw.as_ref(), lr));
            match step {
                Ok(o) => {
                    out.losses.push(o.loss);
                    out.stats.push(o.stats);
                }
                Err(e) => {
                    out.error = Some(e);
                    break;
                }
            }
        }
        out
    }
}
