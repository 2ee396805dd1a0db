"""tf.math's elementwise functions (and the top-level ones TF shares with it) against NumPy: values and gradients."""

import numpy as np
import pytest
import rustgrad as tf
from core_helpers import FAST, arrays, check_grad, close, nonempty_shapes
from hypothesis import given
from hypothesis import strategies as st

seeds = st.integers(0, 2**32 - 1)


UNARY = {
    "square": (tf.square, np.square, (-3, 3)),
    "sqrt": (tf.sqrt, np.sqrt, (0.1, 4)),
    "exp": (tf.exp, np.exp, (-3, 3)),
    "math.log": (tf.math.log, np.log, (0.1, 4)),
    "math.log1p": (tf.math.log1p, np.log1p, (-0.5, 3)),
    "math.abs": (tf.math.abs, np.abs, (-3, 3)),
    "math.negative": (tf.math.negative, np.negative, (-3, 3)),
    "math.reciprocal": (tf.math.reciprocal, np.reciprocal, (0.3, 3)),
    "math.rsqrt": (tf.math.rsqrt, lambda a: 1 / np.sqrt(a), (0.3, 3)),
    "math.sigmoid": (tf.math.sigmoid, lambda a: 1 / (1 + np.exp(-a)), (-4, 4)),
    "math.tanh": (tf.math.tanh, np.tanh, (-3, 3)),
    "math.softplus": (tf.math.softplus, lambda a: np.log1p(np.exp(a)), (-4, 4)),
    "math.softmax": (
        tf.math.softmax,
        lambda a: np.exp(a) / np.exp(a).sum(-1, keepdims=True),
        (-4, 4),
    ),
    "math.log_softmax": (
        tf.math.log_softmax,
        lambda a: a - np.log(np.exp(a).sum(-1, keepdims=True)),
        (-4, 4),
    ),
}


@pytest.mark.parametrize("name", UNARY)
@given(shape=nonempty_shapes, seed=seeds)
@FAST
def test_unary_math_values_and_gradients(name, shape, seed):
    fn, ref, (lo, hi) = UNARY[name]
    x = arrays(shape, seed, lo, hi)
    if name == "math.abs":
        x = np.where(np.abs(x) < 0.1, 0.5, x).astype(np.float32)
    close(fn(x), ref(x.astype(np.float64)), rtol=1e-4, atol=1e-5)
    check_grad(fn, ref, [x], seed=seed, rtol=2e-3, atol=2e-3)


BINARY = {
    "add": (tf.add, np.add),
    "subtract": (tf.subtract, np.subtract),
    "multiply": (tf.multiply, np.multiply),
    "divide": (tf.divide, np.divide),
    "math.maximum": (tf.math.maximum, np.maximum),
    "math.minimum": (tf.math.minimum, np.minimum),
    "math.pow": (tf.math.pow, np.power),
    "math.squared_difference": (tf.math.squared_difference, lambda a, b: (a - b) ** 2),
}


@pytest.mark.parametrize("name", BINARY)
@given(shape=nonempty_shapes, seed=seeds)
@FAST
def test_binary_math_values_and_gradients(name, shape, seed):
    fn, ref = BINARY[name]
    a, b = arrays(shape, seed, 0.5, 2.0), arrays(shape, seed + 1, 0.5, 2.0)
    if name in ("math.maximum", "math.minimum"):
        b = np.where(np.abs(a - b) < 0.05, b + 0.2, b).astype(np.float32)
    close(fn(a, b), ref(a.astype(np.float64), b.astype(np.float64)), rtol=1e-5)
    check_grad(fn, ref, [a, b], seed=seed, rtol=2e-3, atol=2e-3)
