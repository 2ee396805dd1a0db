"""Objective: the metric a search optimises and its direction, inferred from the name as KerasTuner
does ("val_loss" is minimised, "val_accuracy" maximised)."""

from __future__ import annotations

import math
from typing import Any

# Keras metrics that grow when the model gets better (KerasTuner's list); other known metric and
# loss names are errors to minimise.
_MAX = {
    "acc", "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "auc", "precision",
    "recall", "true_positives", "true_negatives", "r2_score", "f1_score", "fbeta_score",
}  # fmt: skip
_MIN = {
    "loss", "crossentropy", "ce", "mse", "mae", "mape", "msle", "mean_squared_error",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
    "root_mean_squared_error", "rmse", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge", "huber",
    "log_cosh", "logcosh", "kl_divergence", "kld", "poisson", "false_positives",
    "false_negatives", "default_objective",
}  # fmt: skip


def infer_direction(name: str) -> str | None:
    """ "min" or "max" for a metric name as Keras logs it, or None when it cannot be told.

    Args:
        name: A metric name, with or without "val_" and "weighted_" prefixes.

    Returns:
        "min", "max" or None.
    """
    base = name.removeprefix("val_").removeprefix("weighted_")
    if base in _MAX:
        return "max"
    if base in _MIN or base.endswith("_loss"):
        return "min"
    return None


class Objective:
    """A metric to optimise and whether lower or higher is better.

    Args:
        name: The metric name as fit logs it ("val_accuracy", "val_loss", ...).
        direction: "min" or "max".

    Raises:
        ValueError: a direction other than "min"/"max", or an empty name.
    """

    def __init__(self, name: str, direction: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"Objective: name must be a non-empty string, got {name!r}")
        if direction not in ("min", "max"):
            raise ValueError(
                f"Objective '{name}': direction must be 'min' or 'max', got {direction!r}"
            )
        self.name, self.direction = name, direction

    def better(self, a: float, b: float | None) -> bool:
        """Whether score `a` beats `b` (None, or NaN, is beaten by any number).

        Args:
            a: A score.
            b: Another score or None.

        Returns:
            True when a is better.
        """
        if b is None or math.isnan(b):
            return not math.isnan(a)
        return a < b if self.direction == "min" else a > b

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Objective) and (self.name, self.direction) == (
            other.name, other.direction)  # fmt: skip

    def __hash__(self) -> int:
        return hash((self.name, self.direction))

    def __repr__(self) -> str:
        return f'Objective(name="{self.name}", direction="{self.direction}")'


def create_objective(objective: Any) -> Objective:
    """An Objective from a name, an Objective, or None (a fit returning one float to minimise).

    Args:
        objective: str, Objective or None.

    Returns:
        An Objective.

    Raises:
        ValueError: a name whose direction cannot be inferred, or a list of objectives.
        TypeError: any other type.
    """
    if objective is None:
        return Objective("default_objective", "min")
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, (list, tuple)):
        raise NotImplementedError(
            "several objectives are not supported: give one name or kt.Objective(name, direction)"
        )
    if not isinstance(objective, str):
        raise TypeError(f"objective must be a str or kt.Objective, got {type(objective).__name__}")
    direction = infer_direction(objective)
    if direction is None:
        raise ValueError(
            f"cannot infer whether to minimise or maximise '{objective}': pass "
            f'kt.Objective("{objective}", direction="min") or direction="max"'
        )
    return Objective(objective, direction)
