//! Batch statistics for Keras metrics: each returns (sum, count) so epochs average exactly. Values
//! have Keras' shapes (one per position of y_pred's leading axes) and reduce per sample as Keras'
//! Mean metrics do, with or without sample weights (see sample_weight.rs).
use crate::error::{Error, Result};
use crate::sample_weight::{self, match_ranks};
use crate::tensor::Tensor;

mod confusion;
pub use confusion::{confusion, f1_counts, Confusion};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    /// y_true == (y_pred > threshold), averaged over the last axis.
    BinaryAccuracy {
        threshold: f32,
    },
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    MeanSquaredError,
    MeanAbsoluteError,
    /// Whether the one-hot label's class is among the k largest predictions (ties count in, as TF).
    TopKCategoricalAccuracy {
        k: usize,
    },
    SparseTopKCategoricalAccuracy {
        k: usize,
    },
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::BinaryAccuracy { .. } => "binary_accuracy",
            Metric::CategoricalAccuracy => "categorical_accuracy",
            Metric::SparseCategoricalAccuracy => "sparse_categorical_accuracy",
            Metric::MeanSquaredError => "mean_squared_error",
            Metric::MeanAbsoluteError => "mean_absolute_error",
            Metric::TopKCategoricalAccuracy { .. } => "top_k_categorical_accuracy",
            Metric::SparseTopKCategoricalAccuracy { .. } => "sparse_top_k_categorical_accuracy",
        }
    }

    /// Keras' metric by name; `arg` is binary_accuracy's threshold (in (0, 1)) or the top-k
    /// metrics' k (a positive integer), unread by the others.
    pub fn from_name(name: &str, arg: f32) -> Result<Metric> {
        let threshold = arg;
        let k = || -> Result<usize> {
            if arg >= 1.0 && arg.fract() == 0.0 && arg.is_finite() {
                Ok(arg as usize)
            } else {
                Err(Error::invalid(
                    name,
                    format!("k must be a positive integer, got {arg}"),
                ))
            }
        };
        Ok(match name {
            "binary_accuracy" => {
                if !(threshold > 0.0 && threshold < 1.0) {
                    return Err(Error::invalid(
                        name,
                        format!("threshold must be in the open interval (0, 1), got {threshold}"),
                    ));
                }
                Metric::BinaryAccuracy { threshold }
            }
            "categorical_accuracy" => Metric::CategoricalAccuracy,
            "sparse_categorical_accuracy" => Metric::SparseCategoricalAccuracy,
            "mean_squared_error" => Metric::MeanSquaredError,
            "mean_absolute_error" => Metric::MeanAbsoluteError,
            "top_k_categorical_accuracy" => Metric::TopKCategoricalAccuracy { k: k()? },
            "sparse_top_k_categorical_accuracy" => {
                Metric::SparseTopKCategoricalAccuracy { k: k()? }
            }
            _ => return Err(Error::invalid("metric", format!("unknown metric '{name}'"))),
        })
    }
}

fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = i;
        }
    }
    best
}

/// Whether class `c` is among the k largest of `row`: fewer than k values beat it.
fn in_top_k(row: &[f32], c: usize, k: usize) -> bool {
    row.get(c)
        .is_some_and(|v| row.iter().filter(|x| *x > v).count() < k)
}

fn mismatch(metric: Metric, t: &[usize], p: &[usize], why: &str) -> Error {
    Error::shape_mismatch(metric.name(), t, p, why)
}

/// The per-sample values of `metric` (1 for a hit, 0 for a miss; the squared or absolute error)
/// as a Tensor of Keras' shape: what keras.metrics.binary_accuracy(y_true, y_pred) and the other
/// metric functions return.
pub fn per_sample(metric: Metric, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let (v, shape) = values_of(metric, y_true, y_pred)?;
    Tensor::new(v.into_iter().map(|x| x as f32).collect(), shape)
}

fn values_of(metric: Metric, y_true: &Tensor, y_pred: &Tensor) -> Result<Values> {
    let (t, p) = (y_true.data(), y_pred.data());
    values(metric, &t, y_true.shape(), &p, y_pred.shape())
}

