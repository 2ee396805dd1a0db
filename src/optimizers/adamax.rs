//! Adamax as in Keras: m ← m + (1−β₁)(g − m);  u ← max(β₂·u, |g|);  w ← w − lr·m / ((1−β₁ᵗ)(u + ε)).
use super::elementwise::each2;
use super::measured::{measured_by_apply, Measure, Norms};
use super::{Optimizer, Slots};

pub struct Adamax {
    pub beta_1: f32,
    pub beta_2: f32,
    pub epsilon: f32,
    m: Slots,
    u: Slots,
}

impl Adamax {
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32) -> Adamax {
        Adamax {
            beta_1,
            beta_2,
            epsilon,
            m: Slots::default(),
            u: Slots::default(),
        }
    }
}

impl Optimizer for Adamax {
    fn name(&self) -> &'static str {
        "Adamax"
    }
    fn slots(&mut self) -> Vec<(&'static str, &mut Slots)> {
        vec![("momentum", &mut self.m), ("norm", &mut self.u)]
    }
    measured_by_apply!();
}

impl Adamax {
    fn apply(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, t: u64, k: Measure) -> Norms {
        let (b1, b2, eps, n) = (self.beta_1, self.beta_2, self.epsilon, w.len());
        let alpha = lr / (1.0 - b1.powi(t as i32));
        let m = self.m.get(i, n, 0.0);
        let u = self.u.get(i, n, 0.0);
        each2(
            w,
            g,
            k,
            m,
            u,
            #[inline(always)]
            |w, g, m, u| {
                *m += (1.0 - b1) * (g - *m);
                *u = (b2 * *u).max(g.abs());
                *w -= alpha * *m / (*u + eps);
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
        let grad = |t: u64| vec![0.5 * t as f32, -1.0, 0.0];
        let got = run(
            &mut Adamax::new(0.9, 0.999, 1e-7),
            &[1.0, 2.0, 3.0],
            grad,
            0.1,
            3,
        );
        let (mut w, mut m, mut u) = ([1.0f64, 2.0, 3.0], [0.0f64; 3], [0.0f64; 3]);
        for t in 1..=3 {
            let g = [0.5 * t as f64, -1.0, 0.0];
            for j in 0..3 {
                m[j] += 0.1 * (g[j] - m[j]);
                u[j] = (0.999 * u[j]).max(g[j].abs());
                w[j] -= 0.1 * m[j] / ((1.0 - 0.9f64.powi(t)) * (u[j] + 1e-7));
            }
        }
        close(&got, &w, 1e-5);
    }
}
