//! Each loss's per-row value and slope d(row loss)/d(y_pred), Keras' formulas side by side, with
//! label smoothing applied to the labels first. The row loop runs compiled for the run-time SIMD
//! level (`simd_level::vectorize`).
use super::{Loss, EPSILON};
use crate::error::{Error, Result};
use crate::kernels::exp::exp;
use crate::kernels::simd_level::{level, vectorize_at, Level};

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
    per_row_at(level(), loss, y_true, y_pred, cols)
}

fn per_row_at(
    lvl: Level,
    loss: Loss,
    y_true: &[f32],
    y_pred: &[f32],
    cols: usize,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let rows = y_pred.len() / cols.max(1);
    let mut l = vec![0.0f32; rows];
    let mut d = vec![0.0f32; y_pred.len()];
    let hinge_labels;
    let y_true = match super::more::hinge_labels(loss, y_true) {
        Some(v) => {
            hinge_labels = v;
            &hinge_labels[..]
        }
        None => y_true,
    };
    vectorize_at(
        lvl,
        #[inline(always)]
        || {
            if loss.is_logits_crossentropy() {
                shifted_exponentials(y_pred, cols, &mut d);
            }
            rows_into(loss, y_true, y_pred, cols, &mut l, &mut d)
        },
    )?;
    Ok((l, d))
}

/// `d = exp(x - max of x's row)` for every value of `p`: the exponentials of a cross-entropy of
/// logits in one pass over the batch, which the compiler vectorises (a row of 10 classes is too
/// short a loop for that; per row, 128×10 took 10 µs).
#[inline(always)]
fn shifted_exponentials(p: &[f32], cols: usize, d: &mut [f32]) {
    let cols = cols.max(1);
    for (dr, pr) in d.chunks_exact_mut(cols).zip(p.chunks_exact(cols)) {
        let m = pr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        dr.iter_mut().zip(pr).for_each(|(d, x)| *d = x - m);
    }
    d.iter_mut().for_each(|v| *v = exp(*v));
}

#[inline(always)]
fn rows_into(
    loss: Loss,
    y_true: &[f32],
    y_pred: &[f32],
    cols: usize,
    l: &mut [f32],
    d: &mut [f32],
) -> Result<()> {
    let c = cols as f32;
    // A sparse label's one-hot row, set and cleared in place (no allocation per row).
    let mut one_hot = if loss.is_sparse() {
        vec![0.0; cols]
    } else {
        Vec::new()
    };
    for r in 0..l.len() {
        let p = &y_pred[r * cols..(r + 1) * cols];
        let dr = &mut d[r * cols..(r + 1) * cols];
        let label_at = if loss.is_sparse() {
            Some(label(y_true[r], cols, r, loss.name())?)
        } else {
            None
        };
        if let Some(k) = label_at {
            one_hot[k] = 1.0;
        }
        let t: &[f32] = match label_at {
            Some(_) => &one_hot,
            None => &y_true[r * cols..(r + 1) * cols],
        };
        let smoothed;
        let t = match smoothing(loss, cols) {
            Some((keep, add)) => {
                smoothed = t.iter().map(|y| y * keep + add).collect::<Vec<f32>>();
                &smoothed
            }
            None => t,
        };
        l[r] = row_loss(loss, t, p, dr, c);
        if let Some(k) = label_at {
            one_hot[k] = 0.0;
        }
    }
    Ok(())
}

/// Keras' label smoothing as y·keep + add, when the loss has any.
fn smoothing(loss: Loss, cols: usize) -> Option<(f32, f32)> {
    match loss {
        Loss::BinaryCrossentropy {
            label_smoothing: ls,
            ..
        } if ls != 0.0 => Some((1.0 - ls, 0.5 * ls)),
        Loss::CategoricalCrossentropy {
            label_smoothing: ls,
            ..
        } if ls != 0.0 => Some((1.0 - ls, ls / cols.max(1) as f32)),
        Loss::BinaryFocalCrossentropy {
            label_smoothing: ls,
            ..
        } if ls != 0.0 => Some((1.0 - ls, 0.5 * ls)),
        Loss::CategoricalFocalCrossentropy {
            label_smoothing: ls,
            ..
        } if ls != 0.0 => Some((1.0 - ls, ls / cols.max(1) as f32)),
        _ => None,
    }
}

#[inline(always)]
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
        Loss::BinaryCrossentropy {
            from_logits: true, ..
        } => {
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
        Loss::BinaryCrossentropy {
            from_logits: false, ..
        } => {
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
        Loss::CategoricalCrossentropy {
            from_logits: true, ..
        }
        | Loss::SparseCategoricalCrossentropy { from_logits: true } => {
            // `d` holds exp(x - m) on entry (`shifted_exponentials`, for the whole batch).
            let m = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let se: f32 = d.iter().sum();
            let lse = m + se.ln();
            let ts: f32 = t.iter().sum();
            let scale = ts / se;
            for (dj, &y) in d.iter_mut().zip(t) {
                *dj = *dj * scale - y;
            }
            -t.iter()
                .zip(p)
                .map(|(y, x)| if *y == 0.0 { 0.0 } else { y * (x - lse) })
                .sum::<f32>()
        }
        Loss::CategoricalCrossentropy {
            from_logits: false, ..
        }
        | Loss::SparseCategoricalCrossentropy { from_logits: false } => {
            // Keras renormalises probabilities, then clips: q = clip(p / Σp).
            let s: f32 = p.iter().sum();
            let mut a_dot_q = 0.0;
            let mut val = 0.0;
            for ((dj, &pj), &y) in d.iter_mut().zip(p).zip(t) {
                let q = pj / s;
                let qc = q.clamp(EPSILON, 1.0 - EPSILON);
                // 0·ln(qc) is -0 for every finite qc, which leaves `val` as it is: the logarithm
                // is taken only where it can change the sum (a label's column, or a NaN).
                if y != 0.0 || !qc.is_finite() {
                    val -= y * qc.ln();
                }
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
        other => super::more::row_loss(other, t, p, d, c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::simd_level::testing::{every_level_matches_portable, values};

    #[test]
    fn every_level_matches_the_portable_path_with_nan_and_inf() {
        let losses = [
            Loss::SparseCategoricalCrossentropy { from_logits: true },
            Loss::SparseCategoricalCrossentropy { from_logits: false },
            Loss::MeanSquaredError,
            Loss::Huber { delta: 1.0 },
        ];
        for cols in [1, 7, 10, 17, 33] {
            let rows = 9;
            let logits = values(rows * cols, 8, true);
            let probs: Vec<f32> = values(rows * cols, 9, true)
                .iter()
                .map(|v| v.abs())
                .collect();
            let labels: Vec<f32> = (0..rows).map(|r| (r * 3 % cols) as f32).collect();
            let dense = values(rows * cols, 10, false);
            for loss in losses {
                let (t, p) = match loss {
                    Loss::SparseCategoricalCrossentropy { from_logits: true } => (&labels, &logits),
                    Loss::SparseCategoricalCrossentropy { .. } => (&labels, &probs),
                    _ => (&dense, &logits),
                };
                every_level_matches_portable(&format!("{} cols={cols}", loss.name()), |l| {
                    let (mut v, d) = per_row_at(l, loss, t, p, cols).unwrap();
                    v.extend(d);
                    v
                });
            }
        }
    }
}
