"""Dense on input of any rank acts on the last axis, as in Keras: values, gradients, shapes,
summary, and training with N-D targets (dense and sparse labels)."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from rustgrad import keras

rng = np.random.default_rng(19)


def _dense(units, input_shape, activation=None):
    layer = keras.layers.Dense(units, activation=activation)
    layer.build((None, *input_shape))
    k = rng.normal(size=(input_shape[-1], units)).astype(np.float32)
    b = rng.normal(size=units).astype(np.float32)
    layer.set_weights([k, b])
    return layer, k.astype(np.float64), b.astype(np.float64)


@pytest.mark.parametrize("shape", [(4, 3, 5), (2, 3, 2, 5)])
def test_values_are_the_last_axis_product(shape):
    layer, k, b = _dense(4, shape[1:], "tanh")
    x = rng.normal(size=shape).astype(np.float32)
    out = layer(x).numpy()
    assert out.shape == (*shape[:-1], 4)
    np.testing.assert_allclose(out, np.tanh(x.astype(np.float64) @ k + b), rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *shape[1:-1], 4)


def test_gradients_reach_input_kernel_and_bias():
    layer, _, _ = _dense(4, (3, 5), "sigmoid")
    x = rng.normal(size=(2, 3, 5)).astype(np.float32)
    xt = rg.tensor(x)
    (layer.core(xt) * rg.tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4))).sum().backward()
    kernel, bias = layer.trainable_weights
    # The kernel's gradient sums over every leading position: the 2-D reshape's gradient.
    x2 = x.reshape(6, 5).astype(np.float64)
    z = x2 @ kernel.numpy().astype(np.float64) + bias.numpy()
    s = 1 / (1 + np.exp(-z))
    dz = np.arange(24).reshape(6, 4) * s * (1 - s)
    np.testing.assert_allclose(kernel.grad.numpy(), x2.T @ dz, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bias.grad.numpy(), dz.sum(0), rtol=1e-4, atol=1e-4)
    assert rg.gradcheck(lambda t: layer.core(t), [x], eps=1e-2, atol=2e-3, rtol=2e-2)


def test_summary_shows_the_nd_output_and_keras_param_count():
    m = keras.Sequential([keras.Input((3, 5)), keras.layers.Dense(4)])
    lines: list[str] = []
    m.summary(print_fn=lines.append)
    assert any("(None, 3, 4)" in line and "24" in line for line in lines), lines
    assert m.output_shape == (None, 3, 4) and m.count_params() == 24


def test_fit_on_sequences_with_nd_targets():
    x = rng.normal(size=(64, 3, 5)).astype(np.float32)
    w = rng.normal(size=(5, 2)).astype(np.float32)
    y = x @ w
    m = keras.Sequential(
        [keras.Input((3, 5)), keras.layers.Dense(8, "relu"), keras.layers.Dense(2)]
    )
    m.compile(keras.optimizers.Adam(0.02), "mse")
    h = m.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert h.history["loss"][-1] < 0.2 * h.history["loss"][0]
    assert m.predict(x).shape == (64, 3, 2)
    # evaluate's loss is the loss object's on the predictions.
    p = m.predict(x)
    assert m.evaluate(x, y, batch_size=64, verbose=0) == pytest.approx(
        float(keras.losses.MeanSquaredError()(y, p)), rel=1e-5
    )


def test_sparse_labels_per_position():
    x = rng.normal(size=(48, 3, 4)).astype(np.float32)
    labels = np.argmax(x[..., :3], -1).astype(np.float32)  # separable by a linear softmax
    m = keras.Sequential([keras.Input((3, 4)), keras.layers.Dense(3, "softmax")])
    m.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(x, labels, epochs=40, batch_size=16, verbose=0)
    assert h.history["accuracy"][-1] > 0.9
    p = m.predict(x).astype(np.float64)
    expected = np.mean(-np.log(np.take_along_axis(p, labels[..., None].astype(int), -1)))
    loss, acc = m.evaluate(x, labels[..., None], batch_size=48, verbose=0)
    assert loss == pytest.approx(expected, rel=1e-4)
    assert acc == pytest.approx(np.mean(p.argmax(-1) == labels), abs=1e-6)
    with pytest.raises(ValueError, match=r"\(48, 3\)"):
        m.evaluate(x, labels[:, :2], verbose=0)


def test_dense_after_conv_acts_per_pixel():
    x = rng.normal(size=(2, 4, 4, 3)).astype(np.float32)
    m = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(2, 3), keras.layers.Dense(5)])
    assert m.output_shape == (None, 2, 2, 5)
    assert m.predict(x).shape == (2, 2, 2, 5)


def test_layer_activation_is_a_callable_name():
    import json

    d = keras.layers.Dense(2, activation="relu")
    assert d.activation == "relu" and d.activation.__name__ == "relu"
    np.testing.assert_array_equal(d.activation(np.array([-1.0, 2.0], np.float32)).numpy(), [0, 2])
    assert json.dumps(d.get_config()["activation"]) == '"relu"'
    conv = keras.layers.Conv2D(2, 3, activation=keras.activations.sigmoid)
    assert conv.activation.__name__ == "sigmoid"
    assert keras.layers.Dense(1).activation.__name__ == "linear"
