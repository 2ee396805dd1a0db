"""keras.layers.TimeDistributed: the layer on every step (against a per-step loop), trainable and
weights through the wrapper, files both ways with the real Keras, and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from keras_interop_helpers import files_both_ways
from rustgrad import keras

L = keras.layers


@pytest.mark.parametrize(
    "make,shape",
    [
        (lambda: L.Dense(3, activation="tanh"), (4, 5, 6)),
        (lambda: L.Conv2D(2, 3, padding="same"), (2, 3, 6, 6, 1)),
        (lambda: L.LSTM(4), (2, 3, 5, 2)),
        (lambda: L.Flatten(), (2, 3, 2, 2)),
    ],
)
def test_each_step_is_the_layer_on_that_step(make, shape):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    td = L.TimeDistributed(make())
    y = np.asarray(td(x))
    steps = [np.asarray(td.layer(x[:, s])) for s in range(shape[1])]
    np.testing.assert_allclose(y, np.stack(steps, 1), rtol=1e-5, atol=1e-6)
    assert (None, *y.shape[1:]) == td.compute_output_shape((None, *shape[1:]))


def test_weights_trainable_and_gradients_go_through_the_wrapper():
    td = L.TimeDistributed(L.Dense(2))
    model = keras.Sequential([keras.Input((3, 4)), td, L.Flatten(), L.Dense(1)])
    assert [id(w) for w in td.weights] == [id(w) for w in td.layer.weights]
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x, y = np.ones((8, 3, 4), np.float32), np.zeros((8, 1), np.float32)
    before = td.get_weights()
    model.fit(x, y, verbose=0)
    assert not np.allclose(before[0], td.get_weights()[0])
    td.trainable = False
    assert not td.layer.trainable
    model.compile(keras.optimizers.SGD(0.1), "mse")
    frozen = td.get_weights()
    model.fit(x, y, verbose=0)
    for a, b in zip(frozen, td.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="Layer instance"):
        L.TimeDistributed("dense")
    with pytest.raises(ValueError, match="at least 3 axes"):
        L.TimeDistributed(L.Dense(2))(np.zeros((2, 3), np.float32))

    class Mine(L.Layer):
        def call(self, x):
            return x

    with pytest.raises(NotImplementedError, match="only built-in layers"):
        L.TimeDistributed(Mine())


def _model(keras_mod):
    layers = keras_mod.layers
    return keras_mod.Sequential(
        [
            keras_mod.Input((4, 6, 6, 1)),
            layers.TimeDistributed(layers.Conv2D(2, 3)),
            layers.TimeDistributed(layers.Flatten()),
            layers.TimeDistributed(layers.Dense(3, activation="relu")),
            layers.GRU(2),
        ]
    )


def test_files_go_both_ways_with_keras(tmp_path):
    x = np.random.default_rng(1).normal(size=(3, 4, 6, 6, 1)).astype(np.float32)
    theirs = files_both_ways(tmp_path, _model, x, seed=2)
    assert isinstance(theirs.layers[0], L.TimeDistributed)
