"""Keras metrics: classes usable on their own (NumPy) and the names compile() resolves for the Rust step."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad.keras._names import unknown_name

__all__ = [
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Metric",
    "SparseCategoricalAccuracy",
    "get",
    "resolve",
]


class Metric:
    """A running mean of per-sample values: update_state(y_true, y_pred), result(), reset_state()."""

    core_name = ""

    def __init__(self, name: str | None = None, dtype: Any = None):
        self.name = name or self.core_name
        self.reset_state()

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        v = self.values(np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64))
        w = (
            np.ones_like(v)
            if sample_weight is None
            else np.broadcast_to(
                np.reshape(np.asarray(sample_weight, dtype=np.float64), (-1,)), v.shape
            )
        )
        self.total += float(np.sum(v * w))
        self.count += float(np.sum(w))

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _match(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return t.reshape(p.shape) if t.size == p.size else t


class BinaryAccuracy(Metric):
    """Share of outputs where (y_pred > 0.5) equals y_true."""

    core_name = "binary_accuracy"

    def __init__(self, name: str | None = None, dtype: Any = None, threshold: float = 0.5):
        if threshold != 0.5:
            raise ValueError("BinaryAccuracy: only threshold=0.5 runs in the Rust step")
        self.threshold = threshold
        super().__init__(name, dtype)

    def values(self, t, p):
        hit = (p > self.threshold) == (_match(t, p) > 0.5)
        return hit.reshape(len(p), -1).mean(axis=1) if p.ndim > 1 else hit.astype(float)


class CategoricalAccuracy(Metric):
    """Share of rows whose largest prediction is at the one-hot label's position."""

    core_name = "categorical_accuracy"

    def values(self, t, p):
        return (np.argmax(t, axis=-1) == np.argmax(p, axis=-1)).astype(float)


class SparseCategoricalAccuracy(Metric):
    """Share of rows whose largest prediction is at the integer label."""

    core_name = "sparse_categorical_accuracy"

    def values(self, t, p):
        return (t.reshape(-1) == np.argmax(p, axis=-1).reshape(-1)).astype(float)


class MeanSquaredError(Metric):
    """mean((y_true - y_pred)**2) per sample, averaged."""

    core_name = "mean_squared_error"

    def values(self, t, p):
        d = (_match(t, p) - p).reshape(len(p), -1)
        return np.mean(d * d, axis=1)


class MeanAbsoluteError(Metric):
    """mean(|y_true - y_pred|) per sample, averaged."""

    core_name = "mean_absolute_error"

    def values(self, t, p):
        return np.mean(np.abs(_match(t, p) - p).reshape(len(p), -1), axis=1)


_CLASSES = {
    c.core_name: c
    for c in (
        BinaryAccuracy,
        CategoricalAccuracy,
        SparseCategoricalAccuracy,
        MeanSquaredError,
        MeanAbsoluteError,
    )
}
_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}
_ACCURACY = ("accuracy", "acc")


def get(identifier: Any) -> Metric:
    """A Metric object from an instance or a concrete name ('mae', 'binary_accuracy', ...)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        key = _ALIASES.get(identifier, identifier)
        if key in _CLASSES:
            return _CLASSES[key](name=identifier)
    raise unknown_name("metric", identifier, [*_CLASSES, *_ALIASES, *_ACCURACY])


def resolve(identifier: Any, loss_name: str, output_dim: int | None) -> tuple[str, str]:
    """(History key, core metric name) for what the user passed, resolving 'accuracy' as Keras does.

    'accuracy'/'acc' follow the loss: binary_crossentropy -> binary_accuracy,
    sparse_categorical_crossentropy -> sparse_categorical_accuracy, otherwise categorical_accuracy,
    except that a single output column means binary_accuracy.
    """
    if isinstance(identifier, str) and identifier in _ACCURACY:
        if loss_name == "binary_crossentropy" or output_dim == 1:
            return identifier, "binary_accuracy"
        if loss_name == "sparse_categorical_crossentropy":
            return identifier, "sparse_categorical_accuracy"
        return identifier, "categorical_accuracy"
    if not isinstance(identifier, (str, Metric)):
        fn_name = getattr(identifier, "__name__", None)
        if fn_name in _CLASSES or fn_name in _ALIASES:
            identifier = fn_name
    m = get(identifier)
    return m.name, m.core_name
