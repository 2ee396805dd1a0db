//! Keras' loss reductions (sum_over_batch_size, sum, mean_with_sample_weight, none) of the
//! weighted per-sample losses, each recording the graph back to y_pred.
use super::{per_sample, reduced, Loss};
use crate::error::{Error, Result};
use crate::sample_weight::match_ranks;
use crate::tensor::Tensor;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    /// Σ l·w / (element count of l·w): Keras' default ("sum_over_batch_size", "mean", "auto").
    SumOverBatchSize,
    /// Σ l·w.
    Sum,
    /// Σ l·w / Σ w (Keras 3's "mean_with_sample_weight"; without weights the batch mean).
    MeanWithSampleWeight,
    /// l·w, one value per sample (Keras' "none" / None).
    None,
}

impl Reduction {
    pub const NAMES: [&'static str; 6] = [
        "sum_over_batch_size",
        "auto",
        "mean",
        "sum",
        "mean_with_sample_weight",
        "none",
    ];

    /// Keras 3's reduction names and tf.keras 2's "auto".
    pub fn from_name(name: &str) -> Result<Reduction> {
        Ok(match name {
            "sum_over_batch_size" | "auto" | "mean" => Reduction::SumOverBatchSize,
            "sum" => Reduction::Sum,
            "mean_with_sample_weight" => Reduction::MeanWithSampleWeight,
            "none" => Reduction::None,
            _ => {
                return Err(Error::invalid(
                    "loss",
                    format!(
                        "unknown reduction '{name}'; expected one of {}",
                        Reduction::NAMES.join(", ")
                    ),
                ))
            }
        })
    }

    /// What Σ l·w is divided by, given the element count `n` of l·w and the weights as given
    /// (Keras sums them unbroadcast: a scalar weight of 2 divides by 2).
    pub(super) fn divisor(self, n: f32, sample_weight: Option<&Tensor>) -> f32 {
        match (self, sample_weight) {
            (Reduction::Sum, _) => 1.0,
            (Reduction::MeanWithSampleWeight, Some(w)) => w.data().iter().sum(),
            _ => n,
        }
    }
}

/// The loss of `y_pred` against `y_true` reduced as `reduction` says; "none" gives the per-sample
/// losses times `sample_weight`, broadcast by Keras' rules (ranks matched, then NumPy's).
pub fn reduce(
    loss: Loss,
    y_true: &Tensor,
    y_pred: &Tensor,
    sample_weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    if reduction != Reduction::None {
        return reduced(loss, y_true, y_pred, sample_weight, reduction);
    }
    let values = per_sample(loss, y_true, y_pred)?;
    let Some(w) = sample_weight else {
        return Ok(values);
    };
    let (vs, ws) = match_ranks(values.shape(), w.shape());
    let dims = |s: Vec<usize>| s.into_iter().map(|d| d as isize).collect::<Vec<_>>();
    values.reshape(&dims(vs))?.mul(&w.reshape(&dims(ws))?)
}

/// Per-sample losses a Python `Loss.call` computed, weighted and reduced as Keras'
/// `reduce_weighted_values` does, composed of Tensor ops so the graph reaches the values.
pub fn reduce_values(
    values: &Tensor,
    sample_weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    let weighted = match sample_weight {
        None => values.clone(),
        Some(w) => {
            let (vs, ws) = match_ranks(values.shape(), w.shape());
            let dims = |s: Vec<usize>| s.into_iter().map(|d| d as isize).collect::<Vec<_>>();
            values.reshape(&dims(vs))?.mul(&w.reshape(&dims(ws))?)?
        }
    };
    if reduction == Reduction::None {
        return Ok(weighted);
    }
    let n = weighted.numel().max(1) as f32;
    let d = reduction.divisor(n, sample_weight);
    let total = weighted.sum();
    // Keras' divide_no_nan: a zero divisor gives 0.
    let scale = if d == 0.0 { 0.0 } else { 1.0 / d };
    total.mul(&Tensor::scalar(scale))
}

