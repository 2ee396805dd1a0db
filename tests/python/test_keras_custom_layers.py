"""Custom keras.layers.Layer subclasses (build, add_weight, call, add_loss, regularizers,
get_config, compute_output_shape) as Keras' subclassing guide describes them, checked against
NumPy: outputs, gradients by .backward() and by one SGD step of fit, the reported loss with added
terms; and a functional model holding a custom layer, which runs on the eager engine."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from rustgrad import keras
from rustgrad.keras.eager import EagerEngine

layers = keras.layers
rng = np.random.default_rng(12)


def f32(*shape):
    return rng.normal(size=shape).astype(np.float32)


class TanhDense(layers.Layer):
    """tanh(x @ w + b) * scale, scale a non-trainable weight; an optional activity loss
    rate * sum(y**2) and an optional kernel regularizer."""

    def __init__(self, units, rate=0.0, kernel_regularizer=None, **kw):
        super().__init__(**kw)
        self.units, self.rate, self.kernel_regularizer = units, rate, kernel_regularizer

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
            name="w",
            regularizer=self.kernel_regularizer,
        )
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", name="b")
        self.scale = self.add_weight(
            shape=(self.units,), initializer=lambda s: np.full(s, 1.5), trainable=False
        )

    def call(self, x):
        y = rg.tanh(x @ self.w + self.b) * self.scale
        if self.rate:
            self.add_loss(self.rate * rg.sum(y * y))
        return y

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, rate=self.rate)
        return config


def values(layer):
    return [w.numpy().astype(np.float64) for w in (layer.w, layer.b, layer.scale)]


def forward(layer, x):
    w, b, s = values(layer)
    return np.tanh(x.astype(np.float64) @ w + b) * s


def mse_grads(layer, x, t, rate=0.0):
    """NumPy d/dw, d/db of mean((y - t)**2) + rate * sum(y**2), y = tanh(x w + b) * s."""
    w, b, s = values(layer)
    a = np.tanh(x.astype(np.float64) @ w + b)
    y = a * s
    dy = 2 * (y - t) / y.size + 2 * rate * y
    dz = dy * s * (1 - a**2)
    return x.T.astype(np.float64) @ dz, dz.sum(0)


def one_layer_model(layer, d=4):
    inputs = keras.Input((d,))
    return keras.Model(inputs, layer(inputs))


def test_output_and_weights_lists_follow_keras():
    layer = TanhDense(3)
    x = f32(5, 4)
    y = layer(x)
    assert isinstance(y, rg.Tensor) and y.shape == (5, 3) and layer.built
    np.testing.assert_allclose(y.numpy(), forward(layer, x), rtol=1e-5, atol=1e-6)
    assert [t is u for t, u in zip(layer.weights, [layer.w, layer.b, layer.scale])] == [True] * 3
    assert [t is u for t, u in zip(layer.trainable_weights, [layer.w, layer.b])] == [True] * 2
    assert len(layer.non_trainable_weights) == 1 and layer.non_trainable_weights[0] is layer.scale
    np.testing.assert_array_equal(layer.scale.numpy(), np.full(3, 1.5, np.float32))
    limit = np.sqrt(6 / (4 + 3))  # glorot_uniform
    assert np.all(np.abs(layer.w.numpy()) <= limit) and layer.w.numpy().std() > 0


def test_weights_made_in_init_as_in_the_guide():
    class Linear(layers.Layer):
        def __init__(self, units=32, input_dim=32):
            super().__init__()
            self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal")
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return inputs @ self.w + self.b

    layer = Linear(4, 2)
    out = layer(np.ones((2, 2), np.float32))
    w = layer.w.numpy()
    np.testing.assert_allclose(out.numpy(), np.ones((2, 2)) @ w, rtol=1e-6)
    assert len(layer.weights) == 2 and np.abs(w).max() < 0.05 * 6


def test_backward_gives_the_numpy_gradient():
    layer = TanhDense(3)
    x, t = f32(6, 4), f32(6, 3)
    y = layer(x)
    rg.mean((y - rg.tensor(t)) ** 2).backward()
    gw, gb = mse_grads(layer, x, t)
    np.testing.assert_allclose(layer.w.grad.numpy(), gw, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(layer.b.grad.numpy(), gb, rtol=1e-4, atol=1e-7)
    assert layer.scale.grad is None


@pytest.mark.parametrize("rate", [0.0, 0.05])
def test_one_sgd_step_of_fit_is_w_minus_lr_grad_and_reports_the_added_loss(rate):
    layer = TanhDense(3, rate=rate)
    model = one_layer_model(layer)
    assert isinstance(model._engine(), EagerEngine)
    x, t = f32(8, 4), f32(8, 3)
    gw, gb = mse_grads(layer, x, t, rate)
    w0, b0, s0 = values(layer)
    y = forward(layer, x)
    want_loss = np.mean((y - t) ** 2) + rate * np.sum(y**2)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    hist = model.fit(x, t, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    np.testing.assert_allclose(hist["loss"][0], want_loss, rtol=1e-5)
    np.testing.assert_allclose(layer.w.numpy(), w0 - 0.1 * gw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.b.numpy(), b0 - 0.1 * gb, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(layer.scale.numpy(), s0.astype(np.float32))  # not trained
    # Keras adds the layers' losses in evaluate too.
    y1 = forward(layer, x)
    np.testing.assert_allclose(
        model.evaluate(x, t, verbose=0), np.mean((y1 - t) ** 2) + rate * np.sum(y1**2), rtol=1e-5
    )


def test_add_loss_is_reset_at_each_call_and_seen_by_an_outer_layer():
    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = TanhDense(2, rate=0.5)

        def call(self, x):
            return self.inner(x)

    outer = Outer()
    x = f32(3, 4)
    outer(x)
    assert len(outer.inner.losses) == 1
    outer(x)
    assert len(outer.inner.losses) == 1  # the new call's loss, not two
    y = forward(outer.inner, x)
    np.testing.assert_allclose(float(outer.inner.losses[0]), 0.5 * np.sum(y**2), rtol=1e-5)
    assert [w.shape for w in outer.weights] == [(4, 2), (2,), (2,)]


def test_outer_losses_include_the_inner_layers_losses():
    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = TanhDense(2, rate=0.5)

        def call(self, x):
            return self.inner(x)

    outer = Outer()
    outer(f32(3, 4))
    assert len(outer.losses) == 1


def test_a_regularizer_callable_is_a_loss_and_trains():
    reg = 0.01
    layer = TanhDense(3, kernel_regularizer=lambda w: reg * rg.sum(w * w))
    model = one_layer_model(layer)
    x, t = f32(8, 4), f32(8, 3)
    layer(x)
    w0 = values(layer)[0]
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), reg * np.sum(w0**2), rtol=1e-5)
    gw, _ = mse_grads(layer, x, t)
    y = forward(layer, x)
    model.compile(keras.optimizers.SGD(0.2), "mse")
    loss = model.fit(x, t, batch_size=8, epochs=1, verbose=0).history["loss"][0]
    np.testing.assert_allclose(loss, np.mean((y - t) ** 2) + reg * np.sum(w0**2), rtol=1e-5)
    np.testing.assert_allclose(
        layer.w.numpy(), w0 - 0.2 * (gw + 2 * reg * w0), rtol=1e-5, atol=1e-6
    )
    with pytest.raises(ValueError, match="regularizer must be a callable"):
        TanhDense(2).add_weight(shape=(2,), regularizer=3)


def test_get_config_holds_the_base_keys_and_the_subclass_ones():
    config = TanhDense(7, rate=0.25, name="td").get_config()
    assert config["name"] == "td" and config["trainable"] is True
    assert config["units"] == 7 and config["rate"] == 0.25
    clone = TanhDense(**{k: v for k, v in config.items() if k != "dtype"})
    assert clone.units == 7 and clone.name == "td"


def test_compute_output_shape_override_gives_the_symbolic_shape():
    calls = []

    class FirstTwo(layers.Layer):
        def call(self, x):
            return x[:, :2]

        def compute_output_shape(self, input_shape):
            calls.append(input_shape)
            return (input_shape[0], 2)

    inputs = keras.Input((5,))
    out = FirstTwo()(inputs)
    assert out.shape == (None, 2) and calls == [(None, 5)]
    # Without an override the shape comes from running call.
    assert TanhDense(6)(inputs).shape == (None, 6)


def test_a_layer_without_call_names_the_class_and_call():
    class NoCall(layers.Layer):
        pass

    with pytest.raises(NotImplementedError, match=r"NoCall.*call\("):
        NoCall()(f32(2, 3))
    with pytest.raises(NotImplementedError, match=r"NoCall.*call\("):
        NoCall()(keras.Input((3,)))


# ---- a custom layer in the middle of a functional model -------------------------------------
def test_functional_model_with_a_custom_layer_matches_numpy_and_learns():
    inputs = keras.Input((4,))
    first = layers.Dense(6, activation="relu")
    custom = TanhDense(5)
    last = layers.Dense(1)
    model = keras.Model(inputs, last(custom(first(inputs))))
    assert isinstance(model._engine(), EagerEngine)
    assert [type(la).__name__ for la in model.layers][1:] == ["Dense", "TanhDense", "Dense"]
    x = f32(64, 4)
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3]).astype(np.float32)
    k1, c1 = (w.astype(np.float64) for w in first.get_weights())
    k3, c3 = (w.astype(np.float64) for w in last.get_weights())
    h = np.maximum(x @ k1 + c1, 0)
    w, b, s = values(custom)
    want = (np.tanh(h @ w + b) * s) @ k3 + c3
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    scale0 = custom.scale.numpy().copy()
    model.compile(keras.optimizers.Adam(0.02), "mse")
    loss = model.fit(x, y, batch_size=16, epochs=30, shuffle=False, verbose=0).history["loss"]
    assert loss[-1] < 0.5 * loss[0]
    np.testing.assert_array_equal(custom.scale.numpy(), scale0)
