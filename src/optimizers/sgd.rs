//! SGD with optional momentum and Nesterov momentum (Keras' formulation):
//! v ← μ·v − lr·g;  w ← w + v  (Nesterov: w ← w + μ·v − lr·g);  without momentum w ← w − lr·g.
use super::measured::{blocked, measured_by_apply, total, Measure, Norms};
use super::{in_pool, Optimizer, Slots};
use rayon::prelude::*;

pub struct Sgd {
    pub momentum: f32,
    pub nesterov: bool,
    velocity: Slots,
}

impl Sgd {
    pub fn new(momentum: f32, nesterov: bool) -> Sgd {
        Sgd {
            momentum,
            nesterov,
            velocity: Slots::default(),
        }
    }
}

impl Optimizer for Sgd {
    fn name(&self) -> &'static str {
        "SGD"
    }
    fn slots(&mut self) -> Vec<(&'static str, &mut Slots)> {
        vec![("momentum", &mut self.velocity)]
    }
    measured_by_apply!();
}

impl Sgd {
    fn apply(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, _t: u64, k: Measure) -> Norms {
        let (mu, nesterov) = (self.momentum, self.nesterov);
        if mu == 0.0 {
            let f = |w: &mut [f32], g: &[f32]| {
                blocked(
                    w,
                    g,
                    k,
                    #[inline(always)]
                    |w, g, _| w.iter_mut().zip(g).for_each(|(w, g)| *w -= lr * g),
                )
            };
            return in_pool(w.len(), |c| match c {
                Some(c) => total(
                    w.par_chunks_mut(c)
                        .zip(g.par_chunks(c))
                        .map(|(w, g)| f(w, g))
                        .collect::<Vec<_>>(),
                ),
                None => f(w, g),
            });
        }
        let v = self.velocity.get(i, w.len(), 0.0);
        let f = |w: &mut [f32], g: &[f32], v: &mut [f32]| {
            blocked(
                w,
                g,
                k,
                #[inline(always)]
                |w, g, r| {
                    for ((w, g), v) in w.iter_mut().zip(g).zip(v[r].iter_mut()) {
                        *v = mu * *v - lr * g;
                        *w += if nesterov { mu * *v - lr * g } else { *v };
                    }
                },
            )
        };
        in_pool(w.len(), |c| match c {
            Some(c) => total(
                (w.par_chunks_mut(c), g.par_chunks(c), v.par_chunks_mut(c))
                    .into_par_iter()
                    .map(|(w, g, v)| f(w, g, v))
                    .collect::<Vec<_>>(),
            ),
            None => f(w, g, v),
        })
    }
}
