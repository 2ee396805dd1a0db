//! LAMB as in Keras: m ← m + (1−β₁)(g − m);  v ← v + (1−β₂)(g² − v);
//! r = (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε);  w ← w − lr·(‖w‖/‖r‖)·r, the trust ratio 1 if either norm is 0.
use super::{in_pool, Optimizer, Slots};
use rayon::prelude::*;

pub struct Lamb {
    pub beta_1: f32,
    pub beta_2: f32,
    pub epsilon: f32,
    m: Slots,
    v: Slots,
}

impl Lamb {
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32) -> Lamb {
        Lamb {
            beta_1,
            beta_2,
            epsilon,
            m: Slots::default(),
            v: Slots::default(),
        }
    }
}

/// Both passes' per-element step, so that the second recomputes r rather than storing it.
#[derive(Clone, Copy)]
struct Coef {
    c1: f32,
    c2: f32,
    eps: f32,
}

impl Coef {
    fn r(self, m: f32, v: f32) -> f32 {
        m * self.c1 / ((v * self.c2).sqrt() + self.eps)
    }
}

/// Pass 1 on one chunk: the moments, and the chunk's (Σw², Σr²) in f64.
fn moments(
    w: &[f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    b: (f32, f32),
    k: Coef,
) -> (f64, f64) {
    let (mut ww, mut rr) = (0.0f64, 0.0f64);
    for (((&w, &g), m), v) in w.iter().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m += (1.0 - b.0) * (g - *m);
        *v += (1.0 - b.1) * (g * g - *v);
        let r = k.r(*m, *v) as f64;
        ww += (w as f64) * (w as f64);
        rr += r * r;
    }
    (ww, rr)
}

impl Optimizer for Lamb {
    fn name(&self) -> &'static str {
        "Lamb"
    }
    fn slots(&mut self) -> Vec<(&'static str, &mut Slots)> {
        vec![("momentum", &mut self.m), ("velocity", &mut self.v)]
    }
    fn update(&mut self, i: usize, w: &mut [f32], g: &[f32], lr: f32, t: u64) {
        let (b1, b2, n) = (self.beta_1, self.beta_2, w.len());
        let t = t as i32;
        let k = Coef {
            c1: 1.0 / (1.0 - b1.powi(t)),
            c2: 1.0 / (1.0 - b2.powi(t)),
            eps: self.epsilon,
        };
        let m = self.m.get(i, n, 0.0);
        let v = self.v.get(i, n, 0.0);
        in_pool(n, |c| {
            // The trust ratio needs both whole-parameter norms before any weight moves.
            let (ww, rr) = match c {
                Some(c) => (
                    w.par_chunks(c),
                    g.par_chunks(c),
                    m.par_chunks_mut(c),
                    v.par_chunks_mut(c),
                )
                    .into_par_iter()
                    .map(|(w, g, m, v)| moments(w, g, m, v, (b1, b2), k))
                    .reduce(|| (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1)),
                None => moments(w, g, m, v, (b1, b2), k),
            };
            let ratio = if ww > 0.0 && rr > 0.0 {
                (ww.sqrt() / rr.sqrt()) as f32
            } else {
                1.0
            };
            let step = lr * ratio;
            let apply = |w: &mut [f32], m: &[f32], v: &[f32]| {
                for ((w, &m), &v) in w.iter_mut().zip(m).zip(v) {
                    *w -= step * k.r(m, v);
                }
            };
            match c {
                Some(c) => (w.par_chunks_mut(c), m.par_chunks(c), v.par_chunks(c))
                    .into_par_iter()
                    .for_each(|(w, m, v)| apply(w, m, v)),
                None => apply(w, m, v),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::elementwise::testing::{close, run};
    use super::*;

    #[test]
    fn matches_the_formula_in_f64() {
        let grad = |t: u64| vec![0.5 * t as f32, -1.0, 0.25];
        let got = run(
            &mut Lamb::new(0.9, 0.999, 1e-7),
            &[1.0, 2.0, -0.5],
            grad,
            0.1,
            3,
        );
        let (mut w, mut m, mut v) = ([1.0f64, 2.0, -0.5], [0.0f64; 3], [0.0f64; 3]);
        for t in 1..=3 {
            let g = [0.5 * t as f64, -1.0, 0.25];
            let mut r = [0.0f64; 3];
            for j in 0..3 {
                m[j] += 0.1 * (g[j] - m[j]);
                v[j] += 0.001 * (g[j] * g[j] - v[j]);
                r[j] = m[j]
                    / (1.0 - 0.9f64.powi(t))
                    / ((v[j] / (1.0 - 0.999f64.powi(t))).sqrt() + 1e-7);
            }
            let norm = |x: &[f64]| x.iter().map(|a| a * a).sum::<f64>().sqrt();
            let ratio = norm(&w) / norm(&r);
            for j in 0..3 {
                w[j] -= 0.1 * ratio * r[j];
            }
        }
        close(&got, &w, 1e-5);
    }

    #[test]
    fn a_zero_weight_takes_the_plain_step() {
        let got = run(
            &mut Lamb::new(0.9, 0.999, 1e-7),
            &[0.0, 0.0],
            |_| vec![1.0, -1.0],
            0.1,
            1,
        );
        close(&got, &[-0.1, 0.1], 1e-5);
    }
}
