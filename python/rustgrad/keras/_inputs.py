"""Checking and converting fit/evaluate/predict inputs once per call: contiguous float32, named errors."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def _array(a: Any, what: str) -> np.ndarray:
    if a is None:
        raise ValueError(f"{what} is None; fit/evaluate need arrays of samples")
    if hasattr(a, "numpy") and not isinstance(a, np.ndarray):
        a = a.numpy()  # a rustgrad.Tensor (or any tensor with .numpy())
    arr = np.asarray(a)
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise ValueError(f"{what} must be numeric, got an array of dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{what} is a scalar; expected an array with one row per sample")
    return arr


def as_x(model: Any, x: Any, what: str = "x") -> np.ndarray:
    """x as C-contiguous float32 with 1-D input seen as one feature per sample (as Keras does).

    Builds the model from x's shape when it has no input shape yet, then checks the width.
    """
    arr = _array(x, what)
    if arr.ndim == 1:
        arr = arr[:, None]
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    model._ensure_built(arr.shape)
    expected = (None, *model._input_shape)
    if arr.shape[1:] != tuple(expected[1:]):
        raise ValueError(
            f"Input {what} of shape {arr.shape} is incompatible with model '{model.name}', "
            f"which expects inputs of shape {expected}"
        )
    return arr


def _check_sparse(labels: np.ndarray, classes: int, loss: str) -> None:
    flat = labels.reshape(-1).astype(np.float64)
    bad = ~np.isfinite(flat) | (flat != np.round(flat)) | (flat < 0) | (flat >= classes)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{loss}: label {labels.reshape(-1)[i]} at position {i} is not an integer class in "
            f"[0, {classes}) (the model outputs {classes} classes)"
        )


def as_y(model: Any, y: Any, n: int, x_shape: tuple, what: str = "y") -> np.ndarray:
    """y as C-contiguous float32 that the compiled loss accepts against the model's output."""
    arr = _array(y, what)
    if len(arr) != n:
        raise ValueError(
            f"x and {what} must have the same number of samples: x has {n} (shape {x_shape}), "
            f"{what} has {len(arr)} (shape {arr.shape})"
        )
    loss = model.loss.core_name
    out = tuple(model.output_shape)
    classes = out[-1]
    if loss == "sparse_categorical_crossentropy":
        # One label per position of the output's leading axes (a trailing 1 allowed), as Keras.
        lead = (n, *out[1:-1])
        if arr.shape not in (lead, (*lead, 1)):
            raise ValueError(
                f"{loss} needs one integer label per output row, shape {lead}, but {what} has "
                f"shape {arr.shape}; for one-hot labels use categorical_crossentropy"
            )
        _check_sparse(arr, classes, loss)
        return np.ascontiguousarray(arr.reshape(lead), dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[1:] != out[1:]:
        hint = ""
        if loss == "categorical_crossentropy" and arr.shape[1:] == (1,):
            hint = (
                "; for integer labels use loss='sparse_categorical_crossentropy' "
                "or one-hot them with to_categorical"
            )
        raise ValueError(
            f"{what} has shape {arr.shape} but the model's output has shape "
            f"{(n, *out[1:])} ({loss} needs them equal){hint}"
        )
    return np.ascontiguousarray(arr, dtype=np.float32)


def sample_weights(
    model: Any, y: np.ndarray, n: int, sample_weight: Any, class_weight: Any
) -> np.ndarray | None:
    """Weights from sample_weight times class_weight[label], or None for neither.

    sample_weight keeps its shape, (n,) or (n, ...): the core broadcasts it against each batch's
    losses by Keras' rules. class_weight gives one weight per sample.
    """
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float32)
        if w.ndim == 0 or len(w) != n:
            raise ValueError(
                f"sample_weight of shape {w.shape} needs one entry per sample along its first "
                f"axis, {n} samples"
            )
        if not np.all(np.isfinite(w)):
            raise ValueError("sample_weight contains NaN or infinity")
    if class_weight:
        if len(model.output_shape) > 2:
            # As Keras: a class per sample is ill-defined for sequence or image outputs.
            raise ValueError(
                "class_weight is not supported for 3+ dimensional targets (the model outputs "
                f"{model.output_shape}); use sample_weight instead"
            )
        if model.loss.core_name == "sparse_categorical_crossentropy":
            labels = y.reshape(-1)
        elif y.ndim > 1 and y.shape[-1] > 1:
            labels = np.argmax(y.reshape(n, -1), axis=1)
        else:
            labels = np.round(y.reshape(-1))
        labels = labels.astype(np.int64)
        lookup = np.ones(max(int(labels.max(initial=0)), *map(int, class_weight)) + 1, np.float32)
        for cls, cw in class_weight.items():
            lookup[int(cls)] = float(cw)
        cw_rows = lookup[labels]
        w = cw_rows if w is None else w * cw_rows.reshape(n, *[1] * (w.ndim - 1))
    return None if w is None else np.ascontiguousarray(w, dtype=np.float32)
