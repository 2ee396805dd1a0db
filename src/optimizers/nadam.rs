//! Nadam as in Keras: μₜ = β₁(1 − ½·0.96ᵗ), Πₜ = μ₁⋯μₜ;  m ← m + (1−β₁)(g − m);  v ← v + (1−β₂)(g² − v);
//! m̂ = μₜ₊₁·m/(1 − Πₜ·μₜ₊₁) + (1 − μₜ)·g/(1 − Πₜ);  v̂ = v/(1 − β₂ᵗ);  w ← w − lr·m̂/(√v̂ + ε).
use super::elementwise::each2;
use super::measured::{measured_by_apply, Measure, Norms};
use super::{Optimizer, Slots};

pub struct Nadam {
    pub beta_1: f32,
    pub beta_2: f32,
    pub epsilon: f32,
    m: Slots,
    v: Slots,
    /// (t, Πₜ) for the last step seen: the product is shared by every parameter of a step.
    u_product: (u64, f64),
}

impl Nadam {
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32) -> Nadam {
        Nadam {
            beta_1,
            beta_2,
            epsilon,
            m: Slots::default(),
            v: Slots::default(),
            u_product: (0, 1.0),
        }
    }

    fn mu(&self, t: u64) -> f64 {
        self.beta_1 as f64 * (1.0 - 0.5 * 0.96f64.powi(t as i32))
    }

    /// Πₜ, advanced one factor per step (recomputed if the steps jump, e.g. a fresh counter).
    fn product(&mut self, t: u64) -> f64 {
        let (seen, mut p) = self.u_product;
        if t < seen {
            p = 1.0;
        }
        for s in seen.min(t) + 1..=t {
            p *= self.mu(s);
        }
        self.u_product = (t, p);
        p
    }
}

impl Optimizer for Nadam {
    fn name(&self) -> &'static str {
        "Nadam"
    }
    fn slots(&mut self) -> Vec<(&'static str, &mut Slots)> {
        vec![("momentum", &mut self.m), ("velocity", &mut self.v)]
    }
    measured_by_apply!();
}

impl Nadam {
    fn apply(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, t: u64, k: Measure) -> Norms {
        let p = self.product(t);
        let (mu_t, mu_next) = (self.mu(t), self.mu(t + 1));
        let (b1, b2, eps, n) = (self.beta_1, self.beta_2, self.epsilon, w.len());
        // The step's scalars in f64 so that 1 − Π and 1 − β₂ᵗ keep their digits.
        let cm = (mu_next / (1.0 - p * mu_next)) as f32;
        let cg = ((1.0 - mu_t) / (1.0 - p)) as f32;
        let cv = (1.0 / (1.0 - (b2 as f64).powi(t as i32))) as f32;
        let m = self.m.get(i, n, 0.0);
        let v = self.v.get(i, n, 0.0);
        each2(
            w,
            g,
            k,
            m,
            v,
            #[inline(always)]
            |w, g, m, v| {
                *m += (1.0 - b1) * (g - *m);
                *v += (1.0 - b2) * (g * g - *v);
                let m_hat = cm * *m + cg * g;
                *w -= lr * m_hat / ((cv * *v).sqrt() + eps);
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
        let got = run(&mut Nadam::new(0.9, 0.999, 1e-7), &[1.0, 2.0], grad, 0.1, 4);
        let (mut w, mut m, mut v, mut prod) = ([1.0f64, 2.0], [0.0f64; 2], [0.0f64; 2], 1.0);
        let mu = |t: i32| 0.9 * (1.0 - 0.5 * 0.96f64.powi(t));
        for t in 1..=4 {
            prod *= mu(t);
            let g = [0.5 * t as f64, -1.0];
            for j in 0..2 {
                m[j] += 0.1 * (g[j] - m[j]);
                v[j] += 0.001 * (g[j] * g[j] - v[j]);
                let mh = mu(t + 1) * m[j] / (1.0 - prod * mu(t + 1))
                    + (1.0 - mu(t)) * g[j] / (1.0 - prod);
                let vh = v[j] / (1.0 - 0.999f64.powi(t));
                w[j] -= 0.1 * mh / (vh.sqrt() + 1e-7);
            }
        }
        close(&got, &w, 1e-5);
    }
}
