"""Function forms of Tensor methods (`rustgrad.exp(t)` is `t.exp()`), accepting array-likes too."""

from rustgrad._core import Tensor, tensor


def _t(x):
    return x if isinstance(x, Tensor) else tensor(x)


def exp(x):
    """e ** x, elementwise (torch.exp, tf.math.exp).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the elementwise result, recorded for autograd.
    """
    return _t(x).exp()


def log(x):
    """The natural logarithm, elementwise (torch.log, tf.math.log).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the elementwise result, recorded for autograd.
    """
    return _t(x).log()


def sqrt(x):
    """The square root, elementwise (torch.sqrt, tf.math.sqrt).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the elementwise result, recorded for autograd.
    """
    return _t(x).sqrt()


def abs(x):
    """``|x|``, elementwise (torch.abs, tf.math.abs).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the elementwise result, recorded for autograd.
    """
    # mirrors numpy.abs / torch.abs
    return _t(x).abs()


def relu(x):
    """max(x, 0), elementwise (torch.relu, tf.math.relu).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the elementwise result, recorded for autograd.
    """
    return _t(x).relu()


def sigmoid(x):
    """1 / (1 + e ** -x), elementwise (torch.sigmoid, tf.math.sigmoid).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the elementwise result, recorded for autograd.
    """
    return _t(x).sigmoid()


def tanh(x):
    """The hyperbolic tangent, elementwise (torch.tanh, tf.math.tanh).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the elementwise result, recorded for autograd.
    """
    return _t(x).tanh()


def softmax(x, axis=-1):
    """Probabilities that sum to 1 along `axis`, computed stably (torch.softmax).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        axis: the axis to normalise (the last by default).

    Returns:
        Tensor: a tensor of x's shape.

    Raises:
        ShapeError: when `axis` is out of range.
    """
    return _t(x).softmax(axis)


def log_softmax(x, axis=-1):
    """The log of softmax along `axis`, computed stably (torch.log_softmax).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        axis: the axis to normalise (the last by default).

    Returns:
        Tensor: a tensor of x's shape.

    Raises:
        ShapeError: when `axis` is out of range.
    """
    return _t(x).log_softmax(axis)


def clip(x, lo=None, hi=None):
    """x limited to [lo, hi] (torch.clamp; numpy.clip).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        lo: the lower bound, or None.
        hi: the upper bound, or None.

    Returns:
        Tensor: the elementwise result, recorded for autograd.

    Raises:
        InvalidArgumentError: when `lo` is above `hi`.
    """
    return _t(x).clip(lo, hi)


def maximum(a, b):
    """The larger of a and b, broadcasting as NumPy (torch.maximum).

    Args:
        a: a Tensor, or anything rustgrad.tensor accepts.
        b: a Tensor, a number or an array-like.

    Returns:
        Tensor: the elementwise result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return _t(a).maximum(b)


def minimum(a, b):
    """The smaller of a and b, broadcasting as NumPy (torch.minimum).

    Args:
        a: a Tensor, or anything rustgrad.tensor accepts.
        b: a Tensor, a number or an array-like.

    Returns:
        Tensor: the elementwise result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return _t(a).minimum(b)


def matmul(a, b):
    """The matrix product a @ b with NumPy's matmul rules (torch.matmul).

    Args:
        a: a Tensor, or anything rustgrad.tensor accepts.
        b: a Tensor or an array-like.

    Returns:
        Tensor: the product.

    Raises:
        ShapeError: when the inner dimensions differ.
    """
    return _t(a) @ b


def sum(x, axis=None, keepdims=False):
    """The sum over `axis`, as numpy.sum / torch.sum.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        axis: None (all elements), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range or empty.
    """
    # mirrors numpy.sum
    return _t(x).sum(axis, keepdims)


def mean(x, axis=None, keepdims=False):
    """The mean over `axis`, as numpy.mean / torch.mean.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        axis: None (all elements), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range or empty.
    """
    return _t(x).mean(axis, keepdims)


def sin(x):
    """The sine, elementwise (torch.sin, tf.math.sin).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the elementwise result, recorded for autograd.
    """
    return _t(x).sin()


def cos(x):
    """The cosine, elementwise (torch.cos, tf.math.cos).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the elementwise result, recorded for autograd.
    """
    return _t(x).cos()


def square(x):
    """x ** 2, elementwise (torch.square, tf.math.square).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the elementwise result, recorded for autograd.
    """
    return _t(x).square()


def pow(x, exponent):
    """x ** exponent, broadcasting as NumPy (torch.pow).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        exponent: a Tensor, a number or an array-like.

    Returns:
        Tensor: the elementwise result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    # mirrors torch.pow; a number base with a Tensor exponent works too
    return _t(x).pow(exponent)


# torch.add/sub scale `other` by alpha before combining, so `add(w, g, alpha=-lr)` is w - lr·g;
# `name` is tf.add's (TensorFlow names ops; rustgrad has no op names to give).
def add(x, other, *, alpha=1, name=None):
    """x + alpha * other, as torch.add (and tf.add).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        other: a Tensor, a number or an array-like.
        alpha: the factor applied to `other`.
        name: tf.add's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the elementwise result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return _t(x).add(other if alpha == 1 else _t(other) * alpha)


def sub(x, other, *, alpha=1):
    """x - alpha * other, as torch.sub.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        other: a Tensor, a number or an array-like.
        alpha: the factor applied to `other`.

    Returns:
        Tensor: the elementwise result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return _t(x).sub(other if alpha == 1 else _t(other) * alpha)


def mul(x, other):
    """x * other, broadcasting as NumPy (torch.mul).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        other: a Tensor, a number or an array-like.

    Returns:
        Tensor: the elementwise result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return _t(x).mul(other)


def div(x, other):
    """x / other, broadcasting as NumPy (torch.div).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        other: a Tensor, a number or an array-like.

    Returns:
        Tensor: the elementwise result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return _t(x).div(other)
