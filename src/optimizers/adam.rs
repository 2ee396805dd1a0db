//! Adam (and AdamW through the shared decoupled weight decay), as in Keras:
//! m ← m + (1−β₁)(g − m);  v ← v + (1−β₂)(g² − v);  v̂ ← max(v̂, v) with amsgrad;
//! w ← w − lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε).
use super::measured::{blocked, measured_by_apply, total, Measure, Norms};
use super::{in_pool, Optimizer, Slots};
use crate::kernels::{self, adam::AdamStep};
use rayon::prelude::*;

pub struct Adam {
    pub beta_1: f32,
    pub beta_2: f32,
    pub epsilon: f32,
    pub amsgrad: bool,
    m: Slots,
    v: Slots,
    vhat: Slots,
}

impl Adam {
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32, amsgrad: bool) -> Adam {
        Adam {
            beta_1,
            beta_2,
            epsilon,
            amsgrad,
            m: Slots::default(),
            v: Slots::default(),
            vhat: Slots::default(),
        }
    }
}

impl Optimizer for Adam {
    fn name(&self) -> &'static str {
        "Adam"
    }
    fn slots(&mut self) -> Vec<(&'static str, &mut Slots)> {
        vec![
            ("momentum", &mut self.m),
            ("velocity", &mut self.v),
            ("velocity_hat", &mut self.vhat),
        ]
    }
    measured_by_apply!();
}

impl Adam {
    fn apply(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, t: u64, k: Measure) -> Norms {
        let (b1, b2, eps, ams) = (self.beta_1, self.beta_2, self.epsilon, self.amsgrad);
        let t = t as i32;
        let alpha = lr * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t));
        let n = w.len();
        let m = self.m.get(i, n, 0.0);
        let v = self.v.get(i, n, 0.0);
        let vh = if ams {
            self.vhat.get(i, n, 0.0).as_mut_slice()
        } else {
            &mut []
        };
        // amsgrad keeps its own loop rather than a branch per element, so each one vectorises.
        let step = AdamStep {
            c1: 1.0 - b1,
            c2: 1.0 - b2,
            alpha,
            eps,
        };
        // The kernel measures in registers as it updates (kernels/adam.rs), cheaper than blocks.
        let plain = |w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]| match k {
            Some(k) => kernels::adam::update_measured(w, g, m, v, step, k),
            None => {
                kernels::adam::update(w, g, m, v, step);
                [0.0; 3]
            }
        };
        let ams_f = |w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], vh: &mut [f32]| {
            blocked(
                w,
                g,
                k,
                #[inline(always)]
                |w, g, r| {
                    let (m, v, vh) = (&mut m[r.clone()], &mut v[r.clone()], &mut vh[r]);
                    for ((((w, &g), m), v), vh) in w
                        .iter_mut()
                        .zip(g)
                        .zip(m.iter_mut())
                        .zip(v.iter_mut())
                        .zip(vh.iter_mut())
                    {
                        *m += (1.0 - b1) * (g - *m);
                        *v += (1.0 - b2) * (g * g - *v);
                        *vh = vh.max(*v);
                        *w -= alpha * *m / (vh.sqrt() + eps);
                    }
                },
            )
        };
        in_pool(n, |c| match (c, ams) {
            (Some(c), true) => total(
                (
                    w.par_chunks_mut(c),
                    g.par_chunks(c),
                    m.par_chunks_mut(c),
                    v.par_chunks_mut(c),
                    vh.par_chunks_mut(c),
                )
                    .into_par_iter()
                    .map(|(w, g, m, v, vh)| ams_f(w, g, m, v, vh))
                    .collect::<Vec<_>>(),
            ),
            (Some(c), false) => total(
                (
                    w.par_chunks_mut(c),
                    g.par_chunks(c),
                    m.par_chunks_mut(c),
                    v.par_chunks_mut(c),
                )
                    .into_par_iter()
                    .map(|(w, g, m, v)| plain(w, g, m, v))
                    .collect::<Vec<_>>(),
            ),
            (None, true) => ams_f(w, g, m, v, vh),
            (None, false) => plain(w, g, m, v),
        })
    }
}
