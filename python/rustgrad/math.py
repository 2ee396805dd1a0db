"""tf.math: elementwise maths, comparisons and reductions, composed of Tensor ops (gradients flow)."""

from __future__ import annotations

from typing import Any

from rustgrad import _symbolic
from rustgrad.linalg import l2_normalize
from rustgrad.tf_array_ops import round, sign
from rustgrad.tf_dtypes import cast
from rustgrad.tf_manip_ops import ceil, floor, top_k
from rustgrad.tf_ops import (
    _axis,
    add,
    argmax,
    argmin,
    convert_to_tensor,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    less,
    less_equal,
    multiply,
    not_equal,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_sum,
    sqrt,
    square,
    subtract,
)

__all__ = [
    "abs",
    "add",
    "argmax",
    "argmin",
    "ceil",
    "count_nonzero",
    "divide",
    "equal",
    "exp",
    "floor",
    "greater",
    "greater_equal",
    "l2_normalize",
    "less",
    "less_equal",
    "log",
    "log1p",
    "log_softmax",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "not_equal",
    "pow",
    "reciprocal",
    "reduce_logsumexp",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_std",
    "reduce_sum",
    "reduce_variance",
    "round",
    "rsqrt",
    "sigmoid",
    "sign",
    "softmax",
    "softplus",
    "sqrt",
    "square",
    "squared_difference",
    "subtract",
    "tanh",
    "top_k",
]


def log(x: Any, name: Any = None):
    """The natural logarithm, elementwise, as tf.math.log.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return convert_to_tensor(x).log()


def log1p(x: Any, name: Any = None):
    """log(1 + x) as composed ops (no fused log1p op: less precise than TF's for ``|x|`` < 1e-4).

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return (convert_to_tensor(x) + 1.0).log()


def abs(x: Any, name: Any = None):
    """``|x|``, elementwise, as tf.math.abs.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return convert_to_tensor(x).abs()


def negative(x: Any, name: Any = None):
    """-x, elementwise, as tf.math.negative.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return -convert_to_tensor(x)


def maximum(x: Any, y: Any, name: Any = None):
    """The larger of x and y, elementwise with broadcasting, as tf.math.maximum.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x).maximum(convert_to_tensor(y))


def minimum(x: Any, y: Any, name: Any = None):
    """The smaller of x and y, elementwise with broadcasting, as tf.math.minimum.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x).minimum(convert_to_tensor(y))


def pow(x: Any, y: Any, name: Any = None):
    """x ** y, elementwise with broadcasting, as tf.math.pow.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x) ** convert_to_tensor(y)


def reciprocal(x: Any, name: Any = None):
    """1 / x, elementwise, as tf.math.reciprocal.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return 1.0 / convert_to_tensor(x)


def rsqrt(x: Any, name: Any = None):
    """1 / sqrt(x), elementwise, as tf.math.rsqrt.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return 1.0 / convert_to_tensor(x).sqrt()


def squared_difference(x: Any, y: Any, name: Any = None):
    """(x - y) ** 2, elementwise with broadcasting, as tf.math.squared_difference.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    d = convert_to_tensor(x) - convert_to_tensor(y)
    return d * d


def sigmoid(x: Any, name: Any = None):
    """1 / (1 + e ** -x), elementwise, as tf.math.sigmoid.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return convert_to_tensor(x).sigmoid()


def tanh(x: Any, name: Any = None):
    """The hyperbolic tangent, elementwise, as tf.math.tanh.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return convert_to_tensor(x).tanh()


def softplus(features: Any, name: Any = None):
    """log(1 + e ** x), elementwise, as tf.math.softplus.

    Args:
        features: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return convert_to_tensor(features).softplus()


def softmax(logits: Any, axis: int | None = None, name: Any = None):
    """Softmax along `axis` (the last by default, as TF).

    Args:
        logits: a Tensor, or anything convert_to_tensor accepts.
        axis: the axis to normalise (the last when None, as TF).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: a tensor of the input's shape.

    Raises:
        ShapeError: when `axis` is out of range.
    """
    return convert_to_tensor(logits).softmax(-1 if axis is None else int(axis))


def log_softmax(logits: Any, axis: int | None = None, name: Any = None):
    """The log of softmax along `axis`, computed stably, as tf.math.log_softmax.

    Args:
        logits: a Tensor, or anything convert_to_tensor accepts.
        axis: the axis to normalise (the last when None, as TF).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: a tensor of the input's shape.

    Raises:
        ShapeError: when `axis` is out of range.
    """
    return convert_to_tensor(logits).log_softmax(-1 if axis is None else int(axis))


def reduce_logsumexp(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    """log(sum(exp(x))) shifted by the (constant) maximum so large inputs do not overflow.

    Args:
        input_tensor: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints, or None for every axis.
        keepdims: keep the reduced axes with size 1.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range or empty.
    """
    t = convert_to_tensor(input_tensor)
    ax = _axis(axis)
    # The shift is detached: it cancels in the value, and the gradient (softmax) needs no term for it.
    m = t.max(ax, keepdims=True).detach()
    shift = m if keepdims else t.max(ax, keepdims=False).detach()
    return (t - m).exp().sum(ax, keepdims).log() + shift


def reduce_variance(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    """Population variance (divides by N, as TF's tf.math.reduce_variance).

    Args:
        input_tensor: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints, or None for every axis.
        keepdims: keep the reduced axes with size 1.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range or empty.
    """
    t = convert_to_tensor(input_tensor)
    ax = _axis(axis)
    d = t - t.mean(ax, keepdims=True)
    return (d * d).mean(ax, keepdims)


def reduce_std(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    """Population standard deviation over `axis` (divides by N), as tf.math.reduce_std.

    Args:
        input_tensor: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints, or None for every axis.
        keepdims: keep the reduced axes with size 1.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range or empty.
    """
    return reduce_variance(input_tensor, axis, keepdims).sqrt()


def count_nonzero(
    input: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None, name=None
):
    """How many entries are non-zero (whole numbers in a float32 tensor; no gradient).

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints, or None for every axis.
        keepdims: keep the reduced axes with size 1.
        dtype: TF's result dtype, checked as `cast` checks it (None, an integer dtype or
            float32); the counts are whole numbers stored as float32 either way.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the counts.

    Raises:
        TypeError: when `dtype` is not one `cast` accepts.
    """
    counts = (convert_to_tensor(input) != 0).sum(_axis(axis), keepdims).detach()
    return counts if dtype is None else cast(counts, dtype)


# On KerasTensors these ops become layers of the functional model being built (_symbolic.py).
_symbolic.wrap_module(globals(), __all__)
