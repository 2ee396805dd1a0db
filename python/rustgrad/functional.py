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
