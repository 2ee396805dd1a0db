"""Function forms of Tensor methods (`rustgrad.exp(t)` is `t.exp()`), accepting array-likes too."""

from rustgrad._core import Tensor, tensor


def _t(x):
    return x if isinstance(x, Tensor) else tensor(x)


def exp(x):
    return _t(x).exp()


def log(x):
    return _t(x).log()


def sqrt(x):
    return _t(x).sqrt()


def abs(x):  # mirrors numpy.abs / torch.abs
    return _t(x).abs()


def relu(x):
    return _t(x).relu()


def sigmoid(x):
    return _t(x).sigmoid()


def tanh(x):
    return _t(x).tanh()


def softmax(x, axis=-1):
    return _t(x).softmax(axis)


def log_softmax(x, axis=-1):
    return _t(x).log_softmax(axis)


def clip(x, lo=None, hi=None):
    return _t(x).clip(lo, hi)


def maximum(a, b):
    return _t(a).maximum(b)


def minimum(a, b):
    return _t(a).minimum(b)


def matmul(a, b):
    return _t(a) @ b


def sum(x, axis=None, keepdims=False):  # mirrors numpy.sum
    return _t(x).sum(axis, keepdims)


def mean(x, axis=None, keepdims=False):
    return _t(x).mean(axis, keepdims)


def sin(x):
    return _t(x).sin()


def cos(x):
    return _t(x).cos()


def square(x):
    return _t(x).square()


def pow(x, exponent):  # mirrors torch.pow; a number base with a Tensor exponent works too
    return _t(x).pow(exponent)


# torch.add/sub scale `other` by alpha before combining, so `add(w, g, alpha=-lr)` is w - lr·g;
# `name` is tf.add's (TensorFlow names ops; rustgrad has no op names to give).
def add(x, other, *, alpha=1, name=None):
    return _t(x).add(other if alpha == 1 else _t(other) * alpha)


def sub(x, other, *, alpha=1):
    return _t(x).sub(other if alpha == 1 else _t(other) * alpha)


def mul(x, other):
    return _t(x).mul(other)


def div(x, other):
    return _t(x).div(other)
