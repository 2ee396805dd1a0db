//! Losses as Keras defines them, each one fused op: per-sample values and d(loss)/d(y_pred) in one
//! pass, reduced with sample weights as `sum(loss_i · w_i) / batch` (Keras' sum_over_batch_size).
//! Probabilities are clipped to [1e-7, 1 − 1e-7]; the from-logits forms go through log-sum-exp.
use crate::autograd::Backward;
use crate::error::{fmt_shape, Error, Result};
use crate::tensor::Tensor;

pub const EPSILON: f32 = 1e-7;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loss {
    MeanSquaredError,
    MeanAbsoluteError,
    Huber { delta: f32 },
    BinaryCrossentropy { from_logits: bool },
    CategoricalCrossentropy { from_logits: bool },
    SparseCategoricalCrossentropy { from_logits: bool },
}

impl Loss {
    pub fn name(self) -> &'static str {
        match self {
            Loss::MeanSquaredError => "mean_squared_error",
            Loss::MeanAbsoluteError => "mean_absolute_error",
            Loss::Huber { .. } => "huber",
            Loss::BinaryCrossentropy { .. } => "binary_crossentropy",
            Loss::CategoricalCrossentropy { .. } => "categorical_crossentropy",
            Loss::SparseCategoricalCrossentropy { .. } => "sparse_categorical_crossentropy",
        }
    }
    pub fn is_sparse(self) -> bool {
        matches!(self, Loss::SparseCategoricalCrossentropy { .. })
    }
    /// The same loss reading logits, when the model's softmax/sigmoid can be fused into it.
    pub fn with_logits(self) -> Loss {
        match self {
            Loss::BinaryCrossentropy { .. } => Loss::BinaryCrossentropy { from_logits: true },
            Loss::CategoricalCrossentropy { .. } => {
                Loss::CategoricalCrossentropy { from_logits: true }
            }
            Loss::SparseCategoricalCrossentropy { .. } => {
                Loss::SparseCategoricalCrossentropy { from_logits: true }
            }
            other => other,
        }
    }
}

/// y_true must match y_pred's shape (a trailing axis of 1 may be missing), or for sparse losses
/// hold one label per row of y_pred.
fn check_shapes(loss: Loss, t: &[usize], p: &[usize]) -> Result<()> {
    let name = loss.name();
    let rows_p: usize = p[..p.len().saturating_sub(1)].iter().product();
    let ok = if loss.is_sparse() {
        let tn: usize = t.iter().product();
        !p.is_empty()
            && tn == rows_p
            && (t.len() + 1 == p.len() || (t.len() == p.len() && t.last() == Some(&1)))
    } else {
        t == p
            || (t.len() + 1 == p.len() && p.last() == Some(&1) && t == &p[..p.len() - 1])
            || (p.len() + 1 == t.len() && t.last() == Some(&1) && p == &t[..t.len() - 1])
    };
    if !ok {
        let why = if loss.is_sparse() {
            "do not fit: sparse labels need one integer class per row of predictions"
        } else {
            "differ: y_true and y_pred must have the same shape"
        };
        return Err(Error::shape_mismatch(name, t, p, why));
    }
    Ok(())
}

fn label(v: f32, classes: usize, i: usize, name: &str) -> Result<usize> {
    if !v.is_finite() || v.fract() != 0.0 || v < 0.0 || v as usize >= classes {
        return Err(Error::invalid(name, format!("label {v} at position {i} is not an integer class in [0, {classes}) (predictions have {classes} classes)")));
    }
    Ok(v as usize)
}

/// Per-row losses and the gradient of each row's loss with respect to its predictions.
pub fn per_row(
    loss: Loss,
    y_true: &[f32],
    y_pred: &[f32],
    cols: usize,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let rows = y_pred.len() / cols.max(1);
    let mut l = vec![0.0f32; rows];
    let mut d = vec![0.0f32; y_pred.len()];
    let c = cols as f32;
    for r in 0..rows {
        let p = &y_pred[r * cols..(r + 1) * cols];
        let dr = &mut d[r * cols..(r + 1) * cols];
        let sparse_t;
        let t: &[f32] = if loss.is_sparse() {
            let k = label(y_true[r], cols, r, loss.name())?;
            let mut v = vec![0.0; cols];
            v[k] = 1.0;
            sparse_t = v;
            &sparse_t
        } else {
            &y_true[r * cols..(r + 1) * cols]
        };
        l[r] = row_loss(loss, t, p, dr, c);
    }
    Ok((l, d))
}

