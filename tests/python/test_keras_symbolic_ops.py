"""Ops on KerasTensors while building a functional model (operators, slicing, keras.ops and tf
functions) become layers of the model, which then predicts and trains what the same ops on arrays
give; two tensors of one shape added still go through the built-in Add layer."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

rng = np.random.default_rng(5)
X = rng.normal(size=(16, 4)).astype(np.float32)


def _model():
    inp = keras.Input((4,))
    a = inp * 2.0 + 1.0
    b = 1.0 - a[:, :3] / 4.0
    c = keras.ops.mean(b, axis=1, keepdims=True)
    d = tf.concat([b, c, tf.nn.relu(-inp), abs(inp) ** 2, 2.0 / (2.0 + inp * inp)], axis=1)
    e = keras.layers.Dense(2)(d)
    out = keras.ops.where(e > 0, e, 0.1 * e)
    return keras.Model(inp, out)


def _numpy(m, x):
    dense = next(la for la in m.layers if isinstance(la, keras.layers.Dense))
    w, bias = dense.get_weights()
    a = x * 2 + 1
    b = 1 - a[:, :3] / 4
    d = np.concatenate(
        [b, b.mean(1, keepdims=True), np.maximum(-x, 0), np.abs(x) ** 2, 2 / (2 + x * x)], 1
    )
    e = d @ w + bias
    return np.where(e > 0, e, 0.1 * e)


def test_ops_on_keras_tensors_build_layers_that_compute_the_ops():
    keras.utils.set_random_seed(0)
    m = _model()
    names = [la.name for la in m.layers]
    assert "slice" in names and "concat" in names and "where" in names
    np.testing.assert_allclose(m.predict(X, verbose=0), _numpy(m, X), rtol=1e-5, atol=1e-6)
    m.compile(keras.optimizers.SGD(0.01), "mse")
    hist = m.fit(X, np.zeros((16, 2), np.float32), epochs=5, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    np.testing.assert_allclose(m.predict(X, verbose=0), _numpy(m, X), rtol=1e-5, atol=1e-6)


def test_shapes_are_inferred_and_same_shape_sums_stay_built_in():
    inp = keras.Input((6,))
    assert (inp[:, 1:4]).shape == (None, 3)
    assert keras.ops.shape(inp) == (None, 6)
    assert (inp > 0).shape == (None, 6)
    h = keras.layers.Dense(6)(inp)
    s = h + inp
    assert isinstance(s.node.layer, keras.layers.Add)
    m = keras.Model(inp, s)
    assert m.predict(X[:, :1].repeat(6, 1), verbose=0).shape == (16, 6)


def test_iterating_a_keras_tensor_is_refused():
    inp = keras.Input((3,))
    with pytest.raises(TypeError, match="iterated"):
        list(inp)
