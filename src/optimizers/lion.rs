//! Lion as in Keras: w ← w − lr·sign(β₁·m + (1−β₁)·g);  then m ← β₂·m + (1−β₂)·g  (sign(0) = 0).
use super::elementwise::each1;
use super::measured::{measured_by_apply, Measure, Norms};
use super::{Optimizer, Slots};

pub struct Lion {
    pub beta_1: f32,
    pub beta_2: f32,
    m: Slots,
}

impl Lion {
    pub fn new(beta_1: f32, beta_2: f32) -> Lion {
        Lion {
            beta_1,
            beta_2,
            m: Slots::default(),
        }
    }
}

/// Keras' sign: 0 at 0, where f32::signum gives ±1.
#[inline(always)]
fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

impl Optimizer for Lion {
    fn name(&self) -> &'static str {
        "Lion"
    }
    fn slots(&mut self) -> Vec<(&'static str, &mut Slots)> {
        vec![("momentum", &mut self.m)]
    }
    measured_by_apply!();
}

impl Lion {
    fn apply(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, _t: u64, k: Measure) -> Norms {
        let (b1, b2) = (self.beta_1, self.beta_2);
        let m = self.m.get(i, w.len(), 0.0);
        each1(
            w,
            g,
            k,
            m,
            #[inline(always)]
            |w, g, m| {
                *w -= lr * sign(b1 * *m + (1.0 - b1) * g);
                *m = b2 * *m + (1.0 - b2) * g;
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::elementwise::testing::{close, run};
    use super::*;

    #[test]
    fn steps_by_the_sign_of_the_interpolation() {
        // Step 2's interpolation of element 0 is 0.9·0.01·1 + 0.1·(−0.5) < 0: the sign flips.
        let grad = |t: u64| {
            if t == 1 {
                vec![1.0, 0.0]
            } else {
                vec![-0.5, 0.0]
            }
        };
        let got = run(&mut Lion::new(0.9, 0.99), &[1.0, 2.0], grad, 0.1, 2);
        close(&got, &[1.0, 2.0], 1e-6);
    }
}
