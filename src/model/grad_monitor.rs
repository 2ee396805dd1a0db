//! The gradient monitor of a train step: every `every`-th step, for each trainable layer, the norm
//! of its gradients, the norm of its weights before the update, and the norm of the update over
//! that of the weights (Karpathy's "update/weight ratio").
//!
//! Why inside the step: the gradients exist only between backward and the update, and the
//! optimizer measures them while its update rule reads them anyway (optimizers/measured.rs), so a
//! recorded step costs about what any step does, with no Python round trip. A step that is not due
//! pays one counter check; a model without a monitor one `Option` check.
use crate::error::{Error, Result};
use crate::kernels::norms::diff_sq_par;
use crate::optimizers::Norms;
use crate::tensor::Tensor;

/// Per layer of `layers`: [gradient norm, weight norm, update norm / weight norm].
pub type LayerStats = [f32; 3];

/// What the monitor saw at one step (`step` counts the train steps since it was installed).
#[derive(Debug, Clone)]
pub struct Record {
    pub step: usize,
    pub stats: Vec<LayerStats>,
}

pub struct GradMonitor {
    every: usize,
    seen: usize,
    before: Vec<f32>,
    records: Vec<Record>,
}

impl GradMonitor {
    /// A monitor that records every `every`-th step, starting with the first.
    pub fn new(every: usize) -> Result<Self> {
        if every == 0 {
            return Err(Error::invalid(
                "GradientMonitor",
                "every must be a positive number of steps, got 0",
            ));
        }
        Ok(GradMonitor {
            every,
            seen: 0,
            before: Vec::new(),
            records: Vec::new(),
        })
    }

    /// The records since the last call, oldest first.
    pub fn take(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }

    /// Run `update(measure)` (the optimizer step and constraints). When this step is due, it runs
    /// with `measure` true and must return each parameter's norms (`OptimizerState::step_measured`,
    /// in the order of `groups` flattened); the weights of a `constrained` group are copied before
    /// it and compared after, since the projection moves them after the optimizer measured.
    pub fn observe(
        &mut self,
        groups: &[Vec<Tensor>],
        constrained: &[bool],
        update: impl FnOnce(bool) -> Result<Vec<Norms>>,
    ) -> Result<()> {
        let due = self.seen.is_multiple_of(self.every);
        let step = self.seen;
        self.seen += 1;
        if !due {
            return update(false).map(drop);
        }
        let copied = groups
            .iter()
            .zip(constrained)
            .filter(|(_, &c)| c)
            .flat_map(|(g, _)| g);
        self.before.clear();
        for p in copied.clone() {
            self.before.extend_from_slice(&p.data());
        }
        let norms = update(true)?;
        let total: usize = groups.iter().map(Vec::len).sum();
        if norms.len() != total {
            return Err(Error::invalid(
                "GradientMonitor",
                format!("the step measured {} parameters of {total}", norms.len()),
            ));
        }
        let (mut at, mut from) = (0, 0);
        let mut stats: Vec<LayerStats> = Vec::with_capacity(groups.len());
        for (params, &c) in groups.iter().zip(constrained) {
            let part = &norms[at..at + params.len()];
            at += params.len();
            let [g2, w2, mut u2] = part
                .iter()
                .fold([0.0f64; 3], |a, n| [a[0] + n[0], a[1] + n[1], a[2] + n[2]]);
            if c {
                u2 = 0.0;
                for p in params {
                    let w = p.data();
                    u2 += diff_sq_par(&w, &self.before[from..from + w.len()]);
                    from += w.len();
                }
            }
            let w = w2.sqrt();
            // IEEE division: weights of norm 0 give inf (or NaN when nothing moved either).
            stats.push([g2.sqrt() as f32, w as f32, (u2.sqrt() / w) as f32]);
        }
        self.records.push(Record { step, stats });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(w: &[f32]) -> Tensor {
        Tensor::new(w.to_vec(), vec![w.len()]).unwrap()
    }

    #[test]
    fn records_norms_and_the_update_ratio_on_due_steps_only() {
        use crate::optimizers::{Clip, OptimizerState, Sgd};
        let groups = vec![vec![param(&[3.0, 4.0])], vec![param(&[1.0, 0.0])]];
        let flat: Vec<Tensor> = groups.concat();
        let rule = Box::new(Sgd::new(0.0, false));
        let mut opt = OptimizerState::new(rule, Clip::default(), 0.0).unwrap();
        let mut m = GradMonitor::new(2).unwrap();
        for _ in 0..3 {
            for (p, g) in flat.iter().zip([[0.0, 2.0], [1.0, 1.0]]) {
                p.set_grad(Some(Tensor::new(g.to_vec(), vec![2]).unwrap()))
                    .unwrap();
            }
            m.observe(&groups, &[false, true], |measure| {
                let n = if measure {
                    opt.step_measured(&flat, 0.25)?
                } else {
                    opt.step(&flat, 0.25)?;
                    Vec::new()
                };
                // The second group's "constraint" moves its first weight to 0 after the step.
                groups[1][0].data_mut()[0] = 0.0;
                Ok(n)
            })
            .unwrap();
        }
        let recs = m.take();
        assert_eq!(recs.iter().map(|r| r.step).collect::<Vec<_>>(), [0, 2]);
        // An update of norm 0.5 on weights of norm 5.
        let [g, w, u] = recs[0].stats[0];
        assert_eq!((g, w), (2.0, 5.0));
        assert!((u - 0.1).abs() < 1e-6);
        // (1, 0) → SGD (0.75, −0.25) → constrained (0, −0.25): moved by (−1, −0.25).
        let [g, w, u] = recs[0].stats[1];
        assert_eq!((g, w), (2f32.sqrt(), 1.0));
        assert!((u - 1.0625f32.sqrt()).abs() < 1e-6, "{u}");
        assert!(m.take().is_empty());
        assert!(GradMonitor::new(0).is_err());
    }
}
