//! Batch statistics for Keras metrics: each returns (sum, count) so epochs average exactly.
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    BinaryAccuracy { threshold: f32 },
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    MeanSquaredError,
    MeanAbsoluteError,
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

/// (sum of per-sample values, number of samples) for one batch; `cols` is y_pred's last axis.
pub fn batch(metric: Metric, y_true: &[f32], y_pred: &[f32], cols: usize) -> Result<(f64, f64)> {
    let cols = cols.max(1);
    let rows = y_pred.len() / cols;
    let elementwise = |f: &dyn Fn(f32, f32) -> f64| -> Result<(f64, f64)> {
        if y_true.len() != y_pred.len() {
            return Err(Error::invalid(
                "metric",
                format!(
                    "y_true has {} values but y_pred has {}",
                    y_true.len(),
                    y_pred.len()
                ),
            ));
        }
        let s: f64 = y_true.iter().zip(y_pred).map(|(t, p)| f(*t, *p)).sum();
        Ok((s / cols as f64, rows as f64))
    };
    match metric {
        Metric::BinaryAccuracy { threshold } => {
            elementwise(&|t, p| ((p > threshold) as u8 as f32 == t) as u8 as f64)
        }
        Metric::MeanSquaredError => elementwise(&|t, p| ((p - t) as f64).powi(2)),
        Metric::MeanAbsoluteError => elementwise(&|t, p| (p - t).abs() as f64),
        Metric::CategoricalAccuracy => {
            if y_true.len() != y_pred.len() {
                return Err(Error::invalid(
                    "categorical_accuracy",
                    "y_true must be one-hot with y_pred's shape",
                ));
            }
            let hits = y_true
                .chunks_exact(cols)
                .zip(y_pred.chunks_exact(cols))
                .filter(|(t, p)| argmax(t) == argmax(p))
                .count();
            Ok((hits as f64, rows as f64))
        }
        Metric::SparseCategoricalAccuracy => {
            if y_true.len() != rows {
                return Err(Error::invalid(
                    "sparse_categorical_accuracy",
                    format!("{} labels for {rows} predictions", y_true.len()),
                ));
            }
            let hits = y_true
                .iter()
                .zip(y_pred.chunks_exact(cols))
                .filter(|(t, p)| **t == argmax(p) as f32)
                .count();
            Ok((hits as f64, rows as f64))
        }
    }
}
