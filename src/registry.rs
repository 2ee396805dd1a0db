//! One name table per kind (losses, metrics, merges): `from_name` and the valid names, so every
//! caller (bindings, Python) resolves Keras' names in one place and lists the valid ones on a typo.
use crate::error::{Error, Result};
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::optimizers::{
    Adadelta, Adagrad, Adam, Adamax, Clip, Ema, Ftrl, Lamb, Lion, Nadam, Optimizer, OptimizerState,
    RMSprop, Sgd,
};
use std::collections::HashMap;

pub const LOSSES: &[&str] = &[
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "kl_divergence",
    "poisson",
    "log_cosh",
    "cosine_similarity",
    "categorical_focal_crossentropy",
    "binary_focal_crossentropy",
];

pub const METRICS: &[&str] = &[
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "mean_squared_error",
    "mean_absolute_error",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
];

pub const OPTIMIZERS: &[&str] = &[
    "sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "ftrl", "lion",
    "lamb",
];

/// An optimizer by its Keras name with its keywords (Keras' defaults for those not given):
/// numbers in `num`, flags (nesterov, amsgrad, centered, use_ema) in `flags`.
pub fn optimizer(
    name: &str,
    num: &HashMap<String, f32>,
    flags: &HashMap<String, bool>,
) -> Result<OptimizerState> {
    let f = |k: &str, d: f32| num.get(k).copied().unwrap_or(d);
    let b = |k: &str| flags.get(k).copied().unwrap_or(false);
    let rule: Box<dyn Optimizer> = match name {
        "sgd" => Box::new(Sgd::new(f("momentum", 0.0), b("nesterov"))),
        "adam" | "adamw" => Box::new(Adam::new(
            f("beta_1", 0.9),
            f("beta_2", 0.999),
            f("epsilon", 1e-7),
            b("amsgrad"),
        )),
        "rmsprop" => Box::new(RMSprop::new(
            f("rho", 0.9),
            f("momentum", 0.0),
            f("epsilon", 1e-7),
            b("centered"),
        )),
        "adagrad" => Box::new(Adagrad::new(
            f("initial_accumulator_value", 0.1),
            f("epsilon", 1e-7),
        )),
        "adadelta" => Box::new(Adadelta::new(f("rho", 0.95), f("epsilon", 1e-7))),
        "adamax" => Box::new(Adamax::new(
            f("beta_1", 0.9),
            f("beta_2", 0.999),
            f("epsilon", 1e-7),
        )),
        "nadam" => Box::new(Nadam::new(
            f("beta_1", 0.9),
            f("beta_2", 0.999),
            f("epsilon", 1e-7),
        )),
        "ftrl" => Box::new(Ftrl::new(
            f("learning_rate_power", -0.5),
            f("initial_accumulator_value", 0.1),
            f("l1_regularization_strength", 0.0),
            f("l2_regularization_strength", 0.0),
            f("l2_shrinkage_regularization_strength", 0.0),
            f("beta", 0.0),
        )),
        "lion" => Box::new(Lion::new(f("beta_1", 0.9), f("beta_2", 0.99))),
        "lamb" => Box::new(Lamb::new(
            f("beta_1", 0.9),
            f("beta_2", 0.999),
            f("epsilon", 1e-7),
        )),
        _ => return Err(unknown("optimizer", name, OPTIMIZERS)),
    };
    let clip = Clip {
        clipnorm: num.get("clipnorm").copied(),
        clipvalue: num.get("clipvalue").copied(),
        global_clipnorm: num.get("global_clipnorm").copied(),
    };
    let ema = b("use_ema")
        .then(|| {
            Ema::new(
                f("ema_momentum", 0.99),
                num.get("ema_overwrite_frequency").copied(),
            )
        })
        .transpose()?;
    Ok(OptimizerState::new(rule, clip, f("weight_decay", 0.0))?.with_ema(ema))
}