#[cfg(test)]
mod tests {
    use super::*;
    fn t(v: &[f32], s: &[usize]) -> Tensor {
        Tensor::new(v.to_vec(), s.to_vec()).unwrap()
    }
    fn run(r: &str, w: Option<&Tensor>) -> (Vec<f32>, Vec<f32>) {
        let y = t(&[1., 9., 2., -5., -2., 6.], &[2, 3]);
        let p = t(&[4., 8., 12., 8., 1., 3.], &[2, 3]).with_grad();
        let l = reduce(
            Loss::MeanSquaredError,
            &y,
            &p,
            w,
            Reduction::from_name(r).unwrap(),
        )
        .unwrap();
        l.sum().backward(None, false).unwrap();
        (l.to_vec(), p.grad().unwrap().to_vec())
    }
    #[test]
    fn reductions_as_keras() {
        // Per-sample MSE: [110/3, 187/3]; Keras' documented values for these inputs.
        let (v, _) = run("none", None);
        assert!((v[0] - 110.0 / 3.0).abs() < 1e-4 && (v[1] - 187.0 / 3.0).abs() < 1e-4);
        assert!((run("sum", None).0[0] - 99.0).abs() < 1e-4);
        assert!((run("sum_over_batch_size", None).0[0] - 49.5).abs() < 1e-4);
        let w = t(&[1.2, 3.4], &[2]);
        let (v, g) = run("none", Some(&w));
        assert!((v[1] - 3.4 * 187.0 / 3.0).abs() < 1e-3);
        // d/dp of 3.4 · mean((p - y)²) for p=3, y=6: 3.4 · 2 · (3 − 6) / 3.
        assert!((g[5] - 3.4 * 2.0 * -3.0 / 3.0).abs() < 1e-4);
        let (v, g) = run("mean_with_sample_weight", Some(&w));
        assert!((v[0] - 767.8 / 3.0 / 4.6).abs() < 1e-3);
        assert!((g[5] - 3.4 * 2.0 * -3.0 / 3.0 / 4.6).abs() < 1e-4);
        let zero = t(&[0., 0.], &[2]);
        let (v, g) = run("mean_with_sample_weight", Some(&zero));
        assert_eq!((v[0], g.iter().sum::<f32>()), (0.0, 0.0));
        assert!(Reduction::from_name("avg").is_err());
    }
    #[test]
    fn reduce_values_matches_the_fused_reductions() {
        let y = t(&[1., 9., 2., -5., -2., 6.], &[2, 3]);
        let p = t(&[4., 8., 12., 8., 1., 3.], &[2, 3]);
        let w = t(&[1.2, 3.4], &[2]);
        let v = per_sample(Loss::MeanSquaredError, &y, &p).unwrap();
        for r in ["sum", "sum_over_batch_size", "mean_with_sample_weight"] {
            let r = Reduction::from_name(r).unwrap();
            let a = reduce_values(&v, Some(&w), r).unwrap().item().unwrap();
            let b = reduce(Loss::MeanSquaredError, &y, &p, Some(&w), r)
                .unwrap()
                .item()
                .unwrap();
            assert!((a - b).abs() < 1e-3, "{r:?}: {a} vs {b}");
        }
    }
    #[test]
    fn per_sample_gradient_is_each_rows_slope() {
        let y = t(&[0., 1., 0., 1., 0., 0.], &[2, 3]);
        let x = t(&[2., 1., 0.5, 0., 0., 0.], &[2, 3]).with_grad();
        let l = Loss::CategoricalCrossentropy {
            from_logits: true,
            label_smoothing: 0.0,
        };
        let v = per_sample(l, &y, &x).unwrap();
        assert_eq!(v.shape(), &[2]);
        // Only the second row's loss is differentiated: its softmax − y; the first row gets 0.
        v.mul(&t(&[0., 1.], &[2]))
            .unwrap()
            .sum()
            .backward(None, false)
            .unwrap();
        let g = x.grad().unwrap().to_vec();
        assert_eq!(&g[..3], &[0., 0., 0.]);
        assert!((g[3] - (1.0 / 3.0 - 1.0)).abs() < 1e-5 && (g[4] - 1.0 / 3.0).abs() < 1e-5);
    }
}