/// One value per position of y_pred's leading axes, and their shape.
fn values(metric: Metric, t: &[f32], ts: &[usize], p: &[f32], ps: &[usize]) -> Result<Values> {
    let cols = ps.last().copied().unwrap_or(1).max(1);
    let lead = |s: &[usize]| s[..s.len().saturating_sub(1)].to_vec();
    let elementwise = |f: &dyn Fn(f32, f32) -> f64| -> Result<Values> {
        if t.len() != p.len() {
            return Err(mismatch(
                metric,
                ts,
                ps,
                "differ: y_true and y_pred need one value each",
            ));
        }
        // Keras matches the ranks (a trailing 1) before averaging the last axis.
        let ps = match_ranks(ts, ps).1;
        let cols = ps.last().copied().unwrap_or(1).max(1);
        let v = t
            .chunks(cols)
            .zip(p.chunks(cols))
            .map(|(t, p)| t.iter().zip(p).map(|(t, p)| f(*t, *p)).sum::<f64>() / cols as f64)
            .collect();
        Ok((v, lead(&ps)))
    };
    match metric {
        Metric::BinaryAccuracy { threshold } => {
            elementwise(&|t, p| (t == (p > threshold) as u8 as f32) as u8 as f64)
        }
        Metric::MeanSquaredError => elementwise(&|t, p| ((p - t) as f64).powi(2)),
        Metric::MeanAbsoluteError => elementwise(&|t, p| (p - t).abs() as f64),
        Metric::CategoricalAccuracy => {
            if t.len() != p.len() {
                return Err(mismatch(
                    metric,
                    ts,
                    ps,
                    "differ: y_true must be one-hot like y_pred",
                ));
            }
            let hit = |(t, p): (&[f32], &[f32])| (argmax(t) == argmax(p)) as u8 as f64;
            let v = t.chunks(cols).zip(p.chunks(cols)).map(hit).collect();
            Ok((v, lead(ps)))
        }
        Metric::TopKCategoricalAccuracy { k } => {
            if t.len() != p.len() {
                return Err(mismatch(
                    metric,
                    ts,
                    ps,
                    "differ: y_true must be one-hot like y_pred",
                ));
            }
            let hit = |(t, p): (&[f32], &[f32])| in_top_k(p, argmax(t), k) as u8 as f64;
            let v = t.chunks(cols).zip(p.chunks(cols)).map(hit).collect();
            Ok((v, lead(ps)))
        }
        Metric::SparseCategoricalAccuracy | Metric::SparseTopKCategoricalAccuracy { .. } => {
            if t.len() != p.len() / cols {
                return Err(mismatch(
                    metric,
                    ts,
                    ps,
                    "do not fit: one label per row of y_pred",
                ));
            }
            let hit = |(t, p): (&f32, &[f32])| match metric {
                Metric::SparseTopKCategoricalAccuracy { k } => {
                    (t.fract() == 0.0 && *t >= 0.0 && in_top_k(p, *t as usize, k)) as u8 as f64
                }
                _ => (*t == argmax(p) as f32) as u8 as f64,
            };
            let v = t.iter().zip(p.chunks(cols)).map(hit).collect();
            // The labels' shape without a trailing 1, as Keras squeezes it.
            let mut shape = ts.to_vec();
            if shape.len() > 1 && shape.last() == Some(&1) {
                shape.pop();
            }
            Ok((v, shape))
        }
    }
}

type Values = (Vec<f64>, Vec<usize>);

/// (sum of per-sample values, sum of per-sample weights) for one batch, as Keras' Mean metrics
/// accumulate; without `sample_weight` every sample weighs 1.
pub fn batch(
    metric: Metric,
    y_true: &Tensor,
    y_pred: &Tensor,
    sample_weight: Option<&Tensor>,
) -> Result<(f64, f64)> {
    let (v, shape) = values_of(metric, y_true, y_pred)?;
    let w = sample_weight.map(|w| (w.data(), w.shape().to_vec()));
    let w = w.as_ref().map(|(d, s)| (&d[..], &s[..]));
    sample_weight::for_metric(metric.name(), &v, &shape, w)
}

