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
    if arr.dtype == object:
        # All numbers (a DataFrame of float and one-hot bool columns gives objects), as Keras
        # converts them; strings, None or ragged rows are refused.
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"{what} must be numeric, got an array of objects that are not all numbers"
            ) from None
    if arr.dtype.kind in "USV":
        raise ValueError(f"{what} must be numeric, got an array of dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{what} is a scalar; expected an array with one row per sample")
    return arr


def _column(a: Any, what: str) -> np.ndarray:
    arr = _array(a, what)
    if arr.ndim == 1:
        arr = arr[:, None]
    return np.ascontiguousarray(arr, dtype=np.float32)


def _is_structure(v: Any) -> bool:
    """A list/tuple/dict of arrays (one per model input or output), not one array given as lists."""
    if isinstance(v, dict):
        return True
    return isinstance(v, (list, tuple)) and bool(v) and all(hasattr(a, "shape") for a in v)


def _per_name(v: Any, names: list[str], what: str, role: str) -> list:
    if isinstance(v, dict):
        missing = [n for n in names if n not in v]
        if missing:
            raise ValueError(
                f"{what} is a dict without the {role}(s) {missing}; the model's {role}s are "
                f"{names} and the dict has {list(v)}"
            )
        return [v[n] for n in names]
    if len(v) != len(names):
        raise ValueError(
            f"the model has {len(names)} {role}s {names} but {what} is a list of {len(v)} arrays"
        )
    return list(v)


def rows(a: Any) -> int:
    """Samples in an array or in a list of arrays (one per model input/output)."""
    return len(a[0]) if isinstance(a, list) else len(a)


def take(a: Any, start: int, stop: int) -> Any:
    """Rows start:stop of an array or of each array of a list (contiguous views)."""
    return [v[start:stop] for v in a] if isinstance(a, list) else a[start:stop]


def as_x(model: Any, x: Any, what: str = "x") -> Any:
    """x as C-contiguous float32 with 1-D input seen as one feature per sample (as Keras does);
    a list of such arrays (in input order) for a model with several inputs.

    Builds the model from x's shape when it has no input shape yet, then checks the widths.
    """
    if _is_structure(x):
        if not model.built:  # a Sequential learning its input shape from the data
            first = next(iter(x.values())) if isinstance(x, dict) else x[0]
            model._ensure_built(_column(first, what).shape)
        names = model.input_names
        arrays = [
            _column(a, what if len(names) == 1 else f"{what}[{n!r}]")
            for a, n in zip(_per_name(x, names, what, "input"), names)
        ]
    else:
        arrays = [_column(x, what)]
        model._ensure_built(arrays[0].shape)
        names = model.input_names
        if len(names) > 1:
            raise ValueError(
                f"model '{model.name}' has {len(names)} inputs {names}: give {what} as a list "
                "or a dict of arrays"
            )
    for arr, name, shape in zip(arrays, names, model._input_shapes()):
        label = what if len(arrays) == 1 else f"{what}[{name!r}]"
        want = tuple(shape[1:])
        if len(arr.shape) != len(want) + 1 or any(
            w is not None and a != w for a, w in zip(arr.shape[1:], want)
        ):
            raise ValueError(
                f"Input {label} of shape {arr.shape} is incompatible with model '{model.name}', "
                f"which expects inputs of shape {(None, *shape[1:])}"
            )
        if len(arr) != len(arrays[0]):
            raise ValueError(
                f"all inputs must have the same number of samples: {what}[{names[0]!r}] has "
                f"{len(arrays[0])}, {label} has {len(arr)}"
            )
    return arrays[0] if len(arrays) == 1 else arrays


def _check_sparse(labels: np.ndarray, classes: int, loss: str, what: str) -> None:
    flat = labels.reshape(-1).astype(np.float64)
    bad = ~np.isfinite(flat) | (flat != np.round(flat)) | (flat < 0) | (flat >= classes)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{what} ({loss}): label {labels.reshape(-1)[i]} at position {i} is not an integer class in "
            f"[0, {classes}) (the model outputs {classes} classes)"
        )


def as_y(model: Any, y: Any, n: int, x_shape: tuple, what: str = "y") -> Any:
    """y as C-contiguous float32 that each output's compiled loss accepts against that output;
    a list (in output order) for a model with several outputs."""
    names, shapes, loss_list = model.output_names, model._output_shapes(), model._losses
    if len(names) == 1:
        one = y[0] if _is_structure(y) and not isinstance(y, dict) and len(y) == 1 else y
        one = _per_name(y, names, what, "output")[0] if isinstance(y, dict) else one
        return _one_y(one, n, x_shape, loss_list[0].core_name, tuple(shapes[0]), what)
    if not _is_structure(y):
        raise ValueError(
            f"model '{model.name}' has {len(names)} outputs {names}: give {what} as a list or "
            "a dict of arrays, one per output"
        )
    return [
        _one_y(arr, n, x_shape, loss.core_name, tuple(shape), f"{what}[{name!r}]")
        for arr, name, loss, shape in zip(
            _per_name(y, names, what, "output"), names, loss_list, shapes
        )
    ]


def _one_y(y: Any, n: int, x_shape: tuple, loss: str, out: tuple, what: str) -> np.ndarray:
    arr = _array(y, what)
    if len(arr) != n:
        raise ValueError(
            f"x and {what} must have the same number of samples: x has {n} (shape {x_shape}), "
            f"{what} has {len(arr)} (shape {arr.shape})"
        )
    classes = out[-1]
    if loss == "sparse_categorical_crossentropy":
        # One label per position of the output's leading axes (a trailing 1 allowed), as Keras.
        lead = (n, *out[1:-1])
        if arr.shape not in (lead, (*lead, 1)):
            raise ValueError(
                f"{loss} needs one integer label per output row, shape {lead}, but {what} has "
                f"shape {arr.shape}; for one-hot labels use categorical_crossentropy"
            )
        _check_sparse(arr, classes, loss, what)
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
    model: Any, y: Any, n: int, sample_weight: Any, class_weight: Any
) -> np.ndarray | None:
    """Weights from sample_weight times class_weight[label], or None for neither.

    sample_weight keeps its shape, (n,) or (n, ...): the core broadcasts it against each batch's
    losses by Keras' rules; with several outputs it applies to every output's loss. class_weight
    gives one weight per sample.
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
        if len(model.output_names) > 1:
            raise ValueError("`class_weight` is only supported for models with a single output.")
        if len(model.output_shape) > 2:
            # As Keras: a class per sample is ill-defined for sequence or image outputs.
            raise ValueError(
                "class_weight is not supported for 3+ dimensional targets (the model outputs "
                f"{model.output_shape}); use sample_weight instead"
            )
        if model._losses[0].core_name == "sparse_categorical_crossentropy":
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
