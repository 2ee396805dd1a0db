//! The margin, divergence and focal losses of Keras 3 (hinge family, KL, Poisson, log-cosh, cosine,
//! focal cross-entropies): each row's value and slope d(row loss)/d(y_pred), formulas side by side.
use super::{Loss, EPSILON};

/// Keras' `convert_binary_labels_to_hinge`: when every label is 0 or 1, they become −1 or 1.
pub(super) fn hinge_labels(loss: Loss, y_true: &[f32]) -> Option<Vec<f32>> {
    let binary = y_true.iter().all(|&y| y == 0.0 || y == 1.0);
    match loss {
        Loss::Hinge | Loss::SquaredHinge if binary => {
            Some(y_true.iter().map(|y| 2.0 * y - 1.0).collect())
        }
        _ => None,
    }
}

fn softplus(z: f32) -> f32 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

fn sigmoid(x: f32) -> f32 {
    crate::ops::Unary::Sigmoid.f(x)
}

/// Mean over the row of an elementwise f(y, p) → (value, slope); the slopes divided by c.
fn mean_of(t: &[f32], p: &[f32], d: &mut [f32], c: f32, f: impl Fn(f32, f32) -> (f32, f32)) -> f32 {
    let mut sum = 0.0;
    for ((dj, &y), &q) in d.iter_mut().zip(t).zip(p) {
        let (v, g) = f(y, q);
        *dj = g / c;
        sum += v;
    }
    sum / c
}

pub(super) fn row_loss(loss: Loss, t: &[f32], p: &[f32], d: &mut [f32], c: f32) -> f32 {
    match loss {
        Loss::Hinge => mean_of(t, p, d, c, |y, q| {
            let m = 1.0 - y * q;
            if m > 0.0 {
                (m, -y)
            } else {
                (0.0, 0.0)
            }
        }),
        Loss::SquaredHinge => mean_of(t, p, d, c, |y, q| {
            let m = (1.0 - y * q).max(0.0);
            (m * m, -2.0 * m * y)
        }),
        Loss::CategoricalHinge => categorical_hinge(t, p, d),
        Loss::KLDivergence => {
            let mut sum = 0.0;
            for ((dj, &y), &q) in d.iter_mut().zip(t).zip(p) {
                let (yc, qc) = (y.clamp(EPSILON, 1.0), q.clamp(EPSILON, 1.0));
                sum += yc * (yc / qc).ln();
                *dj = if q > EPSILON && q < 1.0 {
                    -yc / qc
                } else {
                    0.0
                };
            }
            sum
        }
        Loss::Poisson => mean_of(t, p, d, c, |y, q| {
            (q - y * (q + EPSILON).ln(), 1.0 - y / (q + EPSILON))
        }),
        Loss::LogCosh => mean_of(t, p, d, c, |y, q| {
            let x = q - y;
            (x + softplus(-2.0 * x) - std::f32::consts::LN_2, x.tanh())
        }),
        Loss::CosineSimilarity => cosine(t, p, d),
        Loss::CategoricalFocalCrossentropy {
            alpha,
            gamma,
            from_logits,
            ..
        } => categorical_focal(t, p, d, alpha, gamma, from_logits),
        Loss::BinaryFocalCrossentropy {
            apply_class_balancing,
            alpha,
            gamma,
            from_logits,
            ..
        } => mean_of(t, p, d, c, |y, x| {
            let q = if from_logits { sigmoid(x) } else { x };
            let (v, g) = binary_focal(y, q, gamma);
            let w = if apply_class_balancing {
                y * alpha + (1.0 - y) * (1.0 - alpha)
            } else {
                1.0
            };
            let chain = if from_logits { q * (1.0 - q) } else { 1.0 };
            (w * v, w * g * chain)
        }),
        _ => 0.0, // the other losses are in rows.rs
    }
}

/// One output's focal bce (1 − p_t)^γ · bce(y, clip(q)) and its slope in q.
fn binary_focal(y: f32, q: f32, gamma: f32) -> (f32, f32) {
    let qc = q.clamp(EPSILON, 1.0 - EPSILON);
    let bce = -(y * qc.ln() + (1.0 - y) * (1.0 - qc).ln());
    let dbce = if q > EPSILON && q < 1.0 - EPSILON {
        -y / qc + (1.0 - y) / (1.0 - qc)
    } else {
        0.0
    };
    // 1 − p_t = y(1 − q) + (1 − y)q, whose slope in q is 1 − 2y.
    let m = (y * (1.0 - q) + (1.0 - y) * q).max(0.0);
    let f = m.powf(gamma);
    let df = if gamma == 0.0 || m == 0.0 {
        0.0
    } else {
        gamma * m.powf(gamma - 1.0) * (1.0 - 2.0 * y)
    };
    (f * bce, df * bce + f * dbce)
}

