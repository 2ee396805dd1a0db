"""Keras' stateful metrics: Sum, RootMeanSquaredError, Precision, Recall, AUC (ROC and PR) and
F1Score. Each batch's counts come from the core (`_core.metric_batch`, `_core.confusion_batch`,
`_core.f1_batch`); the objects add them up and compute Keras' result from the totals.

A model compiled with one of these trains and evaluates on the eager path (train_step per batch)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras.metrics import Metric

__all__ = ["AUC", "F1Score", "Precision", "Recall", "RootMeanSquaredError", "Sum"]

EPSILON = 1e-7


def _nan0(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Keras' divide_no_nan: a / b, 0 where b is 0."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


class Sum(Metric):
    """The running (weighted) sum of the values given.

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
    """

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Add the (weighted) values to the running sum.

        Args:
            values: an array or Tensor of values.
            sample_weight: None, or weights multiplied into the values (broadcast by NumPy).
        """
        v = np.asarray(values.numpy() if hasattr(values, "numpy") else values, dtype=np.float64)
        if sample_weight is not None:
            v = v * np.asarray(sample_weight, dtype=np.float64)
        self.total += float(v.sum())

    def _value(self) -> float:
        return self.total


class RootMeanSquaredError(Metric):
    """sqrt of the running mean of per-sample squared errors (the core's mean_squared_error).

    As keras.metrics.RootMeanSquaredError.

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
    """

    core_name = "mean_squared_error"

    def __init__(self, name: str | None = "root_mean_squared_error", dtype: Any = None):
        super().__init__(name, dtype)

    def _value(self) -> float:
        return float(np.sqrt(super()._value()))


def _thresholds(cls: str, thresholds: Any, default: float) -> list[float]:
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    for t in values:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 <= t <= 1.0:
            raise ValueError(f"{cls}: threshold values must be in [0, 1], got {t!r}")
    if not values:
        raise ValueError(f"{cls}: thresholds must not be empty")
    return [float(t) for t in values]


def _opt_int(cls: str, what: str, v: Any, low: int) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{cls}: {what} must be an integer >= {low} or None, got {v!r}")
    return int(v)


class _Confusion(Metric):
    """tp/fp/tn/fn per threshold, added over batches."""

    def _setup(self, thresholds: list[float], top_k: Any = None, class_id: Any = None) -> None:
        cls = type(self).__name__
        self.thresholds = thresholds
        self.top_k = _opt_int(cls, "top_k", top_k, 1)
        self.class_id = _opt_int(cls, "class_id", class_id, 0)
        self.reset_state()

    def reset_state(self) -> None:
        super().reset_state()
        n = len(getattr(self, "thresholds", []))
        self.tp, self.fp, self.tn, self.fn = (np.zeros(n) for _ in range(4))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch's counts.

        Args:
            y_true: the targets (an array or Tensor).
            y_pred: the predictions (probabilities).
            sample_weight: None, or one weight per sample.

        Raises:
            ShapeError: when the shapes do not fit the metric.
        """
        tp, fp, tn, fn = _core.confusion_batch(
            self.name, y_true, y_pred, self.thresholds, self.top_k, self.class_id, sample_weight
        )
        self.tp += tp
        self.fp += fp
        self.tn += tn
        self.fn += fn

    def _ratio(self, other: np.ndarray) -> Any:
        r = _nan0(self.tp, self.tp + other)
        return float(r[0]) if len(r) == 1 else r

    def result(self) -> Any:
        """The metric's value so far.

        Returns:
            Tensor: a 0-d tensor, or one value per threshold (per class for F1Score).
        """
        v = self._value()
        return _core.Tensor(v) if isinstance(v, float) else _core.tensor(v.astype(np.float32))


class Precision(_Confusion):
    """tp / (tp + fp) with predictions above `thresholds` (0.5; with top_k only each row's k
    largest count), of column `class_id` when given; one value per threshold.

    As keras.metrics.Precision.

    Args:
        thresholds: a number or a list in [0, 1]; 0.5 by default (with top_k, every value counts).
        top_k: None, or count only each row's k largest predictions.
        class_id: None, or the one column to score.
        name: the metric's name.
        dtype: accepted for Keras compatibility.

    Raises:
        ValueError: for a threshold outside [0, 1], or top_k / class_id below range.
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name or "precision", dtype)
        default = 0.5 if top_k is None else float("-inf")
        self._setup(_thresholds("Precision", thresholds, default), top_k, class_id)

    def _value(self) -> Any:
        return self._ratio(self.fp)