fn row_loss(loss: Loss, t: &[f32], p: &[f32], d: &mut [f32], c: f32) -> f32 {
    match loss {
        Loss::MeanSquaredError => {
            p.iter()
                .zip(t)
                .zip(d.iter_mut())
                .map(|((p, t), d)| {
                    *d = 2.0 * (p - t) / c;
                    (p - t) * (p - t)
                })
                .sum::<f32>()
                / c
        }
        Loss::MeanAbsoluteError => {
            p.iter()
                .zip(t)
                .zip(d.iter_mut())
                .map(|((p, t), d)| {
                    *d = if p > t {
                        1.0 / c
                    } else if p < t {
                        -1.0 / c
                    } else {
                        0.0
                    };
                    (p - t).abs()
                })
                .sum::<f32>()
                / c
        }
        Loss::Huber { delta } => {
            p.iter()
                .zip(t)
                .zip(d.iter_mut())
                .map(|((p, t), d)| {
                    let e = p - t;
                    if e.abs() <= delta {
                        *d = e / c;
                        0.5 * e * e
                    } else {
                        *d = delta * e.signum() / c;
                        delta * (e.abs() - 0.5 * delta)
                    }
                })
                .sum::<f32>()
                / c
        }
        Loss::BinaryCrossentropy { from_logits: true } => {
            p.iter()
                .zip(t)
                .zip(d.iter_mut())
                .map(|((&x, &y), d)| {
                    *d = (crate::ops::Unary::Sigmoid.f(x) - y) / c;
                    x.max(0.0) - x * y + (-x.abs()).exp().ln_1p()
                })
                .sum::<f32>()
                / c
        }
        Loss::BinaryCrossentropy { from_logits: false } => {
            p.iter()
                .zip(t)
                .zip(d.iter_mut())
                .map(|((&q, &y), d)| {
                    let pc = q.clamp(EPSILON, 1.0 - EPSILON);
                    // Clipping has zero slope outside the range, as in Keras.
                    *d = if q > EPSILON && q < 1.0 - EPSILON {
                        (-y / pc + (1.0 - y) / (1.0 - pc)) / c
                    } else {
                        0.0
                    };
                    -(y * pc.ln() + (1.0 - y) * (1.0 - pc).ln())
                })
                .sum::<f32>()
                / c
        }
        Loss::CategoricalCrossentropy { from_logits: true }
        | Loss::SparseCategoricalCrossentropy { from_logits: true } => {
            let m = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let se: f32 = p.iter().map(|x| (x - m).exp()).sum();
            let lse = m + se.ln();
            let ts: f32 = t.iter().sum();
            for ((dj, &x), &y) in d.iter_mut().zip(p).zip(t) {
                *dj = (x - lse).exp() * ts - y;
            }
            -t.iter()
                .zip(p)
                .map(|(y, x)| if *y == 0.0 { 0.0 } else { y * (x - lse) })
                .sum::<f32>()
        }
        Loss::CategoricalCrossentropy { from_logits: false }
        | Loss::SparseCategoricalCrossentropy { from_logits: false } => {
            // Keras renormalises probabilities, then clips: q = clip(p / Σp).
            let s: f32 = p.iter().sum();
            let mut a_dot_q = 0.0;
            let mut val = 0.0;
            for ((dj, &pj), &y) in d.iter_mut().zip(p).zip(t) {
                let q = pj / s;
                let qc = q.clamp(EPSILON, 1.0 - EPSILON);
                val -= y * qc.ln();
                *dj = if q > EPSILON && q < 1.0 - EPSILON {
                    -y / qc
                } else {
                    0.0
                };
                a_dot_q += *dj * q;
            }
            d.iter_mut().for_each(|dj| *dj = (*dj - a_dot_q) / s);
            val
        }
    }
}