#[cfg(test)]
mod tests {
    use super::*;
    fn t(v: &[f32], s: &[usize]) -> Tensor {
        Tensor::new(v.to_vec(), s.to_vec()).unwrap()
    }
    fn result(m: Metric, y: &Tensor, p: &Tensor, w: Option<&Tensor>) -> f64 {
        let (s, c) = batch(m, y, p, w).unwrap();
        s / c
    }
    #[test]
    fn keras_documented_values() {
        // The examples in keras.metrics' docstrings.
        let acc = Metric::from_name("binary_accuracy", 0.5).unwrap();
        let (y, p) = (
            t(&[1., 1., 0., 0.], &[4, 1]),
            t(&[0.98, 1., 0., 0.6], &[4, 1]),
        );
        assert_eq!(result(acc, &y, &p, None), 0.75);
        let w = t(&[1., 0., 0., 1.], &[4]);
        assert_eq!(result(acc, &y, &p, Some(&w)), 0.5);
        let (y, p) = (
            t(&[0., 0., 1., 0., 1., 0.], &[2, 3]),
            t(&[0.1, 0.9, 0.8, 0.05, 0.95, 0.], &[2, 3]),
        );
        let w = t(&[0.7, 0.3], &[2]);
        assert!((result(Metric::CategoricalAccuracy, &y, &p, Some(&w)) - 0.3).abs() < 1e-6);
        let y = t(&[2., 1.], &[2, 1]);
        assert!((result(Metric::SparseCategoricalAccuracy, &y, &p, Some(&w)) - 0.3).abs() < 1e-6);
    }
    #[test]
    fn per_sample_values_have_keras_shapes() {
        let p = t(&[0.1, 0.9, 0.8, 0.05, 0.95, 0.], &[2, 3]);
        let labels = t(&[2., 1.], &[2, 1]);
        let v = per_sample(Metric::SparseCategoricalAccuracy, &labels, &p).unwrap();
        assert_eq!((v.shape().to_vec(), v.to_vec()), (vec![2], vec![0., 1.]));
        let y = t(&[0., 0., 1., 0., 1., 0.], &[2, 3]);
        let v = per_sample(Metric::MeanSquaredError, &y, &p).unwrap();
        assert_eq!(v.shape(), &[2]);
        assert!((v.to_vec()[0] - (0.01 + 0.81 + 0.04) / 3.0).abs() < 1e-6);
    }
    #[test]
    fn threshold_is_used_and_checked() {
        let (y, p) = (t(&[1., 0.], &[2, 1]), t(&[0.8, 0.6], &[2, 1]));
        let high = Metric::from_name("binary_accuracy", 0.7).unwrap();
        assert_eq!(result(high, &y, &p, None), 1.0);
        let low = Metric::from_name("binary_accuracy", 0.5).unwrap();
        assert_eq!(result(low, &y, &p, None), 0.5);
        assert!(Metric::from_name("binary_accuracy", 1.0).is_err());
    }
    #[test]
    fn top_k_as_keras_documents() {
        // keras.metrics.TopKCategoricalAccuracy(k=1) and SparseTopK(k=1) docstring: 0.5, and
        // with sample_weight [0.7, 0.3]: 0.3.
        let y = t(&[0., 0., 1., 0., 1., 0.], &[2, 3]);
        let p = t(&[0.1, 0.9, 0.8, 0.05, 0.95, 0.], &[2, 3]);
        let top1 = Metric::from_name("top_k_categorical_accuracy", 1.0).unwrap();
        assert_eq!(result(top1, &y, &p, None), 0.5);
        let w = t(&[0.7, 0.3], &[2]);
        assert!((result(top1, &y, &p, Some(&w)) - 0.3).abs() < 1e-6);
        let sparse = Metric::from_name("sparse_top_k_categorical_accuracy", 2.0).unwrap();
        assert_eq!(result(sparse, &t(&[2., 1.], &[2]), &p, None), 1.0);
        assert!(Metric::from_name("top_k_categorical_accuracy", 0.5).is_err());
    }
}
