//! FTRL-proximal as in Keras, with p = learning_rate_power, λ₁, λ₂ (plus β/(2·lr)) and shrinkage λₛ:
//! ĝ = g + 2λₛ·w;  n' = n + g²;  z ← z + ĝ − (n'^(−p) − n^(−p))/lr · w;
//! w ← (clip(z, −λ₁, λ₁) − z) / (n'^(−p)/lr + 2λ₂);  n ← n'  (n starts at initial_accumulator_value).
use super::elementwise::each2;
use super::measured::{measured_by_apply, Measure, Norms};
use super::{Optimizer, Slots};

pub struct Ftrl {
    pub learning_rate_power: f32,
    pub initial_accumulator_value: f32,
    pub l1: f32,
    pub l2: f32,
    pub l2_shrinkage: f32,
    pub beta: f32,
    accum: Slots,
    linear: Slots,
}

impl Ftrl {
    pub fn new(
        learning_rate_power: f32,
        initial_accumulator_value: f32,
        l1: f32,
        l2: f32,
        l2_shrinkage: f32,
        beta: f32,
    ) -> Ftrl {
        Ftrl {
            learning_rate_power,
            initial_accumulator_value,
            l1,
            l2,
            l2_shrinkage,
            beta,
            accum: Slots::default(),
            linear: Slots::default(),
        }
    }
}

impl Optimizer for Ftrl {
    fn name(&self) -> &'static str {
        "Ftrl"
    }
    fn slots(&mut self) -> Vec<(&'static str, &mut Slots)> {
        vec![
            ("accumulator", &mut self.accum),
            ("linear", &mut self.linear),
        ]
    }
    measured_by_apply!();
}

impl Ftrl {
    fn apply(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, _t: u64, k: Measure) -> Norms {
        let (p, l1, shrink, n) = (
            self.learning_rate_power,
            self.l1,
            self.l2_shrinkage,
            w.len(),
        );
        let l2 = self.l2 + self.beta / (2.0 * lr);
        let acc = self.accum.get(i, n, self.initial_accumulator_value);
        let lin = self.linear.get(i, n, 0.0);
        // −0.5 (the default) is a square root; powf is several times slower.
        let pow = move |x: f32| if p == -0.5 { x.sqrt() } else { x.powf(-p) };
        each2(
            w,
            g,
            k,
            acc,
            lin,
            #[inline(always)]
            |w, g, a, z| {
                let gs = g + 2.0 * shrink * *w;
                let a_new = *a + g * g;
                let (pa, pn) = (pow(*a), pow(a_new));
                *z += gs - (pn - pa) / lr * *w;
                let quadratic = pn / lr + 2.0 * l2;
                *w = (z.clamp(-l1, l1) - *z) / quadratic;
                *a = a_new;
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::elementwise::testing::{close, run};
    use super::*;

    #[test]
    fn matches_the_formula_in_f64_with_every_regulariser() {
        let grad = |t: u64| vec![0.5 * t as f32, -1.0, 0.01];
        let (lr, p, l1, l2, sh, beta) = (0.1f64, -0.5f64, 0.001, 0.01, 0.02, 0.1);
        let mut rule = Ftrl::new(p as f32, 0.1, l1 as f32, l2 as f32, sh as f32, beta as f32);
        let got = run(&mut rule, &[1.0, 2.0, 0.0], grad, lr as f32, 3);
        let (mut w, mut a, mut z) = ([1.0f64, 2.0, 0.0], [0.1f64; 3], [0.0f64; 3]);
        let l2b = l2 + beta / (2.0 * lr);
        for t in 1..=3 {
            let g = [0.5 * t as f64, -1.0, 0.01];
            for j in 0..3 {
                let gs = g[j] + 2.0 * sh * w[j];
                let an = a[j] + g[j] * g[j];
                z[j] += gs - (an.powf(-p) - a[j].powf(-p)) / lr * w[j];
                w[j] = (z[j].clamp(-l1, l1) - z[j]) / (an.powf(-p) / lr + 2.0 * l2b);
                a[j] = an;
            }
        }
        close(&got, &w, 1e-5);
    }
}
