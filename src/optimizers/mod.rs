//! Optimizers: the trait, gradient clipping shared by all, and the step that applies one update to
//! every parameter. One file per optimizer holds its config, state and update rule.
mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod elementwise;
mod ema;
mod ftrl;
mod lamb;
mod lion;
mod measured;
mod nadam;
mod rmsprop;
mod sgd;

pub use adadelta::Adadelta;
pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamax::Adamax;
pub use ema::Ema;
pub use ftrl::Ftrl;
pub use lamb::Lamb;
pub use lion::Lion;
pub use measured::Norms;
pub use nadam::Nadam;
pub use rmsprop::RMSprop;
pub use sgd::Sgd;

use crate::error::{Error, Result};
use crate::kernels::norms::sum_sq_par;
use crate::kernels::parallel;
use crate::tensor::Tensor;

/// One update rule. `i` is the parameter's position (stable for a model), `t` the 1-based step.
pub trait Optimizer: Send + Sync {
    fn name(&self) -> &'static str;
    fn update(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, t: u64);
    /// `update` after scaling `w` by `k` (decoupled weight decay; 1 for none), returning the
    /// gradient monitor's norms of `g`, of `w` before the step and of the step, measured while the
    /// rule holds each block in cache (`measured::blocked`). A rule that cannot work block by block
    /// returns None without touching anything, and the caller measures around `update`.
    fn update_measured(
        &mut self,
        _i: usize,
        _w: &mut [f32],
        _g: &[f32],
        _lr: f32,
        _t: u64,
        _k: f32,
    ) -> Option<Norms> {
        None
    }
    /// The rule's per-parameter state under Keras' variable names ("momentum", "velocity", ...),
    /// for saving and restoring it; a stateless rule has none.
    fn slots(&mut self) -> Vec<(&'static str, &mut Slots)> {
        Vec::new()
    }
}

/// Everything an optimizer carries between steps: the step count and each named slot, one vector
/// per parameter position (empty where that parameter has had no update yet).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub iterations: u64,
    pub slots: Vec<(String, Vec<Vec<f32>>)>,
}

/// The name the weight average of `use_ema` is saved under (Keras: "average").
const EMA_SLOT: &str = "average";

/// Keras' clipping options, applied before the update rule.
#[derive(Clone, Copy, Debug, Default)]
pub struct Clip {
    pub clipnorm: Option<f32>,
    pub clipvalue: Option<f32>,
    pub global_clipnorm: Option<f32>,
}

/// An optimizer with its clipping, decoupled weight decay, weight average and step counter.
pub struct OptimizerState {
    pub rule: Box<dyn Optimizer>,
    pub clip: Clip,
    pub weight_decay: f32,
    pub ema: Option<Ema>,
    pub iterations: u64,
}

fn norm(g: &[f32]) -> f32 {
    g.iter()
        .map(|v| (*v as f64) * (*v as f64))
        .sum::<f64>()
        .sqrt() as f32
}

fn scale(g: &mut [f32], s: f32) {
    g.iter_mut().for_each(|v| *v *= s);
}

/// Updates from this many elements are split over the pool when the update runs on a pool thread.
/// Lower than for elementwise ops: a train step runs on the pool (`within_pool`), whose workers are
/// awake from the step's products. An update called from outside the pool (the eager engine's
/// `optimizer.step`, a user's `apply_gradients`) splits from `MIN_PARALLEL_ELEMS` only: handing a
/// 784×128 Adam update over to the sleeping pool cost ~50 µs of a subclassed MLP's train step,
/// where one thread does the update in ~20 µs.
const MIN_SPLIT_UPDATE: usize = 1 << 15;

/// Split `n` elements into one chunk per thread for rayon, or None when one thread should do it all.
/// One chunk per thread, in order, matches how the products split a weight gradient's rows, so each
/// worker mostly updates the part of a weight that it just computed and has in its own cache. Run on
/// one thread after split products, the MLP's Adam update took about three times as long as on its
/// own, reading gradients and weights from the other core's cache.
pub(crate) fn split(n: usize) -> Option<usize> {
    let threads = parallel::num_threads();
    let min = if parallel::on_pool() {
        MIN_SPLIT_UPDATE
    } else {
        parallel::MIN_PARALLEL_ELEMS
    };
    (n >= min && threads > 1).then(|| n.div_ceil(threads).next_multiple_of(16))
}

/// Run an update in the pool when it is large enough to split.
pub(crate) fn in_pool<R: Send>(n: usize, f: impl FnOnce(Option<usize>) -> R + Send) -> R {
    let chunk = split(n);
    parallel::run(if chunk.is_some() { n } else { 0 }, 1, move |_| f(chunk))
}

