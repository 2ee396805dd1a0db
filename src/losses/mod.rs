//! Losses as Keras defines them, each one fused op: per-sample values and d(loss)/d(y_pred) in one
//! pass, one graph node whether per sample or reduced with sample weights (Keras' reductions in
//! reduce.rs; the weights broadcast by Keras' rules, see sample_weight.rs).
//! Probabilities are clipped to [1e-7, 1 − 1e-7]; the from-logits forms go through log-sum-exp.
use crate::autograd::Backward;
use crate::error::{Error, Result};
use crate::sample_weight::{self, match_ranks};
use crate::tensor::Tensor;

mod more;
mod reduce;
mod rows;
pub use reduce::{reduce, reduce_values, Reduction};
pub use rows::per_row;

pub const EPSILON: f32 = 1e-7;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loss {
    MeanSquaredError,
    MeanAbsoluteError,
    Huber {
        delta: f32,
    },
    /// Labels smoothed towards 0.5: y·(1 − ls) + 0.5·ls.
    BinaryCrossentropy {
        from_logits: bool,
        label_smoothing: f32,
    },
    /// Labels smoothed towards uniform: y·(1 − ls) + ls / classes.
    CategoricalCrossentropy {
        from_logits: bool,
        label_smoothing: f32,
    },
    SparseCategoricalCrossentropy {
        from_logits: bool,
    },
    /// mean(max(1 − y·p, 0)); labels in {0, 1} become {−1, 1} first (when all of them are).
    Hinge,
    SquaredHinge,
    /// max(max((1 − y)·p) − Σ y·p + 1, 0).
    CategoricalHinge,
    /// Σ y·log(y / p), both clipped to [1e-7, 1].
    KLDivergence,
    /// mean(p − y·log(p + 1e-7)).
    Poisson,
    /// mean(log cosh(p − y)).
    LogCosh,
    /// −Σ ŷ·p̂ with x̂ = x / sqrt(max(Σx², 1e-7)).
    CosineSimilarity,
    /// Σ −α·(1 − q)^γ · y·log q, q the normalised (or softmax) clipped probabilities.
    CategoricalFocalCrossentropy {
        alpha: f32,
        gamma: f32,
        from_logits: bool,
        label_smoothing: f32,
    },
    /// mean((1 − p_t)^γ · bce), p_t = y·p + (1 − y)(1 − p), times y·α + (1 − y)(1 − α) if balanced.
    BinaryFocalCrossentropy {
        apply_class_balancing: bool,
        alpha: f32,
        gamma: f32,
        from_logits: bool,
        label_smoothing: f32,
    },
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
            Loss::Hinge => "hinge",
            Loss::SquaredHinge => "squared_hinge",
            Loss::CategoricalHinge => "categorical_hinge",
            Loss::KLDivergence => "kl_divergence",
            Loss::Poisson => "poisson",
            Loss::LogCosh => "log_cosh",
            Loss::CosineSimilarity => "cosine_similarity",
            Loss::CategoricalFocalCrossentropy { .. } => "categorical_focal_crossentropy",
            Loss::BinaryFocalCrossentropy { .. } => "binary_focal_crossentropy",
        }
    }
    pub fn is_sparse(self) -> bool {
        matches!(self, Loss::SparseCategoricalCrossentropy { .. })
    }
    /// (Sparse) categorical cross-entropy computed from logits.
    pub fn is_logits_crossentropy(self) -> bool {
        matches!(
            self,
            Loss::CategoricalCrossentropy {
                from_logits: true,
                ..
            } | Loss::SparseCategoricalCrossentropy { from_logits: true }
        )
    }
    /// The same loss reading logits, when the model's softmax/sigmoid can be fused into it.
    pub fn with_logits(self) -> Loss {
        match self {
            Loss::BinaryCrossentropy {
                label_smoothing, ..
            } => Loss::BinaryCrossentropy {
                from_logits: true,
                label_smoothing,
            },
            Loss::CategoricalCrossentropy {
                label_smoothing, ..
            } => Loss::CategoricalCrossentropy {
                from_logits: true,
                label_smoothing,
            },
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

/// Gradient of a loss through its fused rows: each row's slopes d(row loss)/d(y_pred) times that
/// row's upstream gradient; for the reduced scalar, times grad · (the row's weight / divisor).
struct RowsBackward {
    name: &'static str,
    slopes: Vec<f32>,
    cols: usize,
    /// None: the output holds one loss per row (per_sample); Some: it is the reduced scalar.
    row_scale: Option<Vec<f32>>,
}
impl Backward for RowsBackward {
    fn name(&self) -> &'static str {
        self.name
    }
    fn backward(&self, grad: &[f32], _inputs: &[Tensor], _out: &Tensor) -> Vec<Option<Vec<f32>>> {
        let rows = self.slopes.chunks_exact(self.cols.max(1));
        let d = match &self.row_scale {
            None => rows
                .zip(grad)
                .flat_map(|(row, g)| row.iter().map(move |v| v * g))
                .collect(),
            Some(scale) => rows
                .zip(scale)
                .flat_map(|(row, s)| row.iter().map(move |v| v * s * grad[0]))
                .collect(),
        };
        vec![Some(d), None]
    }
}

/// y_pred's shape as the loss reads it: Keras matches y_pred's rank to y_true's (one trailing axis
/// of 1 dropped or added) before reducing the last axis; sparse labels have no axis to match.
fn pred_shape(loss: Loss, t: &[usize], p: &[usize]) -> Vec<usize> {
    if loss.is_sparse() {
        p.to_vec()
    } else {
        match_ranks(t, p).1
    }
}

/// The loss of each sample (each position of y_pred's leading axes, Keras' shape), unreduced:
/// Keras' loss functions (`keras.losses.mse(y_true, y_pred)`, ...). It records the graph when
/// y_pred requires grad (no gradient flows to y_true).
pub fn per_sample(loss: Loss, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let r = rows(loss, y_true, y_pred)?;
    let bw = RowsBackward {
        name: loss.name(),
        slopes: r.slopes,
        cols: r.cols,
        row_scale: None,
    };
    Ok(Tensor::from_op(r.values, r.shape, bw, &[y_pred, y_true]))
}

/// Each sample's loss and slopes, the row width, and the samples' shape (y_pred's without its
/// last axis), after the shapes are checked.
struct Rows {
    values: Vec<f32>,
    slopes: Vec<f32>,
    cols: usize,
    shape: Vec<usize>,
}

fn rows(loss: Loss, y_true: &Tensor, y_pred: &Tensor) -> Result<Rows> {
    check_shapes(loss, y_true.shape(), y_pred.shape())?;
    let ps = pred_shape(loss, y_true.shape(), y_pred.shape());
    let (cols, shape) = match ps.split_last() {
        Some((&c, rest)) => (c, rest.to_vec()),
        None => (1, vec![]),
    };
    let (values, slopes) = per_row(loss, &y_true.data(), &y_pred.data(), cols)?;
    Ok(Rows {
        values,
        slopes,
        cols,
        shape,
    })
}

/// The scalar loss of `y_pred` against `y_true` (no gradient flows to `y_true`) with Keras'
/// default reduction, sum_over_batch_size; `sample_weight` broadcasts against the per-sample
/// losses (y_pred's shape without its last axis) as in Keras. `fit` runs this for every batch.
pub fn compute(
    loss: Loss,
    y_true: &Tensor,
    y_pred: &Tensor,
    sample_weight: Option<&Tensor>,
) -> Result<Tensor> {
    reduce(
        loss,
        y_true,
        y_pred,
        sample_weight,
        Reduction::SumOverBatchSize,
    )
}

/// The reduced loss in one fused pass over the rows: Σ l·w / divisor, the divisor chosen by the
/// reduction (1 for "sum"); each row's weight is folded into its slopes for backward.
fn reduced(
    loss: Loss,
    y_true: &Tensor,
    y_pred: &Tensor,
    sample_weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    let Rows {
        values: l,
        slopes,
        cols,
        shape: vshape,
    } = rows(loss, y_true, y_pred)?;
    let (w, n) = match sample_weight {
        None => (vec![1.0; l.len()], l.len().max(1) as f32),
        Some(w) => sample_weight::for_loss(loss.name(), &vshape, &w.data(), w.shape())?,
    };
    let total: f64 = l
        .iter()
        .zip(&w)
        .map(|(l, w)| (*l as f64) * (*w as f64))
        .sum();
    let d = reduction.divisor(n, sample_weight);
    // Keras' divide_no_nan: a zero divisor (every weight 0) gives 0, not NaN.
    let (value, scale) = match d {
        0.0 => (0.0, vec![0.0; w.len()]),
        _ => (total / d as f64, w.iter().map(|w| w / d).collect()),
    };
    let bw = RowsBackward {
        name: loss.name(),
        slopes,
        cols,
        row_scale: Some(scale),
    };
    Ok(Tensor::from_op(
        vec![value as f32],
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
    fn val(loss: Loss, y: &Tensor, p: &Tensor, w: Option<&Tensor>) -> f32 {
        compute(loss, y, p, w).unwrap().item().unwrap()
    }
    const BCE: Loss = Loss::BinaryCrossentropy {
        from_logits: false,
        label_smoothing: 0.0,
    };
    const CCE_LOGITS: Loss = Loss::CategoricalCrossentropy {
        from_logits: true,
        label_smoothing: 0.0,
    };
    #[test]
    fn keras_reference_values() {
        let y = t(&[1., 0., 0., 0., 1., 0., 0., 0., 1.], &[3, 3]);
        let logits = t(&[8., 1., 1., 0., 9., 1., 2., 3., 5.], &[3, 3]);
        assert!((val(CCE_LOGITS, &y, &logits, None) - 0.0573).abs() < 1e-4);
        let y = t(&[1., 0., 1., 0., 1., 1.], &[2, 3]);
        let x = t(&[10., -10., 10., 10., 10., -10.], &[2, 3]);
        assert!((val(BCE.with_logits(), &y, &x, None) - 3.3333).abs() < 1e-4);
        let y = t(&[1., 0., 1., 0.], &[2, 2]);
        let p = t(&[1., 1., 1., 0.], &[2, 2]);
        assert!((val(BCE, &y, &p, None) - 3.98559).abs() < 1e-4);
        let y = t(&[1., 9., 2., -5., -2., 6.], &[2, 3]);
        let p = t(&[4., 8., 12., 8., 1., 3.], &[2, 3]);
        assert!((val(Loss::MeanSquaredError, &y, &p, None) - 49.5).abs() < 1e-4);
        let w = t(&[1.2, 3.4], &[2, 1]);
        let v = val(Loss::MeanSquaredError, &y, &p, Some(&w));
        assert!((v - 767.8 / 6.0).abs() < 1e-3);
        // The same per-sample weight as (2,) or as (2, 1, 1) against predictions (2, 1, 3).
        let (y3, p3) = (
            y.reshape(&[2, 1, 3]).unwrap(),
            p.reshape(&[2, 1, 3]).unwrap(),
        );
        for ws in [&[2usize][..], &[2, 1, 1]] {
            let w = t(&[1.2, 3.4], ws);
            let v = val(Loss::MeanSquaredError, &y3, &p3, Some(&w));
            assert!((v - 767.8 / 6.0).abs() < 1e-3, "{ws:?}: {v}");
        }
    }
    #[test]
    fn label_smoothing_moves_the_labels_as_keras() {
        let smooth = Loss::CategoricalCrossentropy {
            from_logits: true,
            label_smoothing: 0.1,
        };
        let y = t(&[0., 1., 0.], &[1, 3]);
        let x = t(&[2., 1., 0.5], &[1, 3]);
        // The same loss on the labels Keras computes: y·0.9 + 0.1/3.
        let ys = t(&[0.1 / 3., 0.9 + 0.1 / 3., 0.1 / 3.], &[1, 3]);
        assert!((val(smooth, &y, &x, None) - val(CCE_LOGITS, &ys, &x, None)).abs() < 1e-6);
        let bs = Loss::BinaryCrossentropy {
            from_logits: false,
            label_smoothing: 0.2,
        };
        let (y, p) = (t(&[1., 0.], &[1, 2]), t(&[0.7, 0.4], &[1, 2]));
        let ys = t(&[0.9, 0.1], &[1, 2]);
        assert!((val(bs, &y, &p, None) - val(BCE, &ys, &p, None)).abs() < 1e-6);
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
