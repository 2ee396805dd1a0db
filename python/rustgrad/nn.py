"""tf.nn: activations and the from-logits cross-entropies, composed of Tensor ops (gradients flow)."""

from __future__ import annotations

import math as _pymath
from typing import Any

from rustgrad import _symbolic
from rustgrad._core import one_hot
from rustgrad.linalg import l2_normalize
from rustgrad.math import log_softmax, sigmoid, softmax, softplus, tanh
from rustgrad.tf_ops import _axis, convert_to_tensor

__all__ = [
    "bias_add",
    "elu",
    "gelu",
    "l2_loss",
    "l2_normalize",
    "leaky_relu",
    "log_softmax",
    "moments",
    "relu",
    "relu6",
    "sigmoid",
    "sigmoid_cross_entropy_with_logits",
    "softmax",
    "softmax_cross_entropy_with_logits",
    "softplus",
    "sparse_softmax_cross_entropy_with_logits",
    "tanh",
]


def relu(features: Any, name: Any = None):
    """max(x, 0), elementwise, as tf.nn.relu.

    Args:
        features: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return convert_to_tensor(features).relu()


def relu6(features: Any, name: Any = None):
    """min(max(x, 0), 6), elementwise, as tf.nn.relu6.

    Args:
        features: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return convert_to_tensor(features).clip(0.0, 6.0)


def leaky_relu(features: Any, alpha: float = 0.2, name: Any = None):
    """x where x > 0, else alpha * x, as tf.nn.leaky_relu.

    Args:
        features: a Tensor, or anything convert_to_tensor accepts.
        alpha: the slope below 0.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return convert_to_tensor(features).leaky_relu(float(alpha))


def elu(features: Any, name: Any = None):
    """x where x > 0, else e ** x - 1, elementwise, as tf.nn.elu.

    Args:
        features: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return convert_to_tensor(features).elu(1.0)