impl OptimizerState {
    pub fn new(rule: Box<dyn Optimizer>, clip: Clip, weight_decay: f32) -> Result<Self> {
        for (name, v) in [
            ("clipnorm", clip.clipnorm),
            ("clipvalue", clip.clipvalue),
            ("global_clipnorm", clip.global_clipnorm),
        ] {
            if let Some(v) = v {
                // NaN is refused too.
                if v.is_nan() || v <= 0.0 {
                    return Err(Error::invalid(
                        rule.name(),
                        format!("{name} must be a positive number, got {v}"),
                    ));
                }
            }
        }
        if clip.clipnorm.is_some() && clip.global_clipnorm.is_some() {
            return Err(Error::invalid(
                rule.name(),
                "clipnorm and global_clipnorm cannot both be set",
            ));
        }
        if weight_decay.is_nan() || weight_decay < 0.0 {
            return Err(Error::invalid(
                rule.name(),
                format!("weight_decay must be >= 0, got {weight_decay}"),
            ));
        }
        Ok(OptimizerState {
            rule,
            clip,
            weight_decay,
            ema: None,
            iterations: 0,
        })
    }

    /// Keep an exponential moving average of the weights (Keras' `use_ema`).
    pub fn with_ema(mut self, ema: Option<Ema>) -> Self {
        self.ema = ema;
        self
    }

    /// Replace the weights by their moving average when there is one (end of fit).
    pub fn finalize(&mut self, params: &[Tensor]) {
        if let Some(e) = self.ema.as_mut() {
            e.finalize(params);
        }
    }

    /// A copy of the step count and every slot (with use_ema, the averages too).
    pub fn snapshot(&mut self) -> Snapshot {
        let mut slots: Vec<(String, Vec<Vec<f32>>)> = self
            .rule
            .slots()
            .into_iter()
            .map(|(name, s)| (name.to_string(), s.0.clone()))
            .collect();
        if let Some(e) = self.ema.as_ref() {
            slots.push((EMA_SLOT.to_string(), e.avg.0.clone()));
        }
        Snapshot {
            iterations: self.iterations,
            slots,
        }
    }

    /// Continue from `snap`. Every slot name must be one this optimizer has; `sizes`, when given,
    /// are the parameters' element counts, which each non-empty vector must match (a slot of the
    /// wrong size would otherwise be silently reset to its initial value at the next step).
    /// Nothing changes unless the whole snapshot fits.
    pub fn restore(&mut self, snap: Snapshot, sizes: Option<&[usize]>) -> Result<()> {
        let name = self.rule.name();
        let mut known: Vec<&'static str> = self.rule.slots().iter().map(|(n, _)| *n).collect();
        if self.ema.is_some() {
            known.push(EMA_SLOT);
        }
        for (slot, vecs) in &snap.slots {
            if !known.contains(&slot.as_str()) {
                return Err(Error::invalid(
                    name,
                    format!("has no slot {slot:?}; its slots are {known:?}"),
                ));
            }
            if let Some(sizes) = sizes {
                if vecs.len() > sizes.len() {
                    return Err(Error::invalid(
                        name,
                        format!(
                            "slot {slot:?} holds {} parameters but the model has {}",
                            vecs.len(),
                            sizes.len()
                        ),
                    ));
                }
                if let Some((i, v)) = vecs
                    .iter()
                    .enumerate()
                    .find(|(i, v)| !v.is_empty() && v.len() != sizes[*i])
                {
                    return Err(Error::invalid(
                        name,
                        format!(
                            "slot {slot:?} of parameter {i} has {} values, the parameter {}",
                            v.len(),
                            sizes[i]
                        ),
                    ));
                }
            }
        }
        // A slot the snapshot leaves out starts afresh, as it would in a new optimizer.
        self.rule.slots().into_iter().for_each(|(_, s)| s.0.clear());
        if let Some(e) = self.ema.as_mut() {
            e.avg.0.clear();
        }
        self.iterations = snap.iterations;
        for (slot, vecs) in snap.slots {
            if slot == EMA_SLOT {
                if let Some(e) = self.ema.as_mut() {
                    e.avg.0 = vecs;
                }
                continue;
            }
            if let Some((_, s)) = self.rule.slots().into_iter().find(|(n, _)| *n == slot) {
                s.0 = vecs;
            }
        }
        Ok(())
    }

    /// Apply one update to every parameter that has a gradient, then clear the gradients.
    pub fn step(&mut self, params: &[Tensor], lr: f32) -> Result<()> {
        self.step_inner(params, lr, None).map(drop)
    }

