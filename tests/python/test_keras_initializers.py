"""keras.initializers and keras.regularizers on Dense and Conv2D: every initializer by name and
by object (statistics, bounds, seeds, orthogonality), the regularization term fit and evaluate add
to the loss (as NumPy computes it) on the graph and eager engines, and the errors for bad names."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

init, reg, layers = keras.initializers, keras.regularizers, keras.layers
rng = np.random.default_rng(7)

# name -> (expected std or None, bound or None) for a (400, 300) kernel: fan_in 400, fan_out 300.
FI, FO = 400, 300
STATS = {
    "glorot_uniform": (np.sqrt(2 / (FI + FO)), np.sqrt(6 / (FI + FO))),
    "glorot_normal": (np.sqrt(2 / (FI + FO)), 2 * np.sqrt(2 / (FI + FO)) / 0.8796),
    "he_uniform": (np.sqrt(2 / FI), np.sqrt(6 / FI)),
    "he_normal": (np.sqrt(2 / FI), 2 * np.sqrt(2 / FI) / 0.8796),
    "lecun_uniform": (np.sqrt(1 / FI), np.sqrt(3 / FI)),
    "lecun_normal": (np.sqrt(1 / FI), 2 * np.sqrt(1 / FI) / 0.8796),
    "random_uniform": (0.1 / np.sqrt(12), 0.05),
    "random_normal": (0.05, None),
    "truncated_normal": (0.05 * 0.8796, 0.1),
    "variance_scaling": (np.sqrt(1 / FI), 2 * np.sqrt(1 / FI) / 0.8796),
}


def dense_kernel(k, **kw):
    layer = layers.Dense(FO, kernel_initializer=k, **kw)
    layer.build((None, FI))
    return layer.kernel.numpy()


@pytest.mark.parametrize("name", sorted(STATS))
def test_every_initializer_by_name_has_keras_statistics(name):
    std, bound = STATS[name]
    w = dense_kernel(name)
    assert abs(w.mean()) < 0.05 * std + 1e-4
    assert abs(w.std() - std) < 0.03 * std, (w.std(), std)
    if bound is not None:
        assert np.abs(w).max() <= bound * (1 + 1e-5)


@pytest.mark.parametrize("name, value", [("zeros", 0.0), ("ones", 1.0), (init.Constant(0.3), 0.3)])
def test_constant_initializers(name, value):
    assert np.all(dense_kernel(name) == np.float32(value))
    layer = layers.Dense(3, bias_initializer=name)
    layer.build((None, 2))
    assert np.all(layer.bias.numpy() == np.float32(value))


def test_seeded_objects_repeat_and_unseeded_follow_numpy_seed():
    a = dense_kernel(init.HeNormal(seed=4))
    b = dense_kernel(init.HeNormal(seed=4))
    c = dense_kernel(init.HeNormal(seed=5))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    np.random.seed(1)
    d = dense_kernel(init.GlorotNormal())
    np.random.seed(1)
    assert np.array_equal(d, dense_kernel("GlorotNormal"))
    v = init.RandomUniform(-1, 1, seed=2)((3, 4))
    assert v.dtype == np.float32 and v.shape == (3, 4) and np.abs(v).max() <= 1


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 3, 2, 5)])
def test_orthogonal_is_orthogonal(shape):
    w = init.Orthogonal(gain=2.0, seed=0)(shape).reshape(-1, shape[-1]).astype(np.float64)
    small = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    assert np.allclose(small, 4.0 * np.eye(small.shape[0]), atol=1e-5)
    k = dense_kernel("orthogonal")
    assert np.allclose(k.T @ k, np.eye(FO), atol=1e-4)


def test_variance_scaling_modes_and_conv2d_fans():
    w = init.VarianceScaling(2.0, "fan_out", "uniform", seed=1)((500, 200))
    assert np.abs(w).max() <= np.sqrt(3 * 2.0 / 200) + 1e-6
    conv = layers.Conv2D(64, 3, kernel_initializer="he_uniform", bias_initializer="ones")
    conv.build((None, 8, 8, 16))
    k = conv.kernel.numpy()
    assert k.shape == (3, 3, 16, 64) and np.abs(k).max() <= np.sqrt(6 / (9 * 16)) + 1e-6
    assert abs(k.std() - np.sqrt(2 / (9 * 16))) < 0.05 * np.sqrt(2 / (9 * 16))
    assert np.all(conv.bias.numpy() == 1.0)
    cfg = layers.Dense(2, kernel_initializer="he_normal").get_config()
    assert cfg["kernel_initializer"]["class_name"] == "HeNormal"


def test_add_weight_shares_the_table():
    class L(layers.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(50, 40), initializer=init.Orthogonal(seed=3))

        def call(self, x):
            return x @ self.w

    layer = L()
    layer(np.zeros((1, 50), np.float32))
    w = layer.w.numpy()
    assert np.allclose(w.T @ w, np.eye(40), atol=1e-5)


def reg_ref(w, b, l1, l2, bl2):
    return l1 * np.abs(w).sum() + l2 * (w**2).sum() + bl2 * (b**2).sum()


@pytest.mark.parametrize("eager", [False, True])
def test_regularizers_add_to_the_loss_and_gradient(eager):
    x, y = rng.normal(size=(8, 3)).astype(np.float32), rng.normal(size=(8, 2)).astype(np.float32)
    dense = layers.Dense(
        2,
        kernel_regularizer=reg.l1_l2(l1=0.01, l2=0.1),
        bias_regularizer="l2",
        bias_initializer=init.Constant(0.5),
    )
    inp = keras.Input((3,))
    h = layers.Lambda(lambda t: t)(inp) if eager else inp
    model = keras.Model(inp, dense(h))
    assert keras.models.subclassed.needs_eager(model) == eager
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    w, b = dense.kernel.numpy().astype(np.float64), dense.bias.numpy().astype(np.float64)
    mse = ((x @ w + b - y) ** 2).mean()
    got = model.evaluate(x, y, batch_size=8, verbose=0)
    assert np.isclose(got, mse + reg_ref(w, b, 0.01, 0.1, 0.01), rtol=1e-5)
    d_out = 2 * (x @ w + b - y) / y.size
    gw = x.T @ d_out + 0.01 * np.sign(w) + 0.2 * w
    gb = d_out.sum(0) + 0.02 * b
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert np.allclose(dense.kernel.numpy(), w - 0.1 * gw, atol=1e-5)
    assert np.allclose(dense.bias.numpy(), b - 0.1 * gb, atol=1e-5)
    assert len(dense.losses) == 1


def test_conv2d_regularizer_in_sequential():
    x = rng.normal(size=(4, 5, 5, 2)).astype(np.float32)
    conv = layers.Conv2D(3, 3, kernel_regularizer=reg.L2(0.5), use_bias=False)
    model = keras.Sequential([keras.Input((5, 5, 2)), conv, layers.Flatten()])
    model.compile(optimizer="sgd", loss="mse")
    y = np.zeros((4, 27), np.float32)
    pred = model.predict(x, verbose=0)
    want = (pred**2).mean() + 0.5 * (conv.kernel.numpy() ** 2).sum()
    assert np.isclose(model.evaluate(x, y, verbose=0), want, rtol=1e-5)


def test_regularizer_objects_and_names():
    w = tf.constant([[1.0, -2.0], [3.0, 0.0]])
    assert np.isclose(reg.L1(0.1)(w).numpy(), 0.6)
    assert np.isclose(reg.L2()(w).numpy(), 0.14)
    assert reg.get("l1").l1 == 0.01 and reg.get("l1_l2").get_config() == {"l1": 0.0, "l2": 0.0}
    with pytest.raises(ValueError, match="l1.*-1"):
        reg.L1(-1)


@pytest.mark.parametrize(
    "kw, err, words",
    [
        (
            {"kernel_initializer": "nope"},
            ValueError,
            ["Dense", "kernel_initializer", "nope", "he_normal"],
        ),
        ({"bias_regularizer": "l3"}, ValueError, ["Dense", "bias_regularizer", "l3"]),
        ({"kernel_regularizer": lambda w: 0.0}, NotImplementedError, ["kernel_regularizer"]),
        (
            {"activity_regularizer": lambda y: 0.0},
            NotImplementedError,
            ["activity_regularizer"],
        ),
        ({"kernel_constraint": "max_nrm"}, ValueError, ["kernel_constraint", "max_norm"]),
    ],
)
def test_bad_weight_options(kw, err, words):
    with pytest.raises(err) as e:
        layers.Dense(2, **kw)
    assert all(w in str(e.value) for w in words), str(e.value)
    with pytest.raises(ValueError, match="seed"):
        init.GlorotUniform(seed="a")
    with pytest.raises(ValueError, match="mode"):
        init.VarianceScaling(mode="fan_x")


KERAS_ALIASES = """
import json, keras
I = keras.initializers
print(json.dumps({n: getattr(I, n).__name__ for n in dir(I)
                  if isinstance(getattr(I, n), type) and n != getattr(I, n).__name__}))
