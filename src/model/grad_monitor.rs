//! The gradient monitor of a train step: every `every`-th step, for each trainable layer, the norm
//! of its gradients, the norm of its weights before the update, and the norm of the update over
//! that of the weights (Karpathy's "update/weight ratio").
//!
//! Why inside the step: the gradients exist only between backward and the update, and reading
//! them there costs one pass over each buffer, not a Python round trip. A step that is not due
//! pays one counter check; a model without a monitor one `Option` check.
use crate::error::{Error, Result};
use crate::kernels::norms::{copy_sum_sq_par, diff_sq_par, sum_sq_par};
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

    /// Run `update` (the optimizer step and constraints); when this step is due, read each
    /// group's gradients and weights before it and the weights' change after it.
    pub fn observe<R>(
        &mut self,
        groups: &[Vec<Tensor>],
        update: impl FnOnce() -> Result<R>,
    ) -> Result<R> {
        let due = self.seen.is_multiple_of(self.every);
        let step = self.seen;
        self.seen += 1;
        if !due {
            return update();
        }
        let total = groups.iter().flatten().map(Tensor::numel).sum();
        self.before.resize(total, 0.0);
        let mut stats: Vec<LayerStats> = Vec::with_capacity(groups.len());
        let mut at = 0;
        for params in groups {
            let (mut g2, mut w2) = (0.0f64, 0.0f64);
            for p in params {
                if let Some(g) = p.grad() {
                    g2 += sum_sq_par(&g.data());
                }
                let w = p.data();
                let end = at + w.len();
                w2 += copy_sum_sq_par(&w, self.before.get_mut(at..end).unwrap_or(&mut []));
                at = end;
            }
            stats.push([g2.sqrt() as f32, w2.sqrt() as f32, 0.0]);
        }
        let out = update()?;
        let mut at = 0;
        for (params, s) in groups.iter().zip(&mut stats) {
            let mut u2 = 0.0f64;
            for p in params {
                let w = p.data();
                u2 += diff_sq_par(&w, self.before.get(at..at + w.len()).unwrap_or(&[]));
                at += w.len();
            }
            // IEEE division: weights of norm 0 give inf (or NaN when nothing moved either).
            s[2] = (u2.sqrt() / f64::from(s[1])) as f32;
        }
        self.records.push(Record { step, stats });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(w: &[f32], g: &[f32]) -> Tensor {
        let t = Tensor::new(w.to_vec(), vec![w.len()]).unwrap();
        t.set_grad(Some(Tensor::new(g.to_vec(), vec![g.len()]).unwrap()))
            .unwrap();
        t
    }

    #[test]
    fn records_norms_and_the_update_ratio_on_due_steps_only() {
        let groups = vec![vec![param(&[3.0, 4.0], &[0.0, 2.0])]];
        let mut m = GradMonitor::new(2).unwrap();
        for _ in 0..3 {
            m.observe(&groups, || {
                // An update of norm 0.5 on weights of norm 5.
                let p = &groups[0][0];
                let mut d = p.data_mut();
                d[0] -= 0.3;
                d[1] -= 0.4;
                Ok(())
            })
            .unwrap();
        }
        let recs = m.take();
        assert_eq!(recs.iter().map(|r| r.step).collect::<Vec<_>>(), [0, 2]);
        let [g, w, u] = recs[0].stats[0];
        assert_eq!((g, w), (2.0, 5.0));
        assert!((u - 0.1).abs() < 1e-6);
        assert!(m.take().is_empty());
        assert!(GradMonitor::new(0).is_err());
    }
}
