//! Adadelta as in Keras: a ← ρ·a + (1−ρ)·g²;  Δ = −√(d + ε)/√(a + ε) · g;  d ← ρ·d + (1−ρ)·Δ²;
//! w ← w + lr·Δ  (a and d start at zero).
use super::elementwise::each2;
use super::measured::{measured_by_apply, Measure, Norms};
use super::{Optimizer, Slots};

pub struct Adadelta {
    pub rho: f32,
    pub epsilon: f32,
    acc_grad: Slots,
    acc_delta: Slots,
}

impl Adadelta {
    pub fn new(rho: f32, epsilon: f32) -> Adadelta {
        Adadelta {
            rho,
            epsilon,
            acc_grad: Slots::default(),
            acc_delta: Slots::default(),
        }
    }
}

impl Optimizer for Adadelta {
    fn name(&self) -> &'static str {
        "Adadelta"
    }
    fn slots(&mut self) -> Vec<(&'static str, &mut Slots)> {
        vec![
            ("accumulated_grad", &mut self.acc_grad),
            ("accumulated_delta_var", &mut self.acc_delta),
        ]
    }
    measured_by_apply!();
}

impl Adadelta {
    fn apply(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, _t: u64, k: Measure) -> Norms {
        let (rho, eps, n) = (self.rho, self.epsilon, w.len());
        let a = self.acc_grad.get(i, n, 0.0);
        let d = self.acc_delta.get(i, n, 0.0);
        each2(
            w,
            g,
            k,
            a,
            d,
            #[inline(always)]
            |w, g, a, d| {
                *a = rho * *a + (1.0 - rho) * g * g;
                let delta = -(*d + eps).sqrt() / (*a + eps).sqrt() * g;
                *d = rho * *d + (1.0 - rho) * delta * delta;
                *w += lr * delta;
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::elementwise::testing::{close, run};
    use super::*;

    #[test]
    fn matches_the_formula_in_f64() {
        let grad = |t: u64| vec![0.5 * t as f32, -1.0];
        let got = run(&mut Adadelta::new(0.95, 1e-7), &[1.0, 2.0], grad, 1.0, 3);
        let (mut w, mut a, mut d) = ([1.0f64, 2.0], [0.0f64; 2], [0.0f64; 2]);
        for t in 1..=3 {
            let g = [0.5 * t as f64, -1.0];
            for j in 0..2 {
                a[j] = 0.95 * a[j] + 0.05 * g[j] * g[j];
                let delta = -(d[j] + 1e-7).sqrt() / (a[j] + 1e-7).sqrt() * g[j];
                d[j] = 0.95 * d[j] + 0.05 * delta * delta;
                w[j] += delta;
            }
        }
        close(&got, &w, 1e-5);
    }
}