/// Gradient of the reduced loss: the per-element slopes scaled by each row's weight / batch.
struct LossBackward {
    name: &'static str,
    slopes: Vec<f32>,
    row_scale: Vec<f32>,
    cols: usize,
}
impl Backward for LossBackward {
    fn name(&self) -> &'static str {
        self.name
    }
    fn backward(&self, grad: &[f32], _inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let g = grad[0];
        let d = self
            .slopes
            .chunks_exact(self.cols.max(1))
            .zip(&self.row_scale)
            .flat_map(|(row, s)| row.iter().map(move |v| v * s * g))
            .collect();
        vec![Some(d), None]
    }
}

/// The scalar loss of `y_pred` against `y_true` (no gradient flows to `y_true`).
pub fn compute(
    loss: Loss,
    y_true: &Tensor,
    y_pred: &Tensor,
    sample_weight: Option<&[f32]>,
) -> Result<Tensor> {
    check_shapes(loss, y_true.shape(), y_pred.shape())?;
    let cols = if y_pred.ndim() == 0 {
        1
    } else {
        y_pred.shape()[y_pred.ndim() - 1]
    };
    let (l, slopes) = per_row(loss, &y_true.data(), &y_pred.data(), cols)?;
    let rows = l.len();
    let w: Vec<f32> = match sample_weight {
        None => vec![1.0; rows],
        Some(w) if w.len() == rows => w.to_vec(),
        Some(w) if w.len() == 1 => vec![w[0]; rows],
        Some(w) => {
            return Err(Error::shape(
                loss.name(),
                format!(
                    "sample_weight has {} values for {rows} samples (predictions of shape {})",
                    w.len(),
                    fmt_shape(y_pred.shape())
                ),
            ))
        }
    };
    let n = rows.max(1) as f32;
    let total: f64 = l
        .iter()
        .zip(&w)
        .map(|(l, w)| (*l as f64) * (*w as f64))
        .sum();
    let row_scale = w.iter().map(|w| w / n).collect();
    let bw = LossBackward {
        name: loss.name(),
        slopes,
        row_scale,
        cols,
    };
    Ok(Tensor::from_op(
        vec![(total / n as f64) as f32],
        vec![],
        bw,
        &[y_pred, y_true],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    fn t(v: &[f32], s: &[usize]) -> Tensor {
        Tensor::new(v.to_vec(), s.to_vec()).unwrap()
    }
    #[test]
    fn keras_reference_values() {
        let y = t(&[1., 0., 0., 0., 1., 0., 0., 0., 1.], &[3, 3]);
        let logits = t(&[8., 1., 1., 0., 9., 1., 2., 3., 5.], &[3, 3]);
        let v = compute(
            Loss::CategoricalCrossentropy { from_logits: true },
            &y,
            &logits,
            None,
        )
        .unwrap()
        .item()
        .unwrap();
        assert!((v - 0.0573).abs() < 1e-4, "{v}");
        let y = t(&[1., 0., 1., 0., 1., 1.], &[2, 3]);
        let x = t(&[10., -10., 10., 10., 10., -10.], &[2, 3]);
        let v = compute(Loss::BinaryCrossentropy { from_logits: true }, &y, &x, None)
            .unwrap()
            .item()
            .unwrap();
        assert!((v - 3.3333).abs() < 1e-4, "{v}");
        let y = t(&[1., 0., 1., 0.], &[2, 2]);
        let p = t(&[1., 1., 1., 0.], &[2, 2]);
        let v = compute(
            Loss::BinaryCrossentropy { from_logits: false },
            &y,
            &p,
            None,
        )
        .unwrap()
        .item()
        .unwrap();
        assert!((v - 3.98559).abs() < 1e-4, "{v}");
        let y = t(&[1., 9., 2., -5., -2., 6.], &[2, 3]);
        let p = t(&[4., 8., 12., 8., 1., 3.], &[2, 3]);
        let v = compute(Loss::MeanSquaredError, &y, &p, None)
            .unwrap()
            .item()
            .unwrap();
        assert!((v - 49.5).abs() < 1e-4);
        let v = compute(Loss::MeanSquaredError, &y, &p, Some(&[1.2, 3.4]))
            .unwrap()
            .item()
            .unwrap();
        assert!((v - 767.8 / 6.0).abs() < 1e-3);
    }
    #[test]
    fn bad_sparse_labels_are_named() {
        let p = Tensor::zeros(&[2, 10]);
        let e = compute(
            Loss::SparseCategoricalCrossentropy { from_logits: true },
            &t(&[1., 10.], &[2]),
            &p,
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("label 10"), "{e}");
    }
}
