"""keras.ops (Keras 3): NumPy-named ops and the nn ops on rustgrad Tensors, composed so gradients flow."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad import math as _m
from rustgrad import nn as _nn
from rustgrad import tf_ops as _tf
from rustgrad._core import Tensor
from rustgrad.tf_ops import (
    _axis,
    _shape,
    add,
    cast,
    divide,
    equal,
    exp,
    expand_dims,
    greater,
    greater_equal,
    less,
    less_equal,
    multiply,
    not_equal,
    sqrt,
    square,
    subtract,
)

# Keras 3's names for tf.math ones: the same functions.
abs = absolute = _m.abs
log, log1p, maximum, minimum, negative, power = (
    _m.log,
    _m.log1p,
    _m.maximum,
    _m.minimum,
    _m.negative,
    _m.pow,
)
sigmoid, tanh, softplus, rsqrt, logsumexp = (
    _m.sigmoid,
    _m.tanh,
    _m.softplus,
    _m.rsqrt,
    _m.reduce_logsumexp,
)
relu, relu6, leaky_relu, elu = _nn.relu, _nn.relu6, _nn.leaky_relu, _nn.elu
convert_to_tensor = _tf.convert_to_tensor
stop_gradient = _tf.stop_gradient


def convert_to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy of x's values (detached; a float32 array for a Tensor)."""
    return np.array(x.detach().numpy() if isinstance(x, Tensor) else x)


def _t(x: Any) -> Tensor:
    return _tf.convert_to_tensor(x)


def sum(x: Any, axis: Any = None, keepdims: bool = False):
    return _t(x).sum(_axis(axis), keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False):
    return _t(x).mean(_axis(axis), keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None):
    out = _t(x).max(_axis(axis), keepdims)
    return out if initial is None else out.maximum(float(initial))


def min(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None):
    out = _t(x).min(_axis(axis), keepdims)
    return out if initial is None else out.minimum(float(initial))


def var(x: Any, axis: Any = None, keepdims: bool = False):
    return _m.reduce_variance(x, axis, keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False):
    return _m.reduce_std(x, axis, keepdims)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False):
    """Indices of the maximum along `axis`; Keras' default (None) indexes the flattened tensor."""
    return _t(x).argmax(None if axis is None else int(axis), keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False):
    return _t(x).argmin(None if axis is None else int(axis), keepdims)


def matmul(x1: Any, x2: Any):
    return _t(x1) @ _t(x2)


def dot(x1: Any, x2: Any):
    """NumPy's dot for 1-D and 2-D operands (a scalar times a tensor is a product)."""
    a, b = _t(x1), _t(x2)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim > 2 or b.ndim > 2:
        raise ValueError(
            f"dot: rustgrad's dot takes operands of rank <= 2, got {a.shape} and {b.shape}"
        )
    return a @ b


def clip(x: Any, x_min: Any, x_max: Any):
    return _t(x).clip(float(x_min), float(x_max))


def reshape(x: Any, newshape: Any):
    return _t(x).reshape(_shape(newshape))


def transpose(x: Any, axes: Any = None):
    """Axes permuted by `axes`; by default reversed."""
    t = _t(x)
    return t.transpose() if axes is None else t.transpose(_shape(axes))


def squeeze(x: Any, axis: Any = None):
    return _t(x).squeeze(_axis(axis))


def concatenate(xs: Any, axis: int = 0):
    return _core.concatenate([_t(v) for v in xs], int(axis))


def stack(x: Any, axis: int = 0):
    return _core.stack([_t(v) for v in x], int(axis))


def shape(x: Any) -> tuple[int, ...]:
    return tuple(_t(x).shape)


def _creation_dtype(dtype: Any, op: str) -> None:
    # 0, 1 and whole fill values are exact in every supported dtype; a bad name still raises.
    _tf.dtype_name(dtype, op)


def ones(shape: Any, dtype: Any = None):
    _creation_dtype(dtype, "ones")
    return _core.ones(_shape(shape))


def zeros(shape: Any, dtype: Any = None):
    _creation_dtype(dtype, "zeros")
    return _core.zeros(_shape(shape))


def full(shape: Any, fill_value: Any, dtype: Any = None):
    return cast(_core.full(_shape(shape), float(fill_value)), dtype or "float32")


def ones_like(x: Any, dtype: Any = None):
    return _tf.ones_like(x, dtype)


def zeros_like(x: Any, dtype: Any = None):
    return _tf.zeros_like(x, dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None):
    return full(_t(x).shape, fill_value, dtype)


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False):
    """One-hot rows of integer labels (new axis last; other `axis` values move it there)."""
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported (rustgrad tensors are dense)")
    _creation_dtype(dtype, "one_hot")
    out = _core.one_hot(_t(x).detach(), int(num_classes))
    return out if axis in (-1, out.ndim - 1) else out.transpose(_move_last(out.ndim, int(axis)))


def _move_last(ndim: int, axis: int) -> tuple[int, ...]:
    axis = axis % ndim
    order = list(range(ndim - 1))
    order.insert(axis, ndim - 1)
    return tuple(order)


def softmax(x: Any, axis: int = -1):
    return _t(x).softmax(int(axis))


def log_softmax(x: Any, axis: int = -1):
    return _t(x).log_softmax(int(axis))


def gelu(x: Any, approximate: bool = True):
    """Keras' default is the tanh approximation (tf.nn.gelu's is the exact form)."""
    return _nn.gelu(x, approximate)


__all__ = [
    "abs",
    "absolute",
    "add",
    "argmax",
    "argmin",
    "cast",
    "clip",
    "concatenate",
    "convert_to_numpy",
    "convert_to_tensor",
    "divide",
    "dot",
    "elu",
    "equal",
    "exp",
    "expand_dims",
    "full",
    "full_like",
    "gelu",
    "greater",
    "greater_equal",
    "leaky_relu",
    "less",
    "less_equal",
    "log",
    "log1p",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "multiply",
    "negative",
    "not_equal",
    "one_hot",
    "ones",
    "ones_like",
    "power",
    "relu",
    "relu6",
    "reshape",
    "rsqrt",
    "shape",
    "sigmoid",
    "softmax",
    "softplus",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "stop_gradient",
    "subtract",
    "sum",
    "tanh",
    "transpose",
    "var",
    "zeros",
    "zeros_like",
]
