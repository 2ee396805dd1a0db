"""keras.layers' utility layers (Identity, Rescaling, Permute, RepeatVector, GaussianNoise,
GaussianDropout, ActivityRegularization, Lambda, global poolings) against NumPy: values, shapes in
functional models, training-only noise, the loss ActivityRegularization adds, and bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

layers = keras.layers
rng = np.random.default_rng(5)


def f32(*shape):
    return rng.normal(size=shape).astype(np.float32)


def test_identity_rescaling_permute_repeat_values():
    x = f32(2, 3, 4)
    assert np.array_equal(layers.Identity()(x).numpy(), x)
    assert np.allclose(layers.Rescaling(1 / 255)(x).numpy(), x / 255)
    scale = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    assert np.allclose(layers.Rescaling(scale, offset=-1.0)(x).numpy(), x * scale - 1.0)
    assert np.array_equal(layers.Permute((2, 1))(x).numpy(), x.transpose(0, 2, 1))
    v = f32(2, 5)
    assert np.array_equal(layers.RepeatVector(3)(v).numpy(), np.repeat(v[:, None], 3, axis=1))


def test_symbolic_shapes_in_a_functional_model():
    inp = keras.Input((3, 4))
    p = layers.Permute((2, 1))(inp)
    assert p.shape == (None, 4, 3)
    g = layers.GlobalMaxPooling1D()(p)
    assert g.shape == (None, 3)
    r = layers.RepeatVector(5)(g)
    assert r.shape == (None, 5, 3)
    out = layers.GlobalAveragePooling1D()(r)
    model = keras.Model(inp, out)
    x = f32(2, 3, 4)
    want = x.transpose(0, 2, 1).max(axis=1)
    assert np.allclose(model.predict(x, verbose=0), want, atol=1e-6)


def test_global_poolings_match_numpy():
    x = f32(2, 4, 5, 3)
    assert np.allclose(layers.GlobalMaxPooling2D()(x).numpy(), x.max(axis=(1, 2)))
    kept = layers.GlobalMaxPooling2D(keepdims=True)
    assert kept(x).numpy().shape == (2, 1, 1, 3)
    s = f32(2, 6, 3)
    assert np.allclose(layers.GlobalAveragePooling1D()(s).numpy(), s.mean(1), atol=1e-6)
    assert np.allclose(layers.GlobalMaxPooling1D()(s).numpy(), s.max(1))
    with pytest.raises(ValueError, match="GlobalMaxPooling2D.*4-D"):
        layers.GlobalMaxPooling2D()(s)


def test_global_max_pooling_gradient_goes_to_the_max():
    x = tf.Variable(f32(2, 3, 3, 2))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layers.GlobalMaxPooling2D()(x))
    g = tape.gradient(y, x).numpy()
    v = x.numpy()
    assert np.array_equal(g, (v == v.max(axis=(1, 2), keepdims=True)).astype(np.float32))


def test_gaussian_noise_and_dropout_only_while_training():
    x = np.ones((200, 50), np.float32)
    noise = layers.GaussianNoise(0.5, seed=1)
    assert np.array_equal(noise(x).numpy(), x)
    y = noise(x, training=True).numpy() - 1.0
    assert abs(y.mean()) < 0.02 and abs(y.std() - 0.5) < 0.02
    drop = layers.GaussianDropout(0.2, seed=1)
    assert np.array_equal(drop(x).numpy(), x)
    z = drop(x, training=True).numpy()
    assert abs(z.mean() - 1.0) < 0.02 and abs(z.std() - np.sqrt(0.2 / 0.8)) < 0.02
    a = layers.GaussianNoise(0.5, seed=9)(x, training=True).numpy()
    b = layers.GaussianNoise(0.5, seed=9)(x, training=True).numpy()
    assert np.array_equal(a, b)


def test_noise_layers_train_in_sequential():
    model = keras.Sequential(
        [
            keras.Input((4,)),
            layers.Rescaling(0.5),
            layers.GaussianNoise(0.1, seed=2),
            layers.Dense(8, activation="relu"),
            layers.GaussianDropout(0.1, seed=3),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    x, y = f32(64, 4), f32(64, 1)
    h = model.fit(x, y, epochs=5, verbose=0)
    assert np.isfinite(h.history["loss"]).all()
    assert not keras.models.subclassed.needs_eager(model)


def test_activity_regularization_adds_its_loss_as_keras_3():
    x, y = f32(8, 3), f32(8, 3)
    model = keras.Sequential([keras.Input((3,)), layers.ActivityRegularization(l1=0.1, l2=0.01)])
    model.compile(optimizer="sgd", loss="mse")
    got = model.evaluate(x, y, batch_size=8, verbose=0)
    want = ((x - y) ** 2).mean() + (0.1 * np.abs(x).sum() + 0.01 * (x**2).sum()) / 8
    assert np.isclose(got, want, rtol=1e-5)
    assert layers.ActivityRegularization(l2=0.5).get_config()["l2"] == 0.5


def test_activity_regularization_gradient_in_fit():
    # Dense(1) without bias, then ActivityRegularization(l2): one SGD step by hand in float64.
    x, y = f32(8, 2), f32(8, 1)
    dense = layers.Dense(1, use_bias=False)
    model = keras.Sequential([keras.Input((2,)), dense, layers.ActivityRegularization(l2=0.3)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    w = dense.kernel.numpy().astype(np.float64)
    out = x @ w
    grad = x.T @ (2 * (out - y) / 8 + 0.3 * 2 * out / 8)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert np.allclose(dense.kernel.numpy(), w - 0.1 * grad, atol=1e-5)


def test_lambda_runs_on_the_eager_engine_in_fit_and_under_a_tape():
    inp = keras.Input((3,))
    h = layers.Lambda(lambda t: t * 2.0 + 1.0)(inp)
    out = layers.Dense(1)(h)
    model = keras.Model(inp, out)
    assert keras.models.subclassed.needs_eager(model)
    x, y = f32(16, 3), f32(16, 1)
    model.compile(optimizer="adam", loss="mse")
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=10, verbose=0)
    assert model.evaluate(x, y, verbose=0) < first
    lam = layers.Lambda(lambda t, k: tf.reduce_sum(t * k, axis=-1), arguments={"k": 3.0})
    v = tf.Variable(f32(2, 3))
    with tf.GradientTape() as tape:
        s = tf.reduce_sum(lam(v))
    assert np.allclose(tape.gradient(s, v).numpy(), 3.0)
    assert lam.get_config()["arguments"] == {"k": 3.0}


@pytest.mark.parametrize(
    "make, err, words",
    [
        (lambda: layers.RepeatVector(0), ValueError, ["RepeatVector", "0"]),
        (lambda: layers.Permute((1, 3)), ValueError, ["Permute", "(1, 3)"]),
        (lambda: layers.GaussianNoise(-1.0), ValueError, ["GaussianNoise", "-1.0"]),
        (lambda: layers.GaussianDropout(1.0), ValueError, ["GaussianDropout", "1.0"]),
        (lambda: layers.Rescaling("x"), ValueError, ["Rescaling", "'x'"]),
        (lambda: layers.ActivityRegularization(l1=-1), ValueError, ["l1", "-1"]),
        (lambda: layers.Lambda(3), TypeError, ["Lambda", "3"]),
        (lambda: layers.Lambda(abs, mask=lambda *a: None), NotImplementedError, ["mask"]),
        (
            lambda: layers.GlobalMaxPooling2D(data_format="channels_first"),
            NotImplementedError,
            ["channels_first"],
        ),
    ],
)
def test_bad_arguments(make, err, words):
    with pytest.raises(err) as e:
        make()
    assert all(w in str(e.value) for w in words), str(e.value)


def test_repeat_vector_needs_2d_input():
    with pytest.raises(ValueError, match="RepeatVector.*2-D"):
        layers.RepeatVector(2)(keras.Input((3, 4)))