def gelu(features: Any, approximate: bool = False, name: Any = None):
    """Exact GELU (x·Φ(x)) by default as TF; approximate=True is the tanh form, composed of ops.

    Args:
        features: a Tensor, or anything convert_to_tensor accepts.
        approximate: use the tanh approximation instead of the erf form.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    x = convert_to_tensor(features)
    if not approximate:
        return x.gelu()
    inner = (x + 0.044715 * x * x * x) * _pymath.sqrt(2.0 / _pymath.pi)
    return 0.5 * x * (inner.tanh() + 1.0)


def bias_add(value: Any, bias: Any, data_format: Any = None, name: Any = None):
    """value + bias over the channels axis: the last (NHWC / N...C, TF's default) or, for a
    data_format starting with "NC" (NCHW, NCW, NCDHW), axis 1.

    Args:
        value: a Tensor of rank >= 2.
        bias: a 1-D Tensor as long as the channels axis.
        data_format: None, "N...C" (NHWC, NWC, NDHWC) or "NC..." (NCHW, NCW, NCDHW).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: value + bias.

    Raises:
        ValueError: when `bias` is not 1-D or does not match the channels axis, or the
            data_format is not one of TF's.
    """
    v, b = convert_to_tensor(value), convert_to_tensor(bias)
    fmt = data_format or "NHWC"
    if not (isinstance(fmt, str) and fmt.startswith("N") and "C" in fmt and len(fmt) >= 3):
        raise ValueError(f"bias_add: data_format must be like 'NHWC' or 'NCHW', got {fmt!r}")
    first = fmt.startswith("NC")
    axis = 1 if first else -1
    if b.ndim != 1 or v.ndim < 2 or v.shape[axis] != b.shape[0]:
        raise ValueError(
            f"bias_add: bias of shape {b.shape} must be 1-D and match axis {axis} of {v.shape} "
            f"({fmt})"
        )
    if first:
        return v + b.reshape([b.shape[0]] + [1] * (v.ndim - 2))
    return v + b


def l2_loss(t: Any, name: Any = None):
    """sum(t ** 2) / 2, as TF (no square root).

    Args:
        t: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: a 0-d tensor.
    """
    x = convert_to_tensor(t)
    return (x * x).sum() * 0.5


def moments(x: Any, axes: Any, shift: Any = None, keepdims: bool = False, name: Any = None):
    """(mean, population variance) over `axes`, as tf.nn.moments.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axes: an int or a list of ints to reduce.
        shift: unused, as in TF ("not used in the current implementation").
        keepdims: keep the reduced axes with size 1.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        tuple[Tensor, Tensor]: the mean and the variance.
    """
    t = convert_to_tensor(x)
    ax = _axis(axes)
    mean = t.mean(ax, keepdims=True)
    d = t - mean
    variance = (d * d).mean(ax, keepdims)
    return (mean if keepdims else t.mean(ax)), variance


def _labels_logits(labels: Any, logits: Any, op: str):
    if labels is None or logits is None:
        raise ValueError(f"{op}: both labels= and logits= are required")
    return convert_to_tensor(labels), convert_to_tensor(logits)


def sparse_softmax_cross_entropy_with_logits(
    labels: Any = None, logits: Any = None, name: Any = None
):
    """Per-sample −log softmax(logits)[label]: labels of shape [d0, ..., dn−1] hold class indices,
    logits have shape [d0, ..., dn−1, num_classes]; the result has the labels' shape. The gradient
    with respect to logits is softmax(logits) − one_hot(labels); labels get none (as TF).

    Args:
        labels: class indices (whole numbers in [0, num_classes)).
        logits: unnormalised scores with one more axis than `labels`.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the per-sample losses, of the labels' shape.

    Raises:
        ValueError: when either argument is missing or the shapes do not match.
        InvalidArgumentError: when a label is not a whole number in range.
    """
    y, z = _labels_logits(labels, logits, "sparse_softmax_cross_entropy_with_logits")
    if z.ndim < 1 or y.shape != z.shape[:-1]:
        raise ValueError(
            "sparse_softmax_cross_entropy_with_logits: labels must have the shape of logits without "
            f"its last axis: labels {y.shape}, logits {z.shape}"
        )
    # one_hot refuses labels that are not whole numbers in [0, num_classes), as TF's CPU kernel does.
    target = one_hot(y.detach(), z.shape[-1])
    return -(target * z.log_softmax(-1)).sum(-1)


def softmax_cross_entropy_with_logits(
    labels: Any = None, logits: Any = None, axis: int = -1, name=None
):
    """Per-sample −Σ labels·log softmax(logits) along `axis` (labels are distributions of the
    logits' shape); gradients flow to logits (softmax·Σlabels − labels) and to labels, as in TF 2.

    Args:
        labels: target distributions of the logits' shape.
        logits: unnormalised scores.
        axis: the class axis.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the per-sample losses, without `axis`.

    Raises:
        ValueError: when either argument is missing or the shapes differ.
    """
    y, z = _labels_logits(labels, logits, "softmax_cross_entropy_with_logits")
    if y.shape != z.shape:
        raise ValueError(
            f"softmax_cross_entropy_with_logits: labels {y.shape} and logits {z.shape} must have the same shape"
        )
    return -(y * z.log_softmax(int(axis))).sum(int(axis))


def sigmoid_cross_entropy_with_logits(labels: Any = None, logits: Any = None, name: Any = None):
    """Elementwise max(x, 0) − x·z + log(1 + exp(−``|x|``)) for logits x and labels z (TF's stable form).

    Args:
        labels: targets in [0, 1] of the logits' shape.
        logits: unnormalised scores.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the elementwise losses.

    Raises:
        ValueError: when either argument is missing or the shapes differ.
    """
    z, x = _labels_logits(labels, logits, "sigmoid_cross_entropy_with_logits")
    if z.shape != x.shape:
        raise ValueError(
            f"sigmoid_cross_entropy_with_logits: labels {z.shape} and logits {x.shape} must have the same shape"
        )
    return x.relu() - x * z + ((-x.abs()).exp() + 1.0).log()


# On KerasTensors these ops become layers of the functional model being built (_symbolic.py).
_symbolic.wrap_module(globals(), __all__)
