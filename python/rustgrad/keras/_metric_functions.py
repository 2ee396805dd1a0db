"""Keras' metric functions, `keras.metrics.binary_accuracy(y_true, y_pred)` and the rest: one value
per sample (a Tensor of y_pred's leading shape), computed by the core metrics that `fit` runs; and
`MeanMetricWrapper`, the running mean of any such function, which is what compile makes of a metric
function it has no core metric for (a user's `def my_metric(y_true, y_pred)`, a loss function)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad._core import ShapeError
from rustgrad.keras.metrics import Mean

__all__ = [
    "MeanMetricWrapper",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    """1.0 where y_true equals (y_pred > threshold), else 0.0, value by value (y_pred's shape), as
    Keras 3's function gives them (BinaryAccuracy averages them per sample, then over samples).

    Args:
        y_true: the 0/1 targets (an array or Tensor of y_pred's shape, or with one axis fewer or
            more of size 1, as Keras squeezes or expands it).
        y_pred: the predictions.
        threshold: a prediction above it counts as 1.

    Returns:
        Tensor: one value per prediction.

    Raises:
        ShapeError: when the shapes do not match.
    """
    t, p = _array(y_true), _array(y_pred)
    if t.ndim == p.ndim + 1 and t.shape[-1:] == (1,):
        t = t[..., 0]
    elif p.ndim == t.ndim + 1 and p.shape[-1:] == (1,):
        t = t[..., None]
    if t.shape != p.shape:
        raise ShapeError(
            f"binary_accuracy: y_true {list(t.shape)} and y_pred {list(p.shape)} differ: they "
            "need one value each"
        )
    return _core.tensor((t == (p > float(threshold)).astype(np.float32)).astype(np.float32))


def _array(v: Any) -> np.ndarray:
    return np.asarray(v.numpy() if hasattr(v, "numpy") else v, dtype=np.float32)


def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """Per sample, 1 where argmax(y_true) equals argmax(y_pred) over the last axis, else 0.

    Args:
        y_true: one-hot targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions.

    Returns:
        Tensor: one value per sample.

    Raises:
        ShapeError: when the shapes do not match.
    """
    return _core.metric_values("categorical_accuracy", y_true, y_pred)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """Per sample, 1 where the integer label equals argmax(y_pred) over the last axis, else 0.

    Args:
        y_true: integer labels, shape (n,) or (n, 1).
        y_pred: the predictions, shape (n, classes).

    Returns:
        Tensor: one value per sample.

    Raises:
        ShapeError: when there is not one label per row of y_pred.
    """
    return _core.metric_values("sparse_categorical_accuracy", y_true, y_pred)


def _k(fn: str, k: Any) -> float:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"{fn}: k must be a positive integer, got {k!r}")
    return float(k)


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """Per sample, 1 where the one-hot label's class is among the k largest predictions, else 0.

    Args:
        y_true: one-hot targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions.
        k: how many of the largest predictions count (a positive integer).

    Returns:
        Tensor: one value per sample.

    Raises:
        ValueError: for a k that is not a positive integer.
        ShapeError: when the shapes do not match.
    """
    k = _k("top_k_categorical_accuracy", k)
    return _core.metric_values("top_k_categorical_accuracy", y_true, y_pred, threshold=k)


def sparse_top_k_categorical_accuracy(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> Any:
    """Per sample, 1 where the integer label is among the k largest predictions, else 0.

    Args:
        y_true: integer labels, shape (n,) or (n, 1).
        y_pred: the predictions, shape (n, classes).
        k: how many of the largest predictions count (a positive integer).
        from_sorted_ids: False only: y_pred holds scores, not the ids of the top classes.

    Returns:
        Tensor: one value per sample.

    Raises:
        ValueError: for a bad k, or from_sorted_ids=True (not supported).
        ShapeError: when there is not one label per row of y_pred.
    """
    if from_sorted_ids:
        raise ValueError(
            "sparse_top_k_categorical_accuracy: from_sorted_ids=True is not supported; pass "
            "the predictions' scores"
        )
    k = _k("sparse_top_k_categorical_accuracy", k)
    return _core.metric_values("sparse_top_k_categorical_accuracy", y_true, y_pred, threshold=k)


class MeanMetricWrapper(Mean):
    """The running (weighted) mean of ``fn(y_true, y_pred, **kwargs)``, a function giving one value
    per sample, as keras.metrics.MeanMetricWrapper. A model compiled with one (or with a plain metric
    function, which compile wraps in one) evaluates it on the eager path.

    Args:
        fn: the function, called as ``fn(y_true, y_pred, **kwargs)`` on each batch.
        name: the metric's name (the key in fit's logs).
        dtype: accepted for Keras compatibility.
        **kwargs: keyword arguments passed on to fn.

    Raises:
        TypeError: when fn is not callable.
    """

    def __init__(self, fn: Any, name: str | None = None, dtype: Any = None, **kwargs: Any):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: fn must be callable, got {fn!r}")
        super().__init__(name=name, dtype=dtype)
        self._fn, self._fn_kwargs = fn, kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add fn's per-sample values of one batch to the running mean.

        Args:
            y_true: the targets.
            y_pred: the predictions.
            sample_weight: None, or weights broadcast against fn's values.
        """
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self) -> dict:
        """name, dtype, the function (by name) and its keyword arguments, as Keras gives them."""
        fn = getattr(self._fn, "__name__", repr(self._fn))
        return {"name": self.name, "dtype": "float32", "fn": fn, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict) -> MeanMetricWrapper:
        """A wrapper from get_config's dict; its function is looked up by name among
        keras.metrics' functions.

        Args:
            config: name, dtype, fn (a function or its name) and fn's keyword arguments.

        Returns:
            MeanMetricWrapper: the new metric.

        Raises:
            ValueError: when fn names no metric function.
        """
        from rustgrad.keras import metrics

        config = dict(config)
        fn = config.pop("fn", None)
        if isinstance(fn, str):
            found = metrics._functions().get(fn)
            if found is None:
                raise ValueError(
                    f"MeanMetricWrapper.from_config: no metric function named {fn!r}; pass the "
                    "function itself"
                )
            fn = found
        return cls(fn, **config)
