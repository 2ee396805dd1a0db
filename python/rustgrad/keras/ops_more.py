"""More of Keras 3's `keras.ops` (where, take, arange, eye, norm, sign, round) with Keras' argument
names, on rustgrad's TF-style ops; keras/ops.py re-exports them."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad import tf_array_ops as _arr
from rustgrad.linalg import norm as _norm
from rustgrad.tf_dtypes import _INTEGER_NAMES, convert_to_tensor, dtype_name, float32, range_

__all__ = ["arange", "eye", "norm", "round", "sign", "take", "where"]


def where(condition: Any, x1: Any = None, x2: Any = None):
    """x1 where condition holds, x2 elsewhere (broadcast); with neither, the true elements'
    coordinates (see rustgrad.where).

    Args:
        condition: booleans, or numbers (non-zero is true).
        x1: the values where the condition holds.
        x2: the values elsewhere.

    Returns:
        Tensor: the chosen values, or the coordinates.

    Raises:
        ValueError: when only one of x1 and x2 is given, or the shapes do not broadcast.
    """
    return _arr.where(condition, x1, x2)


def take(x: Any, indices: Any, axis: int | None = None):
    """Elements (axis None: of the flattened x) or slices along `axis` at `indices`.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        indices: whole-number indices, any shape (negative ones count from the end).
        axis: the axis, or None to index the flattened tensor.

    Returns:
        Tensor: the taken values (gradients flow to x).

    Raises:
        IndexError: for an index out of range.
        ValueError: for an axis out of range.
    """
    t = convert_to_tensor(x)
    if axis is None:
        t = t.reshape(-1)
    return _arr.gather(t, indices, axis=0 if axis is None else axis)


def _dtype(dtype: Any, op: str) -> str | None:
    name = dtype_name(dtype, op)
    if name not in (None, float32) and name not in _INTEGER_NAMES:
        raise TypeError(f"{op}: dtype {dtype!r} is not supported")
    return name


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None):
    """start, start + step, ... below stop; `arange(n)` counts 0..n-1.

    Args:
        start: the first value (the end when stop is None).
        stop: the end (excluded), or None.
        step: the spacing (not 0).
        dtype: None, float32 or an integer dtype (whole numbers in float32 storage).

    Returns:
        Tensor: a 1-d tensor.

    Raises:
        TypeError: for another dtype.
        InvalidArgumentError: when step is 0.
    """
    return range_(start, stop, step, dtype=_dtype(dtype, "arange"))


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None):
    """An N×M matrix with ones on diagonal k (above the main one for k > 0, below for k < 0).

    Args:
        N: the rows.
        M: the columns (N unless given).
        k: the diagonal.
        dtype: None, float32 or an integer dtype.

    Returns:
        Tensor: the matrix.

    Raises:
        TypeError: for another dtype.
        InvalidArgumentError: for a negative size.
    """
    _dtype(dtype, "eye")
    cols = N if M is None else M
    if k == 0:
        return _core.eye(int(N), int(cols))
    return _core.tensor(np.eye(int(N), int(cols), int(k), dtype=np.float32))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False):
    """The vector or matrix norm (ord None: 2-norm of vectors, Frobenius of matrices), as
    rustgrad.linalg.norm.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        ord: None, 'fro', 1, 2, np.inf or a number >= 1 (see rustgrad.linalg.norm).
        axis: None, an int, or a pair of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        Tensor: the norms.

    Raises:
        ValueError: for an order the axes do not take.
    """
    return _norm(x, "euclidean" if ord is None else ord, axis, keepdims)


def sign(x: Any):
    """-1, 0 or 1 by the sign of each value (no gradient).

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.

    Returns:
        Tensor: the signs.
    """
    return _arr.sign(x)


def round(x: Any, decimals: int = 0):
    """Each value rounded to `decimals` places, halves to even (no gradient).

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        decimals: the decimal places.

    Returns:
        Tensor: the rounded values.
    """
    return _core.tensor(np.round(convert_to_tensor(x).detach().numpy(), int(decimals)))
