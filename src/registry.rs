//! One name table per kind (losses, metrics, merges): `from_name` and the valid names, so every
//! caller (bindings, Python) resolves Keras' names in one place and lists the valid ones on a typo.
use crate::error::{Error, Result};
use crate::losses::Loss;
use crate::metrics::Metric;

pub const LOSSES: &[&str] = &[
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
];

pub const METRICS: &[&str] = &[
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "mean_squared_error",
    "mean_absolute_error",
];

fn unknown(kind: &str, name: &str, valid: &[&str]) -> Error {
    Error::invalid(
        kind,
        format!("unknown {kind} '{name}'; valid names: {}", valid.join(", ")),
    )
}

/// A loss by its Keras name, with its from_logits flag and label smoothing (cross-entropies) and
/// delta (huber).
pub fn loss(name: &str, from_logits: bool, delta: f32, label_smoothing: f32) -> Result<Loss> {
    if !(0.0..=1.0).contains(&label_smoothing) {
        return Err(Error::invalid(
            name,
            format!("label_smoothing must be in [0, 1], got {label_smoothing}"),
        ));
    }
    Ok(match name {
        "mean_squared_error" => Loss::MeanSquaredError,
        "mean_absolute_error" => Loss::MeanAbsoluteError,
        "huber" => Loss::Huber { delta },
        "binary_crossentropy" => Loss::BinaryCrossentropy {
            from_logits,
            label_smoothing,
        },
        "categorical_crossentropy" => Loss::CategoricalCrossentropy {
            from_logits,
            label_smoothing,
        },
        "sparse_categorical_crossentropy" => Loss::SparseCategoricalCrossentropy { from_logits },
        _ => return Err(unknown("loss", name, LOSSES)),
    })
}

/// A metric by its Keras name; `threshold` is binary_accuracy's (checked there).
pub fn metric(name: &str, threshold: f32) -> Result<Metric> {
    if !METRICS.contains(&name) {
        return Err(unknown("metric", name, METRICS));
    }
    Metric::from_name(name, threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_resolves_and_a_typo_lists_them() {
        assert!(LOSSES.iter().all(|n| loss(n, false, 1.0, 0.0).is_ok()));
        assert!(METRICS.iter().all(|n| metric(n, 0.5).is_ok()));
        let e = loss("msee", false, 1.0, 0.0).unwrap_err().to_string();
        assert!(
            e.contains("msee") && e.contains("mean_squared_error"),
            "{e}"
        );
    }
}