class Recall(_Confusion):
    """tp / (tp + fn), with thresholds, top_k and class_id as Precision.

    As keras.metrics.Recall.

    Args:
        thresholds: a number or a list in [0, 1]; 0.5 by default (with top_k, every value counts).
        top_k: None, or count only each row's k largest predictions.
        class_id: None, or the one column to score.
        name: the metric's name.
        dtype: accepted for Keras compatibility.

    Raises:
        ValueError: for a threshold outside [0, 1], or top_k / class_id below range.
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name or "recall", dtype)
        default = 0.5 if top_k is None else float("-inf")
        self._setup(_thresholds("Recall", thresholds, default), top_k, class_id)

    def _value(self) -> Any:
        return self._ratio(self.fn)


class AUC(_Confusion):
    """Area under the ROC or PR curve from `num_thresholds` evenly spaced thresholds (and -1e-7,
    1 + 1e-7 at the ends), summed as Keras: 'interpolation' (trapezoids for ROC, Davis &
    Goadrich's interpolation for PR), 'minoring' or 'majoring'.

    As keras.metrics.AUC.

    Args:
        num_thresholds: the number of thresholds (> 1), used when thresholds is None.
        curve: "ROC" or "PR".
        summation_method: "interpolation", "minoring" or "majoring".
        name: the metric's name.
        dtype: accepted for Keras compatibility.
        thresholds: None, or explicit thresholds in [0, 1].
        multi_label: only False.
        num_labels: only None.
        label_weights: only None.
        from_logits: only False.

    Raises:
        ValueError: for an unknown curve or summation method, or num_thresholds <= 1.
        NotImplementedError: for multi_label, num_labels, label_weights or from_logits.
    """

    _config_skip = ("thresholds",)  # the ones it computes; Keras writes num_thresholds

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: Any = None,
        thresholds: Any = None,
        multi_label: bool = False,
        num_labels: Any = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ):
        super().__init__(name or "auc", dtype)
        curve, method = str(curve).upper(), str(summation_method).lower()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                f"AUC: summation_method must be 'interpolation', 'minoring' or 'majoring', "
                f"got {summation_method!r}"
            )
        for arg, value in (("multi_label", multi_label), ("label_weights", label_weights)):
            if value:
                raise NotImplementedError(f"AUC: {arg}={value!r} is not supported")
        if num_labels is not None or from_logits:
            raise NotImplementedError("AUC: num_labels and from_logits are not supported")
        if thresholds is not None:
            inner = sorted(_thresholds("AUC", thresholds, 0.5))
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int):
                raise ValueError(
                    f"AUC: num_thresholds must be an integer > 1, got {num_thresholds!r}"
                )
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be > 1, got {num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.curve, self.summation_method = curve, method
        self.num_thresholds = len(inner) + 2
        self._setup([0.0 - EPSILON, *inner, 1.0 + EPSILON])

    def _value(self) -> float:
        tp, fp, tn, fn = self.tp, self.fp, self.tn, self.fn
        if self.curve == "PR" and self.summation_method == "interpolation":
            return _pr_interpolated(tp, fp, fn)
        recall = _nan0(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _nan0(fp, fp + tn), recall
        else:
            x, y = recall, _nan0(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(np.sum((x[:-1] - x[1:]) * heights))


def _pr_interpolated(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> float:
    """Keras' interpolate_pr_auc (Davis & Goadrich 2006): precision interpolated linearly in
    the number of positives between thresholds, integrated over recall."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    dp = p[:-1] - p[1:]
    slope = _nan0(dtp, np.maximum(dp, 0))
    intercept = tp[1:] - slope * p[1:]
    both = (p[:-1] > 0) & (p[1:] > 0)
    ratio = np.where(both, _nan0(p[:-1], np.maximum(p[1:], 0)), 1.0)
    inc = _nan0(
        slope * (dtp + intercept * np.log(np.where(ratio > 0, ratio, 1.0))),
        np.maximum(tp[1:] + fn[1:], 0),
    )
    return float(np.sum(inc))


class F1Score(Metric):
    """2·precision·recall / (precision + recall) per class from (samples, classes) inputs;
    average None (one per class), 'micro' (global counts), 'macro' or 'weighted' (by support);
    predictions above `threshold`, or without one each row's largest.

    As keras.metrics.F1Score.

    Args:
        average: None, "micro", "macro" or "weighted".
        threshold: None (each row's largest prediction is positive), or a float in (0, 1].
        name: the metric's name.
        dtype: accepted for Keras compatibility.

    Raises:
        ValueError: for another average or a threshold out of range.
    """

    def __init__(self, average: Any = None, threshold: Any = None, name="f1_score", dtype=None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                f"F1Score: average must be None, 'micro', 'macro' or 'weighted', got {average!r}"
            )
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
                raise ValueError(f"F1Score: threshold must be a float or None, got {threshold!r}")
            if not 0.0 < threshold <= 1.0:
                raise ValueError(f"F1Score: threshold must be in (0, 1], got {threshold}")
            threshold = float(threshold)
        self.average, self.threshold = average, threshold
        super().__init__(name, dtype)
        self.counts: Any = None

    def reset_state(self) -> None:
        super().reset_state()
        self.counts = None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch's counts.

        Args:
            y_true: the targets (an array or Tensor).
            y_pred: the predictions (samples, classes) scores.
            sample_weight: None, or one weight per sample.

        Raises:
            ShapeError: when the shapes do not fit the metric.
        """
        c = np.asarray(_core.f1_batch(y_true, y_pred, self.threshold, sample_weight))
        self.counts = c if self.counts is None else self.counts + c

    def _value(self) -> Any:
        if self.counts is None:
            return 0.0
        tp, fp, fn, support = self.counts.T
        if self.average == "micro":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        f1 = 2 * precision * recall / (precision + recall + EPSILON)
        if self.average == "weighted":
            return float(np.sum(f1 * support / (support.sum() + EPSILON)))
        if self.average is not None:
            return float(np.mean(f1))
        return f1

    def result(self) -> Any:
        """The metric's value so far.

        Returns:
            Tensor: a 0-d tensor, or one value per threshold (per class for F1Score).
        """
        v = self._value()
        return _core.Tensor(v) if isinstance(v, float) else _core.tensor(v.astype(np.float32))