    /// `step`, also returning each parameter's gradient-monitor norms (in `params`' order): of its
    /// gradient as backward left it (before clipping), of its weights before the step and of the
    /// step (decay included). A parameter without a gradient is not updated: [0, Σ w², 0].
    pub fn step_measured(&mut self, params: &[Tensor], lr: f32) -> Result<Vec<Norms>> {
        let mut scratch = Vec::new();
        self.step_inner(params, lr, Some(&mut scratch))
    }

    fn step_inner(
        &mut self,
        params: &[Tensor],
        lr: f32,
        mut measure: Option<&mut Vec<f32>>,
    ) -> Result<Vec<Norms>> {
        if !lr.is_finite() {
            return Err(Error::invalid(
                self.rule.name(),
                format!("learning rate must be finite, got {lr}"),
            ));
        }
        self.iterations += 1;
        let t = self.iterations;
        let clipping = self.clip.clipnorm.is_some()
            || self.clip.clipvalue.is_some()
            || self.clip.global_clipnorm.is_some();
        // Without clipping the update reads each gradient in place; clipping needs copies to edit.
        let mut clipped: Vec<Option<Vec<f32>>> = Vec::new();
        if clipping {
            clipped = params
                .iter()
                .map(|p| p.grad().map(|g| g.to_vec()))
                .collect();
            self.clip_grads(&mut clipped);
        }
        let k = 1.0 - lr * self.weight_decay;
        let mut norms = Vec::with_capacity(if measure.is_some() { params.len() } else { 0 });
        for (i, p) in params.iter().enumerate() {
            let Some(gt) = p.grad() else {
                if measure.is_some() {
                    norms.push([0.0, sum_sq_par(&p.data()), 0.0]);
                }
                continue;
            };
            let gd = gt.data();
            let g: &[f32] = match clipped.get(i) {
                Some(Some(c)) => c,
                _ => &gd,
            };
            let mut w = p.data_mut();
            if let Some(scratch) = measure.as_deref_mut() {
                let rule = &mut self.rule;
                let mut n = match rule.update_measured(i, &mut w, g, lr, t, k) {
                    Some(n) => n,
                    None => {
                        measured::around(&mut w, g, k, scratch, |w| rule.update(i, w, g, lr, t))
                    }
                };
                if clipping {
                    n[0] = sum_sq_par(&gd); // the monitor reports the gradient backward computed
                }
                norms.push(n);
            } else {
                if self.weight_decay > 0.0 {
                    w.iter_mut().for_each(|v| *v *= k);
                }
                self.rule.update(i, &mut w, g, lr, t);
            }
            drop(w);
            drop(gd);
            p.zero_grad();
        }
        if let Some(e) = self.ema.as_mut() {
            e.after_step(params, t);
        }
        Ok(norms)
    }

    fn clip_grads(&self, grads: &mut [Option<Vec<f32>>]) {
        if let Some(c) = self.clip.clipvalue {
            grads
                .iter_mut()
                .flatten()
                .for_each(|g| g.iter_mut().for_each(|v| *v = v.clamp(-c, c)));
        }
        if let Some(c) = self.clip.clipnorm {
            for g in grads.iter_mut().flatten() {
                let n = norm(g);
                if n > c {
                    scale(g, c / n);
                }
            }
        }
        if let Some(c) = self.clip.global_clipnorm {
            let n = grads
                .iter()
                .flatten()
                .map(|g| norm(g).powi(2))
                .sum::<f32>()
                .sqrt();
            if n > c {
                grads.iter_mut().flatten().for_each(|g| scale(g, c / n));
            }
        }
    }
}

/// Per-parameter state vectors, created lazily at the parameter's size.
#[derive(Default)]
pub struct Slots(Vec<Vec<f32>>);

impl Slots {
    pub fn get(&mut self, i: usize, n: usize, init: f32) -> &mut Vec<f32> {
        if self.0.len() <= i {
            self.0.resize_with(i + 1, Vec::new);
        }
        if self.0[i].len() != n {
            self.0[i] = vec![init; n];
        }
        &mut self.0[i]
    }

    pub fn peek(&self, i: usize) -> Option<&[f32]> {
        self.0.get(i).map(|v| v.as_slice())
    }
}

#[cfg(test)]
mod measured_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_split_on_the_pool_from_a_lower_size_than_outside() {
        if parallel::num_threads() < 2 {
            return; // one thread: nothing is ever split
        }
        let n = 2 * MIN_SPLIT_UPDATE;
        assert_eq!(split(n), None, "handed over from outside the pool");
        assert_eq!(parallel::within_pool(|| split(n)), Some(n / 2));
        let big = parallel::MIN_PARALLEL_ELEMS;
        assert_eq!(split(big), Some(big / 2));
    }
}
