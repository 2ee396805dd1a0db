"""tf.math: elementwise maths, comparisons and reductions, composed of Tensor ops (gradients flow)."""

from __future__ import annotations

from typing import Any

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
    "count_nonzero",
    "divide",
    "equal",
    "exp",
    "greater",
    "greater_equal",
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
    "rsqrt",
    "sigmoid",
    "softmax",
    "softplus",
    "sqrt",
    "square",
    "squared_difference",
    "subtract",
    "tanh",
]


def log(x: Any, name: Any = None):
    return convert_to_tensor(x).log()


def log1p(x: Any, name: Any = None):
    """log(1 + x) as composed ops (no fused log1p op: less precise than TF's for `|x| < 1e-4`)."""
    return (convert_to_tensor(x) + 1.0).log()


def abs(x: Any, name: Any = None):
    return convert_to_tensor(x).abs()


def negative(x: Any, name: Any = None):
    return -convert_to_tensor(x)


def maximum(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x).maximum(convert_to_tensor(y))


def minimum(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x).minimum(convert_to_tensor(y))


def pow(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x) ** convert_to_tensor(y)


def reciprocal(x: Any, name: Any = None):
    return 1.0 / convert_to_tensor(x)


def rsqrt(x: Any, name: Any = None):
    return 1.0 / convert_to_tensor(x).sqrt()


def squared_difference(x: Any, y: Any, name: Any = None):
    d = convert_to_tensor(x) - convert_to_tensor(y)
    return d * d


def sigmoid(x: Any, name: Any = None):
    return convert_to_tensor(x).sigmoid()


def tanh(x: Any, name: Any = None):
    return convert_to_tensor(x).tanh()


def softplus(features: Any, name: Any = None):
    return convert_to_tensor(features).softplus()


def softmax(logits: Any, axis: int | None = None, name: Any = None):
    """Softmax along `axis` (the last by default, as TF)."""
    return convert_to_tensor(logits).softmax(-1 if axis is None else int(axis))


def log_softmax(logits: Any, axis: int | None = None, name: Any = None):
    return convert_to_tensor(logits).log_softmax(-1 if axis is None else int(axis))


def reduce_logsumexp(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    """log(sum(exp(x))) shifted by the (constant) maximum so large inputs do not overflow."""
    t = convert_to_tensor(input_tensor)
    ax = _axis(axis)
    # The shift is detached: it cancels in the value, and the gradient (softmax) needs no term for it.
    m = t.max(ax, keepdims=True).detach()
    shift = m if keepdims else t.max(ax, keepdims=False).detach()
    return (t - m).exp().sum(ax, keepdims).log() + shift


def reduce_variance(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    """Population variance (divides by N, as TF)."""
    t = convert_to_tensor(input_tensor)
    ax = _axis(axis)
    d = t - t.mean(ax, keepdims=True)
    return (d * d).mean(ax, keepdims)


def reduce_std(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    return reduce_variance(input_tensor, axis, keepdims).sqrt()


def count_nonzero(
    input: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None, name=None
):
    """How many entries are non-zero (whole numbers in a float32 tensor; no gradient)."""
    return (convert_to_tensor(input) != 0).sum(_axis(axis), keepdims).detach()
