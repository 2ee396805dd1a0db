"""keras.activations: every name Keras 3 resolves, with values and gradients against NumPy forms of
Keras' formulas, by name, as functions, in Activation layers and fused into Dense."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from core_helpers import away_from, check_grad
from rustgrad import keras

# keras.activations in the Keras 3 docs (keras.io/api/layers/activations): the names
# `keras.activations.get` resolves, aliases included. Keras' newest sources add crelu, which
# doubles the last axis; it is left out here and in rustgrad (see activations.py).
KERAS_ACTIVATIONS = [
    "relu",
    "leaky_relu",
    "relu6",
    "softmax",
    "elu",
    "selu",
    "softplus",
    "softsign",
    "silu",
    "swish",
    "gelu",
    "tanh",
    "sigmoid",
    "exponential",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "linear",
    "mish",
    "log_softmax",
]

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


def _relu6(x):
    return np.clip(x, 0, 6)


def _log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def _gelu(x):
    from math import erf

    return 0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2)))


# NumPy forms of the formulas in Keras 3's activations (keras/src/activations/activations.py and
# the TensorFlow backend's nn.py): hard_sigmoid is relu6(x + 3) / 6, hard_silu x * hard_sigmoid(x).
REFERENCE = {
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "relu6": _relu6,
    "softmax": lambda x: np.exp(_log_softmax(x)),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    "softplus": _softplus,
    "softsign": lambda x: x / (np.abs(x) + 1),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": _gelu,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "exponential": np.exp,
    "hard_sigmoid": lambda x: _relu6(x + 3) / 6,
    "hard_silu": lambda x: x * _relu6(x + 3) / 6,
    "hard_swish": lambda x: x * _relu6(x + 3) / 6,
    "linear": lambda x: x,
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "log_softmax": _log_softmax,
}
# Where each function has a kink: finite differences must not straddle one.
KINKS = {
    "relu": (0.0,),
    "leaky_relu": (0.0,),
    "relu6": (0.0, 6.0),
    "elu": (0.0,),
    "selu": (0.0,),
    "hard_sigmoid": (-3.0, 3.0),
    "hard_silu": (-3.0, 3.0),
    "hard_swish": (-3.0, 3.0),
}


def _inputs(name, shape=(4, 5), seed=0):
    x = np.random.default_rng(seed).uniform(-7, 8, size=shape).astype(np.float32)
    return away_from(x, KINKS.get(name, ()), 0.05)


def test_the_list_is_the_one_keras_documents():
    assert sorted(KERAS_ACTIVATIONS) == sorted(keras.activations.NAMES)


@pytest.mark.parametrize("name", KERAS_ACTIVATIONS)
def test_every_keras_name_resolves_by_get_dense_and_activation(name):
    fn = keras.activations.get(name)
    assert callable(fn)
    x = _inputs(name)
    np.testing.assert_allclose(fn(x).numpy(), REFERENCE[name](x.astype(np.float64)), 1e-5, 1e-5)
    layer = keras.layers.Dense(3, activation=name)
    assert layer.activation == name
    assert keras.layers.Activation(name)(x).shape == x.shape
    # The function object resolves too (Dense(activation=keras.activations.mish)).
    assert keras.layers.Dense(3, activation=fn).activation in (name, fn.__name__)


def test_aliases_are_keras_functions():
    assert keras.activations.get("swish") is keras.activations.silu
    assert keras.activations.get("hard_swish") is keras.activations.hard_silu
    assert keras.activations.serialize("swish") == "silu"
    assert keras.activations.get(None) is keras.activations.linear


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="mish"):
        keras.activations.get("mishh")
    with pytest.raises(ValueError, match="hard_sigmoid"):
        keras.layers.Dense(3, activation="hard_sigmoidd")


def test_documented_points():
    # keras.activations docstrings: hard_sigmoid 0 at x <= -3, 1 at x >= 3, x/6 + 0.5 between;
    # hard_silu 0 below -3, x above 3; relu6 caps at 6; selu's two constants.
    a = keras.activations
    x = np.array([-4.0, -3.0, -1.5, 0.0, 2.0, 3.0, 7.0], np.float32)
    np.testing.assert_allclose(a.hard_sigmoid(x).numpy(), [0, 0, 0.25, 0.5, 2 / 6 + 0.5, 1, 1])
    np.testing.assert_allclose(a.hard_silu(x).numpy(), [0, 0, -0.375, 0, 2 * (5 / 6), 3, 7])
    np.testing.assert_allclose(a.relu6(x).numpy(), [0, 0, 0, 0, 2, 3, 6])
    np.testing.assert_allclose(a.selu(np.float32([1.0])).numpy(), [SELU_SCALE], rtol=1e-6)
    np.testing.assert_allclose(a.exponential(np.float32([0.0, 1.0])).numpy(), [1, np.e], 1e-6)


@pytest.mark.parametrize("name", KERAS_ACTIVATIONS)
def test_gradients_match_central_differences(name):
    x = _inputs(name, (3, 4), seed=1)
    if name == "exponential":
        x = x / 4  # keeps exp's slope, and so the tolerance, moderate
    check_grad(lambda t: t.activation(name), REFERENCE[name], [x], rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("name", KERAS_ACTIVATIONS)
def test_fused_into_dense_value_and_gradient(name):
    """Dense applies the activation inside its fused op (forward and derivative from the table)."""
    rng = np.random.default_rng(2)
    layer = keras.layers.Dense(4, activation=name)
    layer.build((None, 3))
    kernel, bias = rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32)
    layer.set_weights([kernel, bias])
    x = rng.normal(size=(8, 3)).astype(np.float32)
    z = x.astype(np.float64) @ kernel + bias
    if name in KINKS:
        x = x[np.all(np.min(np.abs(z[..., None] - KINKS[name]), axis=-1) > 0.05, axis=1)]
        z = x.astype(np.float64) @ kernel + bias
    np.testing.assert_allclose(layer(x).numpy(), REFERENCE[name](z), rtol=1e-5, atol=1e-5)
    assert rg.gradcheck(lambda t: layer.core(t), [x], eps=1e-2, atol=2e-3, rtol=2e-2)


def test_log_softmax_is_along_the_last_axis_in_a_model():
    x = np.random.default_rng(3).normal(size=(6, 4)).astype(np.float32)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Activation("log_softmax")])
    np.testing.assert_allclose(m.predict(x), _log_softmax(x.astype(np.float64)), 1e-5, 1e-5)


def test_unsupported_keyword_is_refused_not_ignored():
    with pytest.raises(ValueError, match="max_value"):
        keras.activations.relu(np.ones(3, np.float32), max_value=2.0)
    with pytest.raises(ValueError, match="approximate"):
        keras.activations.gelu(np.ones(3, np.float32), approximate=True)
