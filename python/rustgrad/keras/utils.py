"""Keras utilities: to_categorical (integer labels to one-hot rows)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["to_categorical"]


def to_categorical(y: Any, num_classes: int | None = None, dtype: Any = "float32") -> np.ndarray:
    """One-hot rows for integer labels: shape (*y.shape, num_classes), a trailing axis of 1 dropped."""
    arr = np.asarray(y)
    if arr.size and not np.all(np.isfinite(arr.astype(np.float64))):
        raise ValueError("to_categorical: labels contain NaN or infinity")
    labels = arr.astype(np.int64)
    if arr.size and np.any(labels != arr):
        bad = arr.reshape(-1)[np.flatnonzero(labels.reshape(-1) != arr.reshape(-1))[0]]
        raise ValueError(f"to_categorical: label {bad} is not an integer")
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(f"to_categorical: label {bad} is outside [0, {num_classes})")
    out = np.zeros((labels.size, num_classes), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out.reshape(*shape, num_classes)
