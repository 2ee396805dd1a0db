"""activity_regularizer (Keras 3: the penalty of a layer's output divided by its batch size) on the
Rust train step and the eager engine: the loss train_on_batch / evaluate report, the gradient
(one SGD step by hand in float64), layer.losses / model.losses, config, and bad arguments."""

import numpy as np
import pytest
import rustgrad as rg
from rustgrad import keras
from rustgrad.keras import layers, regularizers


def data(n=8, d=3, k=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, (n, d)).astype(np.float32), rng.normal(0, 1, (n, k)).astype(np.float32)


def penalty(out, l1=0.0, l2=0.0):
    out = out.astype(np.float64)
    return (l1 * np.abs(out).sum() + l2 * np.square(out).sum()) / out.shape[0]


def dense_model(reg, act=None, eager=False):
    dense = layers.Dense(2, activation=act, activity_regularizer=reg)
    model = keras.Sequential([keras.Input((3,)), dense])
    if eager:
        from rustgrad.keras.models import subclassed

        model._core = subclassed.graph_engine(model)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model, dense


@pytest.mark.parametrize("eager", [False, True], ids=["rust", "eager"])
@pytest.mark.parametrize(
    "reg, l1, l2",
    [(regularizers.L2(0.3), 0.0, 0.3), ("l1", 0.01, 0.0), (regularizers.L1L2(0.1, 0.2), 0.1, 0.2)],
)
def test_reported_loss_is_mse_plus_penalty_of_the_output(eager, reg, l1, l2):
    x, y = data()
    model, dense = dense_model(reg, act="tanh", eager=eager)
    k, b = (w.astype(np.float64) for w in dense.get_weights())
    out = np.tanh(x @ k + b)
    want = np.mean((out - y) ** 2) + penalty(out, l1, l2)
    assert np.isclose(model.evaluate(x, y, batch_size=8, verbose=0), want, rtol=1e-5)
    assert np.isclose(model.train_on_batch(x, y), want, rtol=1e-5)


@pytest.mark.parametrize("eager", [False, True], ids=["rust", "eager"])
def test_gradient_includes_the_activity_penalty(eager):
    x, y = data()
    model, dense = dense_model(regularizers.L2(0.5), eager=eager)
    k, b = (w.astype(np.float64) for w in dense.get_weights())
    out = x @ k + b
    dout = 2 * (out - y) / out.size + 0.5 * 2 * out / out.shape[0]
    model.train_on_batch(x, y)
    np.testing.assert_allclose(dense.kernel.numpy(), k - 0.1 * x.T @ dout, atol=1e-5)
    np.testing.assert_allclose(dense.bias.numpy(), b - 0.1 * dout.sum(0), atol=1e-5)


def test_penalty_scales_with_the_batch_as_keras_3():
    # The same rows in batches of 4 or 8 give the same mean penalty (it is divided per batch).
    x, y = data(n=8)
    model, dense = dense_model(regularizers.L1(0.2))
    k, b = (w.astype(np.float64) for w in dense.get_weights())
    out = x @ k + b
    want = np.mean((out - y) ** 2) + penalty(out, l1=0.2)
    assert np.isclose(model.evaluate(x, y, batch_size=4, verbose=0), want, rtol=1e-5)


def test_layer_and_model_losses_after_a_call():
    x, _ = data()
    dense = layers.Dense(2, activity_regularizer="l2")
    out = dense(x)
    assert len(dense.losses) == 1
    assert np.isclose(float(dense.losses[0].item()), penalty(out.numpy(), l2=0.01), rtol=1e-5)
    inp = keras.Input((3,))
    model = keras.Model(inp, layers.Dense(2, activity_regularizer=regularizers.L1(0.1))(inp))
    model(x)
    assert len(model.losses) == 1


def test_conv2d_conv1d_and_embedding_take_it_too():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (4, 5, 5, 2)).astype(np.float32)
    conv = layers.Conv2D(3, 3, activity_regularizer=regularizers.L2(0.2))
    model = keras.Sequential([keras.Input((5, 5, 2)), conv])
    model.compile(optimizer="sgd", loss="mse")
    y = np.zeros((4, 3, 3, 3), np.float32)
    out = conv(x).numpy()
    want = np.mean(out.astype(np.float64) ** 2) + penalty(out.reshape(4, -1), l2=0.2)
    assert np.isclose(model.evaluate(x, y, verbose=0), want, rtol=1e-5)
    c1 = layers.Conv1D(2, 2, activity_regularizer="l1")
    assert len(c1.get_config()) and c1.get_config()["activity_regularizer"]["class_name"] == "L1"
    emb = layers.Embedding(5, 2, activity_regularizer="l2")
    emb(np.array([[1, 2]], np.float32))
    assert len(emb.losses) == 1


def test_activity_regularization_layer_runs_in_rust():
    x, y = data(k=3)
    model = keras.Sequential([keras.Input((3,)), layers.ActivityRegularization(l1=0.1, l2=0.01)])
    assert not keras.models.subclassed.needs_eager(model)
    model.compile(optimizer="sgd", loss="mse")
    want = np.mean((x - y) ** 2) + penalty(x, 0.1, 0.01)
    assert np.isclose(model.evaluate(x, y, verbose=0), want, rtol=1e-5)


def test_custom_layer_activity_regularizer_on_the_eager_engine():
    class Double(layers.Layer):
        def call(self, x):
            return x * 2.0

    x, y = data(k=3)
    layer = Double(activity_regularizer=regularizers.L2(0.1))
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile(optimizer="sgd", loss="mse")
    want = np.mean((2 * x - y) ** 2) + penalty(2 * x, l2=0.1)
    assert np.isclose(model.evaluate(x, y, verbose=0), want, rtol=1e-5)
    layer(rg.tensor(x))
    assert len(layer.losses) == 1
    # A custom layer takes any callable, as Keras does.
    other = Double(activity_regularizer=lambda t: rg.reduce_sum(t) * 0.5)
    out = other(rg.tensor(x))
    assert np.isclose(float(other.losses[0].item()), 0.5 * out.numpy().sum() / 8, rtol=1e-5)


def test_config_and_bad_arguments():
    d = layers.Dense(2, activity_regularizer=regularizers.L1L2(0.1, 0.2))
    assert d.get_config()["activity_regularizer"] == {
        "module": "keras.regularizers",
        "class_name": "L1L2",
        "config": {"l1": 0.1, "l2": 0.2},
        "registered_name": None,
    }
    # Keras 3's Dense config has no such key when none is set; Conv2D's holds None.
    assert "activity_regularizer" not in layers.Dense(2).get_config()
    assert layers.Conv2D(2, 3).get_config()["activity_regularizer"] is None
    again = layers.Dense.from_config(d.get_config())
    assert again.get_config()["activity_regularizer"] == d.get_config()["activity_regularizer"]
    assert isinstance(d.activity_regularizer, regularizers.L1L2)
    with pytest.raises(ValueError, match="Dense.*activity_regularizer.*l3"):
        layers.Dense(2, activity_regularizer="l3")
    with pytest.raises(NotImplementedError, match="activity_regularizer"):
        layers.Dense(2, activity_regularizer=lambda t: t.sum())
    with pytest.raises(ValueError, match="l2.*-1"):
        layers.Dense(2, activity_regularizer=regularizers.L2(-1))
