//! Adagrad as in Keras: a ← a + g² (a starts at initial_accumulator_value);  w ← w − lr·g/√(a + ε).
use super::measured::{blocked, measured_by_apply, Measure, Norms};
use super::{Optimizer, Slots};

pub struct Adagrad {
    pub initial_accumulator_value: f32,
    pub epsilon: f32,
    acc: Slots,
}

impl Adagrad {
    pub fn new(initial_accumulator_value: f32, epsilon: f32) -> Adagrad {
        Adagrad {
            initial_accumulator_value,
            epsilon,
            acc: Slots::default(),
        }
    }
}

impl Optimizer for Adagrad {
    fn name(&self) -> &'static str {
        "Adagrad"
    }
    fn slots(&mut self) -> Vec<(&'static str, &mut Slots)> {
        vec![("accumulator", &mut self.acc)]
    }
    measured_by_apply!();
}

impl Adagrad {
    fn apply(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, _t: u64, k: Measure) -> Norms {
        let eps = self.epsilon;
        let a = self.acc.get(i, w.len(), self.initial_accumulator_value);
        blocked(
            w,
            g,
            k,
            #[inline(always)]
            |w, g, r| {
                for ((w, g), a) in w.iter_mut().zip(g).zip(a[r].iter_mut()) {
                    *a += g * g;
                    *w -= lr * g / (*a + eps).sqrt();
                }
            },
        )
    }
}
