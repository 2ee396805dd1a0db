//! RMSprop as in Keras: s ← ρ·s + (1−ρ)·g²;  centered: ḡ ← ρ·ḡ + (1−ρ)·g, d = s − ḡ² + ε, else d = s + ε;
//! Δ = lr·g/√d;  with momentum: b ← μ·b + Δ, w ← w − b;  else w ← w − Δ.
use super::measured::{blocked, measured_by_apply, Measure, Norms};
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
    measured_by_apply!();
}

impl RMSprop {
    fn apply(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, _t: u64, k: Measure) -> Norms {
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
        blocked(
            w,
            g,
            k,
            #[inline(always)]
            |w, g, r| {
                let at = r.start;
                for j in 0..w.len() {
                    let (gj, j0) = (g[j], at + j);
                    s[j0] = rho * s[j0] + (1.0 - rho) * gj * gj;
                    let d = if centered {
                        gb[j0] = rho * gb[j0] + (1.0 - rho) * gj;
                        s[j0] - gb[j0] * gb[j0] + eps
                    } else {
                        s[j0] + eps
                    };
                    let inc = lr * gj / d.sqrt();
                    if mu > 0.0 {
                        b[j0] = mu * b[j0] + inc;
                        w[j] -= b[j0];
                    } else {
                        w[j] -= inc;
                    }
                }
            },
        )
    }
}
