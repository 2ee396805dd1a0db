"""keras.layers' activation layers (Softmax, ReLU, LeakyReLU, ELU, PReLU) against NumPy and Keras'
documented examples: values, gradients through a tape and through fit, Sequential and functional
models, get_config, and bad arguments named in the error."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

layers = keras.layers
rng = np.random.default_rng(3)
X = [-3.0, -1.0, 0.0, 2.0]


def run(layer, x):
    return layer(np.asarray(x, np.float32)[None]).numpy()[0]


def test_relu_matches_keras_documented_examples():
    assert np.allclose(run(layers.ReLU(), X), [0, 0, 0, 2])
    assert np.allclose(run(layers.ReLU(max_value=1.0), X), [0, 0, 0, 1])
    assert np.allclose(run(layers.ReLU(negative_slope=1.0), X), [-3, -1, 0, 2])
    assert np.allclose(run(layers.ReLU(threshold=1.5), X), [0, 0, 0, 2])


def relu_ref(x, max_value, slope, threshold):
    pos = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        pos = np.clip(pos, 0.0, max_value)
    return pos - slope * np.maximum(threshold - x, 0.0)


@pytest.mark.parametrize(
    "args", [(None, 0.0, 0.0), (6.0, 0.1, 0.5), (2.0, 0.0, -0.5), (None, 0.2, 1.0)]
)
def test_relu_with_every_argument_matches_numpy(args):
    x = rng.normal(size=(5, 7)).astype(np.float32) * 3
    layer = layers.ReLU(max_value=args[0], negative_slope=args[1], threshold=args[2])
    assert np.allclose(layer(x).numpy(), relu_ref(x, *args), atol=1e-6)


def test_leaky_relu_default_and_alpha_alias():
    x = np.asarray([[-10.0, -5.0, 0.0, 5.0, 10.0]], np.float32)
    assert np.allclose(layers.LeakyReLU()(x).numpy(), [[-3.0, -1.5, 0, 5, 10]])
    assert np.allclose(layers.LeakyReLU(alpha=0.1)(x).numpy(), [[-1.0, -0.5, 0, 5, 10]])
    assert layers.LeakyReLU(negative_slope=0.2).get_config()["negative_slope"] == 0.2


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_elu_matches_numpy(alpha):
    x = rng.normal(size=(4, 6)).astype(np.float32)
    want = np.where(x > 0, x, alpha * (np.exp(x) - 1))
    assert np.allclose(layers.ELU(alpha=alpha)(x).numpy(), want, atol=1e-6)


@pytest.mark.parametrize("axis", [-1, 1])
def test_softmax_along_axis(axis):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    got = layers.Softmax(axis=axis)(x).numpy()
    assert np.allclose(got, e / e.sum(axis=axis, keepdims=True), atol=1e-6)
    assert layers.Softmax(axis=axis).get_config()["axis"] == axis


def test_gradients_through_a_tape_match_numpy():
    x = tf.Variable(rng.normal(size=(3, 5)).astype(np.float32))
    for layer, dref in [
        (layers.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2), None),
        (layers.LeakyReLU(0.3), lambda v: np.where(v >= 0, 1.0, 0.3)),
        (layers.ELU(0.7), lambda v: np.where(v > 0, 1.0, 0.7 * np.exp(v))),
    ]:
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(layer(x))
        g = tape.gradient(y, x).numpy()
        v = x.numpy().astype(np.float64)
        if dref is None:  # central differences of the NumPy reference, in float64
            h = 1e-6
            ref = (relu_ref(v + h, 1.0, 0.1, 0.2) - relu_ref(v - h, 1.0, 0.1, 0.2)) / (2 * h)
        else:
            ref = dref(v)
        assert np.allclose(g, ref, atol=1e-4), type(layer).__name__


def test_prelu_learns_its_slope_in_fit_as_numpy_says():
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 3)).astype(np.float32)
    layer = layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25))
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    assert np.allclose(layer.alpha.numpy(), 0.25) and layer.alpha.shape == (3,)
    a = np.full(3, 0.25)
    out = np.where(x > 0, x, a * x)
    grad = (2 * (out - y) * np.minimum(x, 0)).sum(0) / y.size
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    assert np.allclose(layer.alpha.numpy(), a - 0.1 * grad, atol=1e-5)
    assert [w.name for w in layer.weights] == ["alpha"]


def test_prelu_shared_axes_and_values():
    layer = layers.PReLU(shared_axes=[1, 2], alpha_initializer="ones")
    x = rng.normal(size=(2, 4, 5, 3)).astype(np.float32)
    assert np.allclose(layer(x).numpy(), x)
    assert layer.alpha.shape == (1, 1, 3)
    assert layer.get_config()["shared_axes"] == [1, 2]


def test_activation_layers_in_a_functional_model_train_on_the_graph_engine():
    inp = keras.Input((4,))
    h = layers.Dense(8)(inp)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.PReLU()(h)
    h = layers.ReLU(max_value=6.0)(layers.ELU()(h))
    out = layers.Softmax()(layers.Dense(3)(h))
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=20, verbose=0)
    assert model.evaluate(x, y, verbose=0) < first
    assert not keras.models.subclassed.needs_eager(model)
    assert np.allclose(model.predict(x, verbose=0).sum(1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: layers.ReLU(max_value=-1), ["ReLU", "max_value", "-1"]),
        (lambda: layers.ReLU(negative_slope=-0.5), ["ReLU", "negative_slope"]),
        (lambda: layers.LeakyReLU(negative_slope="x"), ["LeakyReLU", "'x'"]),
        (lambda: layers.PReLU(alpha_initializer="nope"), ["PReLU", "nope", "valid names"]),
    ],
)
def test_bad_arguments_name_the_layer_and_value(make, words):
    with pytest.raises(ValueError) as e:
        make()
    assert all(w in str(e.value) for w in words), str(e.value)


def test_softmax_bad_axis_and_unsupported_arguments():
    with pytest.raises(ValueError, match="Softmax.*axis 3"):
        layers.Softmax(axis=3)(np.zeros((2, 3), np.float32))
    with pytest.raises(NotImplementedError, match="Softmax"):
        layers.Softmax(axis=(1, 2))
    with pytest.raises(ValueError, match="PReLU.*alpha_constraint.*non_negative"):
        layers.PReLU(alpha_constraint="non_negative")
