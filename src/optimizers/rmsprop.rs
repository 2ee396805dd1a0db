//! RMSprop as in Keras: s ← ρ·s + (1−ρ)·g²;  centered: ḡ ← ρ·ḡ + (1−ρ)·g, d = s − ḡ² + ε, else d = s + ε;
//! Δ = lr·g/√d;  with momentum: b ← μ·b + Δ, w ← w − b;  else w ← w − Δ.
use super::{Optimizer, Slots};

pub struct RMSprop {
    pub rho: f32,
    pub momentum: f32,
    pub epsilon: f32,
    pub centered: bool,
    s: Slots,
    gbar: Slots,
    buf: Slots,
}

impl RMSprop {
    pub fn new(rho: f32, momentum: f32, epsilon: f32, centered: bool) -> RMSprop {
        RMSprop {
            rho,
            momentum,
            epsilon,
            centered,
            s: Slots::default(),
            gbar: Slots::default(),
            buf: Slots::default(),
        }
    }
}

impl Optimizer for RMSprop {
    fn name(&self) -> &'static str {
        "RMSprop"
    }
    fn slots(&mut self) -> Vec<(&'static str, &mut Slots)> {
        vec![
            ("velocity", &mut self.s),
            ("average_gradient", &mut self.gbar),
            ("momentum", &mut self.buf),
        ]
    }
    fn update(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, _t: u64) {
        let (rho, mu, eps, centered) = (self.rho, self.momentum, self.epsilon, self.centered);
        let n = w.len();
        let s = self.s.get(i, n, 0.0);
        let gb = if centered {
            self.gbar.get(i, n, 0.0).as_mut_slice()
        } else {
            &mut []
        };
        let b = if mu > 0.0 {
            self.buf.get(i, n, 0.0).as_mut_slice()
        } else {
            &mut []
        };
        for j in 0..n {
            let gj = g[j];
            s[j] = rho * s[j] + (1.0 - rho) * gj * gj;
            let d = if centered {
                gb[j] = rho * gb[j] + (1.0 - rho) * gj;
                s[j] - gb[j] * gb[j] + eps
            } else {
                s[j] + eps
            };
            let inc = lr * gj / d.sqrt();
            if mu > 0.0 {
                b[j] = mu * b[j] + inc;
                w[j] -= b[j];
            } else {
                w[j] -= inc;
            }
        }
    }
}