fn categorical_hinge(t: &[f32], p: &[f32], d: &mut [f32]) -> f32 {
    let pos: f32 = t.iter().zip(p).map(|(y, q)| y * q).sum();
    let (mut arg, mut neg) = (0, f32::NEG_INFINITY);
    for (j, (y, q)) in t.iter().zip(p).enumerate() {
        if (1.0 - y) * q > neg {
            (arg, neg) = (j, (1.0 - y) * q);
        }
    }
    let v = neg - pos + 1.0;
    for (j, (dj, y)) in d.iter_mut().zip(t).enumerate() {
        let at_neg = if j == arg { 1.0 - y } else { 0.0 };
        *dj = if v > 0.0 { at_neg - y } else { 0.0 };
    }
    v.max(0.0)
}

fn cosine(t: &[f32], p: &[f32], d: &mut [f32]) -> f32 {
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>();
    let (st, sp) = (norm(t), norm(p));
    let nt = st.max(EPSILON).sqrt();
    let np = sp.max(EPSILON).sqrt();
    let dot: f32 = t.iter().zip(p).map(|(y, q)| y * q).sum();
    for ((dj, &y), &q) in d.iter_mut().zip(t).zip(p) {
        // −(ŷ_k / |p| − (ŷ·p) p_k / |p|³); the norm is a constant below its clip.
        let curve = if sp > EPSILON {
            dot * q / (np * np)
        } else {
            0.0
        };
        *dj = -(y - curve) / (nt * np);
    }
    -dot / (nt * np)
}

fn categorical_focal(
    t: &[f32],
    p: &[f32],
    d: &mut [f32],
    alpha: f32,
    gamma: f32,
    logits: bool,
) -> f32 {
    // q: softmax(x) from logits, p / Σp otherwise; then clipped, as Keras.
    let q: Vec<f32> = if logits {
        let m = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = p.iter().map(|x| (x - m).exp()).collect();
        let s: f32 = e.iter().sum();
        e.iter().map(|v| v / s).collect()
    } else {
        let s: f32 = p.iter().sum();
        p.iter().map(|v| v / s).collect()
    };
    let mut val = 0.0;
    let mut a_dot_q = 0.0;
    for ((dj, &qj), &y) in d.iter_mut().zip(&q).zip(t) {
        let qc = qj.clamp(EPSILON, 1.0 - EPSILON);
        let m = (1.0 - qc).powf(gamma);
        val -= alpha * m * y * qc.ln();
        *dj = if qj > EPSILON && qj < 1.0 - EPSILON {
            let dm = if gamma == 0.0 {
                0.0
            } else {
                -gamma * (1.0 - qc).powf(gamma - 1.0)
            };
            -alpha * y * (dm * qc.ln() + m / qc)
        } else {
            0.0
        };
        a_dot_q += *dj * qj;
    }
    // Through the normalisation: d/dp_k of q = p / s is (a_k − a·q) / s; softmax: q_k (a_k − a·q).
    let s: f32 = p.iter().sum();
    for (dj, &qj) in d.iter_mut().zip(&q) {
        *dj = if logits {
            qj * (*dj - a_dot_q)
        } else {
            (*dj - a_dot_q) / s
        };
    }
    val
}

#[cfg(test)]
mod tests {
    use crate::losses::{per_sample, Loss};
    use crate::tensor::Tensor;
    fn t(v: &[f32]) -> Tensor {
        Tensor::new(v.to_vec(), vec![v.len() / 2, 2]).unwrap()
    }
    #[test]
    fn keras_documented_values() {
        let focal = Loss::BinaryFocalCrossentropy {
            apply_class_balancing: false,
            alpha: 0.25,
            gamma: 2.0,
            from_logits: false,
            label_smoothing: 0.0,
        };
        let v = per_sample(focal, &t(&[0., 1., 0., 0.]), &t(&[0.6, 0.4, 0.4, 0.6]))
            .unwrap()
            .to_vec();
        assert!(
            (v[0] - 0.330).abs() < 1e-3 && (v[1] - 0.206).abs() < 1e-3,
            "{v:?}"
        );
        let (y, p) = (t(&[0., 1., 1., 1., 1., 1.]), t(&[1., 0., 1., 1., -1., -1.]));
        let v = per_sample(Loss::CosineSimilarity, &y, &p).unwrap().to_vec();
        assert!(v[0].abs() < 1e-6 && (v[1] + 1.0).abs() < 1e-5 && (v[2] - 1.0).abs() < 1e-5);
        let v = per_sample(Loss::LogCosh, &t(&[0., 1., 0., 0.]), &t(&[1., 1., 0., 0.]))
            .unwrap()
            .to_vec();
        assert!(((v[0] + v[1]) / 2.0 - 0.108).abs() < 1e-3);
        // Labels 0/1 become −1/1: max(1 − (−1)·0.5, 0) = 1.5 and max(1 − 0.5, 0) = 0.5.
        let v = per_sample(Loss::Hinge, &t(&[0., 1.]), &t(&[0.5, 0.5]))
            .unwrap()
            .to_vec();
        assert!((v[0] - 1.0).abs() < 1e-6);
    }
}