/// The valid names of one kind: "loss", "metric", "optimizer", "activation" or "merge".
pub fn names(kind: &str) -> Result<&'static [&'static str]> {
    Ok(match kind {
        "loss" => LOSSES,
        "metric" => METRICS,
        "optimizer" => OPTIMIZERS,
        "activation" => crate::layers::ACTIVATION_NAMES,
        "merge" => crate::layers::MERGE_NAMES,
        _ => {
            return Err(unknown(
                "registry",
                kind,
                &["loss", "metric", "optimizer", "activation", "merge"],
            ))
        }
    })
}

fn unknown(kind: &str, name: &str, valid: &[&str]) -> Error {
    Error::invalid(
        kind,
        format!("unknown {kind} '{name}'; valid names: {}", valid.join(", ")),
    )
}

/// A loss's keywords besides its name, with Keras' defaults: from_logits and label_smoothing
/// (cross-entropies), delta (huber), alpha, gamma and apply_class_balancing (focal losses).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossArgs {
    pub from_logits: bool,
    pub delta: f32,
    pub label_smoothing: f32,
    pub alpha: f32,
    pub gamma: f32,
    pub apply_class_balancing: bool,
}

impl Default for LossArgs {
    fn default() -> LossArgs {
        LossArgs {
            from_logits: false,
            delta: 1.0,
            label_smoothing: 0.0,
            alpha: 0.25,
            gamma: 2.0,
            apply_class_balancing: false,
        }
    }
}

/// A loss by its Keras name with its keywords, each checked (the message names the loss).
pub fn loss(name: &str, a: &LossArgs) -> Result<Loss> {
    let LossArgs {
        from_logits,
        delta,
        label_smoothing,
        alpha,
        gamma,
        apply_class_balancing,
    } = *a;
    if !(0.0..=1.0).contains(&label_smoothing) {
        return Err(Error::invalid(
            name,
            format!("label_smoothing must be in [0, 1], got {label_smoothing}"),
        ));
    }
    let focal = name.ends_with("focal_crossentropy");
    if focal && !(gamma >= 0.0 && gamma.is_finite()) {
        return Err(Error::invalid(
            name,
            format!("gamma must be a finite number >= 0, got {gamma}"),
        ));
    }
    if focal && !alpha.is_finite() {
        return Err(Error::invalid(
            name,
            format!("alpha must be a finite number, got {alpha}"),
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
        "hinge" => Loss::Hinge,
        "squared_hinge" => Loss::SquaredHinge,
        "categorical_hinge" => Loss::CategoricalHinge,
        "kl_divergence" => Loss::KLDivergence,
        "poisson" => Loss::Poisson,
        "log_cosh" => Loss::LogCosh,
        "cosine_similarity" => Loss::CosineSimilarity,
        "categorical_focal_crossentropy" => Loss::CategoricalFocalCrossentropy {
            alpha,
            gamma,
            from_logits,
            label_smoothing,
        },
        "binary_focal_crossentropy" => Loss::BinaryFocalCrossentropy {
            apply_class_balancing,
            alpha,
            gamma,
            from_logits,
            label_smoothing,
        },
        _ => return Err(unknown("loss", name, LOSSES)),
    })
}

/// A metric by its Keras name; `arg` is binary_accuracy's threshold or top-k's k (checked there).
pub fn metric(name: &str, arg: f32) -> Result<Metric> {
    if !METRICS.contains(&name) {
        return Err(unknown("metric", name, METRICS));
    }
    Metric::from_name(name, arg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_resolves_and_a_typo_lists_them() {
        assert!(LOSSES.iter().all(|n| loss(n, &LossArgs::default()).is_ok()));
        assert!(METRICS
            .iter()
            .all(|n| metric(n, 0.5).is_ok() || metric(n, 5.0).is_ok()));
        let none = HashMap::new();
        assert!(OPTIMIZERS
            .iter()
            .all(|n| optimizer(n, &none, &HashMap::new()).is_ok()));
        let e = optimizer("adamm", &none, &HashMap::new())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("adamm") && e.contains("rmsprop"), "{e}");
        let e = loss("msee", &LossArgs::default()).unwrap_err().to_string();
        assert!(
            e.contains("msee") && e.contains("mean_squared_error"),
            "{e}"
        );
    }
}
