"""keras.ops (Keras 3): NumPy-named ops and the nn ops on rustgrad Tensors, composed so gradients flow."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core, _symbolic
from rustgrad import math as _m
from rustgrad import nn as _nn
from rustgrad import tf_ops as _tf
from rustgrad._core import Tensor
from rustgrad.keras.ops_more import arange, eye, norm, round, sign, take, where
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
    """A NumPy copy of x's values (detached; a float32 array for a Tensor).

    Args:
        x: a Tensor or anything numpy.array accepts.

    Returns:
        numpy.ndarray: the copy.
    """
    return np.array(x.detach().numpy() if isinstance(x, Tensor) else x)


def _t(x: Any) -> Tensor:
    return _tf.convert_to_tensor(x)


def sum(x: Any, axis: Any = None, keepdims: bool = False):
    """The sum over `axis`, as keras.ops.sum.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints, or None for every axis.
        keepdims: keep the reduced axes with size 1.

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range (or empty, for max and min).
    """
    return _t(x).sum(_axis(axis), keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False):
    """The mean over `axis`, as keras.ops.mean.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints, or None for every axis.
        keepdims: keep the reduced axes with size 1.

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range (or empty, for max and min).
    """
    return _t(x).mean(_axis(axis), keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None):
    """The max over `axis`, as keras.ops.max.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints, or None for every axis.
        keepdims: keep the reduced axes with size 1.
        initial: None, or a bound the result is combined with (as NumPy's `initial`).

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range (or empty, for max and min).
    """
    out = _t(x).max(_axis(axis), keepdims)
    return out if initial is None else out.maximum(float(initial))


def min(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None):
    """The min over `axis`, as keras.ops.min.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints, or None for every axis.
        keepdims: keep the reduced axes with size 1.
        initial: None, or a bound the result is combined with (as NumPy's `initial`).

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range (or empty, for max and min).
    """
    out = _t(x).min(_axis(axis), keepdims)
    return out if initial is None else out.minimum(float(initial))


def var(x: Any, axis: Any = None, keepdims: bool = False):
    """The var (population variance, dividing by N) over `axis`, as keras.ops.var.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints, or None for every axis.
        keepdims: keep the reduced axes with size 1.

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range (or empty, for max and min).
    """
    return _m.reduce_variance(x, axis, keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False):
    """The std (population standard deviation) over `axis`, as keras.ops.std.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints, or None for every axis.
        keepdims: keep the reduced axes with size 1.

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range (or empty, for max and min).
    """
    return _m.reduce_std(x, axis, keepdims)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False):
    """Indices of the maximum along `axis`; Keras' default (None) indexes the flattened tensor.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, or None.
        keepdims: keep the reduced axis with size 1.

    Returns:
        Tensor: whole-number indices stored as float32.

    Raises:
        ShapeError: when `axis` is out of range.
    """
    return _t(x).argmax(None if axis is None else int(axis), keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False):
    """Indices of the minimum along `axis`; None indexes the flattened tensor, as keras.ops.argmin.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, or None.
        keepdims: keep the reduced axis with size 1.

    Returns:
        Tensor: whole-number indices stored as float32.

    Raises:
        ShapeError: when `axis` is out of range.
    """
    return _t(x).argmin(None if axis is None else int(axis), keepdims)


def matmul(x1: Any, x2: Any):
    """x1 @ x2 with NumPy's matmul rules, as keras.ops.matmul.

    Args:
        x1: a Tensor, or anything convert_to_tensor accepts.
        x2: a Tensor, or anything convert_to_tensor accepts.

    Returns:
        Tensor: the product.

    Raises:
        ShapeError: when the inner dimensions differ.
    """
    return _t(x1) @ _t(x2)


def dot(x1: Any, x2: Any):
    """NumPy's dot for 1-D and 2-D operands (a scalar times a tensor is a product).

    Args:
        x1: a Tensor, or anything convert_to_tensor accepts.
        x2: a Tensor, or anything convert_to_tensor accepts.

    Returns:
        Tensor: the product.

    Raises:
        ValueError: when an operand has rank > 2.
        ShapeError: when the inner dimensions differ.
    """
    a, b = _t(x1), _t(x2)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim > 2 or b.ndim > 2:
        raise ValueError(
            f"dot: rustgrad's dot takes operands of rank <= 2, got {a.shape} and {b.shape}"
        )
    return a @ b


def clip(x: Any, x_min: Any, x_max: Any):
    """x limited to [x_min, x_max], as keras.ops.clip.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        x_min: the lower bound (a number).
        x_max: the upper bound (a number).

    Returns:
        Tensor: the clipped tensor.

    Raises:
        InvalidArgumentError: when x_min is above x_max.
    """
    return _t(x).clip(float(x_min), float(x_max))


def reshape(x: Any, newshape: Any):
    """x in a new shape (one entry may be -1), as keras.ops.reshape.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        newshape: a list or tuple of ints.

    Returns:
        Tensor: the reshaped tensor.

    Raises:
        ShapeError: when the element counts differ.
    """
    return _t(x).reshape(_shape(newshape))


def transpose(x: Any, axes: Any = None):
    """Axes permuted by `axes`; by default reversed, as keras.ops.transpose.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axes: a permutation of the axes, or None.

    Returns:
        Tensor: the transposed tensor.

    Raises:
        ShapeError: when `axes` is not a permutation.
    """
    t = _t(x)
    return t.transpose() if axes is None else t.transpose(_shape(axes))


def squeeze(x: Any, axis: Any = None):
    """Size-1 axes removed (all, or those `axis` names), as keras.ops.squeeze.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: None, an int or a tuple of ints.

    Returns:
        Tensor: the squeezed tensor.

    Raises:
        ShapeError: when a named axis is not of size 1.
    """
    return _t(x).squeeze(_axis(axis))


def concatenate(xs: Any, axis: int = 0):
    """Tensors joined along an existing axis, as keras.ops.concatenate.

    Args:
        xs: a sequence of Tensors or array-likes.
        axis: the axis to join along.

    Returns:
        Tensor: the joined tensor.

    Raises:
        ShapeError: when the other axes differ.
    """
    return _core.concatenate([_t(v) for v in xs], int(axis))


def stack(x: Any, axis: int = 0):
    """Tensors of one shape joined along a new axis, as keras.ops.stack.

    Args:
        x: a sequence of Tensors or array-likes.
        axis: the position of the new axis.

    Returns:
        Tensor: the stacked tensor.

    Raises:
        ShapeError: when the shapes differ.
    """
    return _core.stack([_t(v) for v in x], int(axis))


def shape(x: Any) -> tuple[int, ...]:
    """The shape of x, as keras.ops.shape.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.

    Returns:
        tuple[int, ...]: the shape (None for the batch axis of a KerasTensor, as in Keras).
    """
    if _symbolic.has_symbolic(x):
        return tuple(x.shape)
    return tuple(_t(x).shape)


def _creation_dtype(dtype: Any, op: str) -> None:
    # 0, 1 and whole fill values are exact in every supported dtype; a bad name still raises.
    _tf.dtype_name(dtype, op)


def ones(shape: Any, dtype: Any = None):
    """Ones of `shape`, as keras.ops.ones.

    Args:
        shape: an int or a sequence of ints.
        dtype: None, float32, or an integer or bool dtype name (the values are stored as float32).

    Returns:
        Tensor: a new tensor.

    Raises:
        TypeError: when `dtype` is not supported.
    """
    _creation_dtype(dtype, "ones")
    return _core.ones(_shape(shape))


def zeros(shape: Any, dtype: Any = None):
    """Zeros of `shape`, as keras.ops.zeros.

    Args:
        shape: an int or a sequence of ints.
        dtype: None, float32, or an integer or bool dtype name (the values are stored as float32).

    Returns:
        Tensor: a new tensor.

    Raises:
        TypeError: when `dtype` is not supported.
    """
    _creation_dtype(dtype, "zeros")
    return _core.zeros(_shape(shape))


def full(shape: Any, fill_value: Any, dtype: Any = None):
    """`shape` filled with `fill_value`, cast to `dtype`, as keras.ops.full.

    Args:
        shape: an int or a sequence of ints.
        fill_value: the number to fill with.
        dtype: None, float32, or an integer or bool dtype name (the values are stored as float32).

    Returns:
        Tensor: a new tensor.

    Raises:
        TypeError: when `dtype` is not supported.
    """
    return cast(_core.full(_shape(shape), float(fill_value)), dtype or "float32")


def ones_like(x: Any, dtype: Any = None):
    """Ones of x's shape, as keras.ops.ones_like.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        dtype: None or float32.

    Returns:
        Tensor: a new tensor.

    Raises:
        TypeError: when `dtype` is not float32.
    """
    return _tf.ones_like(x, dtype)


def zeros_like(x: Any, dtype: Any = None):
    """Zeros of x's shape, as keras.ops.zeros_like.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        dtype: None or float32.

    Returns:
        Tensor: a new tensor.

    Raises:
        TypeError: when `dtype` is not float32.
    """
    return _tf.zeros_like(x, dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None):
    """x's shape filled with `fill_value`, as keras.ops.full_like.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        fill_value: the number to fill with.
        dtype: None, float32, or an integer or bool dtype name (the values are stored as float32).

    Returns:
        Tensor: a new tensor.

    Raises:
        TypeError: when `dtype` is not supported.
    """
    return full(_t(x).shape, fill_value, dtype)


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False):
    """One-hot rows of integer labels (new axis last; other `axis` values move it there).

    Args:
        x: integer class indices.
        num_classes: the number of classes.
        axis: where the class axis goes.
        dtype: None, float32, or an integer or bool dtype name (stored as float32).
        sparse: only False (rustgrad tensors are dense).

    Returns:
        Tensor: the one-hot tensor (no gradient).

    Raises:
        ValueError: when `sparse` is True.
        InvalidArgumentError: when a label is not a whole number in [0, num_classes).
    """
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
    """Softmax along `axis`, computed stably, as keras.ops.softmax.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: the axis to normalise.

    Returns:
        Tensor: a tensor of x's shape.

    Raises:
        ShapeError: when `axis` is out of range.
    """
    return _t(x).softmax(int(axis))


def log_softmax(x: Any, axis: int = -1):
    """The log of softmax along `axis`, computed stably, as keras.ops.log_softmax.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: the axis to normalise.

    Returns:
        Tensor: a tensor of x's shape.

    Raises:
        ShapeError: when `axis` is out of range.
    """
    return _t(x).log_softmax(int(axis))


def gelu(x: Any, approximate: bool = True):
    """GELU; Keras' default is the tanh approximation (tf.nn.gelu's is the exact form).

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        approximate: use the tanh approximation (True) or the erf form.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _nn.gelu(x, approximate)


__all__ = [
    "abs",
    "absolute",
    "add",
    "arange",
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
    "eye",
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
    "norm",
    "not_equal",
    "one_hot",
    "ones",
    "ones_like",
    "power",
    "relu",
    "relu6",
    "reshape",
    "round",
    "rsqrt",
    "shape",
    "sigmoid",
    "sign",
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
    "take",
    "tanh",
    "transpose",
    "var",
    "where",
    "zeros",
    "zeros_like",
]

# On KerasTensors these ops become layers of the functional model being built (_symbolic.py).
_symbolic.wrap_module(globals(), [n for n in __all__ if n not in ("shape", "convert_to_numpy")])
