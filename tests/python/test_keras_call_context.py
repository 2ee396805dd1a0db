"""Keras 3's training call context: a layer called without `training` inside a model's call takes
the outer call's flag (fit trains its Dropout, predict does not); outside any call None means
inference; an explicit argument always wins."""

from __future__ import annotations

import numpy as np
from rustgrad import keras


class Spy(keras.layers.Layer):
    """Records the training flag each call received."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.seen = []

    def call(self, x, training=None):
        self.seen.append(training)
        return x


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(8)
        self.drop = keras.layers.Dropout(0.9, seed=1)
        self.spy = Spy()
        self.out = keras.layers.Dense(1)

    def call(self, x, training=False):
        # None of the inner calls pass `training`: Keras gives them the outer call's value.
        return self.out(self.spy(self.drop(self.dense(x))))


def test_inner_layers_follow_the_outer_flag():
    keras.utils.set_random_seed(0)
    m, x = Net(), np.ones((16, 3), np.float32)
    h = m.dense(x).numpy()
    assert not np.any(h == 0)
    dropped = m.drop(m.dense(x), training=True).numpy()
    assert (dropped == 0).mean() > 0.5  # the explicit argument wins
    m(x, training=True)
    m(x)
    m(x, training=False)
    assert m.spy.seen[-3:] == [True, None, False]


def test_fit_trains_inner_dropout_and_predict_does_not():
    keras.utils.set_random_seed(0)
    r = np.random.default_rng(0)
    x = r.normal(size=(32, 3)).astype(np.float32)
    y = r.normal(size=(32, 1)).astype(np.float32)
    m = Net()
    m.compile("sgd", "mse")
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert set(m.spy.seen[-2:]) == {True}
    m.spy.seen.clear()
    a, b = m.predict(x, verbose=0), m.predict(x, verbose=0)
    np.testing.assert_array_equal(a, b)  # no dropout at inference
    assert m.spy.seen and not any(m.spy.seen)


def test_a_bare_layer_call_with_none_is_inference():
    x = np.ones((4, 5), np.float32)
    for layer in (
        keras.layers.Dropout(0.5),
        keras.layers.GaussianNoise(1.0),
        keras.layers.BatchNormalization(),
    ):
        out = layer(x, training=None)
        expect = x if not isinstance(layer, keras.layers.BatchNormalization) else x / np.sqrt(1.001)
        np.testing.assert_allclose(out.numpy(), expect, rtol=1e-5)


def test_whether_call_takes_training_follows_the_function_in_use():
    # The answer is kept per function: a call replaced on one instance (with or without
    # `training`) gets its own, and the class's other instances keep theirs.
    a, b = Spy(), Spy()
    x = np.ones((2, 3), np.float32)
    a(x, training=True)
    seen = []
    b.call = lambda x: seen.append("no flag") or x
    b(x, training=True)
    a(x, training=False)
    assert a.seen == [True, False] and seen == ["no flag"]

    def call(x, **kw):
        seen.append(kw.get("training"))
        return x

    b.call = call
    b(x, training=True)
    assert seen == ["no flag", True]