"""


def test_keras_other_names_are_the_same_classes():
    from keras_interop_helpers import run_keras

    I = keras.initializers
    pairs = json.loads(run_keras(KERAS_ALIASES))
    assert len(pairs) >= 15
    for alias, cls in pairs.items():
        if hasattr(I, cls):  # STFT is the one class rustgrad lacks
            assert getattr(I, alias) is getattr(I, cls), alias
    w = I.glorot_uniform(seed=3)((4, 5))
    np.testing.assert_array_equal(np.asarray(w), np.asarray(I.GlorotUniform(seed=3)((4, 5))))


def test_deserialize_is_serialize_reversed():
    I = keras.initializers
    init = I.RandomNormal(mean=1.0, stddev=0.5, seed=2)
    back = I.deserialize(I.serialize(init))
    assert type(back) is I.RandomNormal and back.get_config() == init.get_config()

    class Halves(I.Initializer):
        def __call__(self, shape, dtype=None):
            return np.full(shape, 0.5, np.float32)

    got = I.deserialize({"class_name": "Halves", "config": {}}, custom_objects={"Halves": Halves})
    assert isinstance(got, Halves)
    with pytest.raises(ValueError, match="class_name"):
        I.deserialize("zeros")
    with pytest.raises(ValueError, match="unknown initializer"):
        I.deserialize({"class_name": "Nope", "config": {}})
