"""DepthwiseConv2D and SeparableConv2D (keras/layers/depthwise.py, src/ops/depthwise.rs) against
NumPy float64 loops: outputs, gradients, shapes, config, a short fit, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

L = keras.layers
RNG = np.random.default_rng(3)


def depthwise_ref(x, k, bias, strides, padding, dil=(1, 1)):
    """TF's depthwise_conv2d: output channel c*dm + m = sum over taps of x[..., c] * k[a, b, c, m]."""
    n, h, w, c = x.shape
    kh, kw, _, dm = k.shape
    size, pads = [], []
    for m, kk, s, d in zip((h, w), (kh, kw), strides, dil):
        eff = (kk - 1) * d + 1
        out = -(-m // s) if padding == "same" else (m - eff) // s + 1
        total = max((out - 1) * s + eff - m, 0) if padding == "same" else 0
        size.append(out)
        pads.append((total // 2, total - total // 2))
    xp = np.pad(x, ((0, 0), *pads, (0, 0)))
    y = np.zeros((n, *size, c, dm))
    for i in range(size[0]):
        for j in range(size[1]):
            for a in range(kh):
                for b in range(kw):
                    v = xp[:, i * strides[0] + a * dil[0], j * strides[1] + b * dil[1]]
                    y[:, i, j] += v[..., None] * k[a, b]
    return y.reshape(n, *size, c * dm) + (0 if bias is None else bias)


def grads(layer, x, c):
    xv = tf.Variable(x.astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(xv)
        loss = (layer(xv) * tf.constant(c.astype(np.float32))).sum()
    return [np.asarray(g) for g in tape.gradient(loss, [xv, *layer.trainable_weights])]


def numeric(f, v, eps=1e-6):
    out = np.zeros_like(v)
    for i in np.ndindex(v.shape):
        e = np.zeros_like(v)
        e[i] = eps
        out[i] = (f(v + e) - f(v - e)) / (2 * eps)
    return out


CASES = [
    (3, (1, 1), "valid", (1, 1), 1),
    (3, (2, 2), "same", (1, 1), 2),
    (2, (1, 1), "same", (2, 2), 3),
    ((1, 3), (1, 2), "valid", (1, 1), 1),
    (1, (1, 1), "valid", (1, 1), 2),
]


@pytest.mark.parametrize("k,s,padding,d,dm", CASES)
def test_depthwise_matches_numpy_with_gradients(k, s, padding, d, dm):
    x = RNG.standard_normal((2, 6, 5, 3))
    layer = L.DepthwiseConv2D(k, strides=s, padding=padding, depth_multiplier=dm, dilation_rate=d)
    shape = layer.compute_output_shape((None, 6, 5, 3))
    layer.build((None, 6, 5, 3))
    kern = layer.kernel.numpy().astype(np.float64)
    bias = RNG.standard_normal(3 * dm)
    layer.bias.assign(bias.astype(np.float32))
    want = depthwise_ref(x, kern, bias, s, padding, d)
    assert kern.shape == (*((k, k) if isinstance(k, int) else k), 3, dm)
    assert want.shape == (2, *shape[1:]) and shape[-1] == 3 * dm
    np.testing.assert_allclose(layer(x.astype(np.float32)).numpy(), want, atol=1e-4)
    c = RNG.standard_normal(want.shape)
    gx, gk, gb = grads(layer, x, c)
    f = lambda xx, kk: (depthwise_ref(xx, kk, bias, s, padding, d) * c).sum()
    np.testing.assert_allclose(gx, numeric(lambda v: f(v, kern), x), atol=1e-3)
    np.testing.assert_allclose(gk, numeric(lambda v: f(x, v), kern), atol=1e-3)
    np.testing.assert_allclose(gb, c.sum((0, 1, 2)), atol=1e-3)


@pytest.mark.parametrize("k,s,padding,d,dm", CASES[:3])
def test_separable_matches_numpy_with_gradients(k, s, padding, d, dm):
    x = RNG.standard_normal((2, 6, 5, 3))
    layer = L.SeparableConv2D(
        4, k, strides=s, padding=padding, dilation_rate=d, depth_multiplier=dm, activation="tanh"
    )
    layer.build((None, 6, 5, 3))
    dk, pk = (w.numpy().astype(np.float64) for w in layer.weights[:2])
    bias = RNG.standard_normal(4)
    layer.bias.assign(bias.astype(np.float32))
    assert pk.shape == (1, 1, 3 * dm, 4)

    def ref(xx, dkk, pkk):
        return np.tanh(depthwise_ref(xx, dkk, None, s, padding, d) @ pkk[0, 0] + bias)

    want = ref(x, dk, pk)
    assert layer.compute_output_shape((None, 6, 5, 3)) == (None, *want.shape[1:])
    np.testing.assert_allclose(layer(x.astype(np.float32)).numpy(), want, atol=1e-4)
    c = RNG.standard_normal(want.shape)
    gx, gdk, gpk, gb = grads(layer, x, c)
    np.testing.assert_allclose(gx, numeric(lambda v: (ref(v, dk, pk) * c).sum(), x), atol=1e-3)
    np.testing.assert_allclose(gdk, numeric(lambda v: (ref(x, v, pk) * c).sum(), dk), atol=1e-3)
    np.testing.assert_allclose(gpk, numeric(lambda v: (ref(x, dk, v) * c).sum(), pk), atol=1e-3)
    np.testing.assert_allclose(gb, ((1 - want**2) * c).sum((0, 1, 2)), atol=1e-3)


def test_weights_config_and_options():
    d = L.DepthwiseConv2D(3, depth_multiplier=2, depthwise_initializer="ones", use_bias=False)
    d.build((None, 5, 5, 4))
    assert [w.name for w in d.weights] == ["kernel"] and d.count_params() == 3 * 3 * 4 * 2
    np.testing.assert_array_equal(d.kernel.numpy(), np.ones((3, 3, 4, 2)))
    cfg = d.get_config()
    assert cfg["depthwise_initializer"]["class_name"] == "Ones" and cfg["depth_multiplier"] == 2
    assert "kernel_initializer" not in cfg and cfg["use_bias"] is False
    s = L.SeparableConv2D(6, 3, depthwise_regularizer=keras.regularizers.l2(0.5))
    s.build((None, 5, 5, 2))
    assert [w.name for w in s.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert s.count_params() == 3 * 3 * 2 + 2 * 6 + 6
    dk = s.depthwise_kernel.numpy()
    assert float(s.core.penalty().numpy()) == pytest.approx(0.5 * float((dk**2).sum()), rel=1e-5)
    keys = {"filters", "depth_multiplier", "pointwise_initializer", "pointwise_regularizer"}
    assert keys <= set(s.get_config())
    assert s.get_config()["depthwise_regularizer"]["config"]["l2"] == pytest.approx(0.5)
    assert L.SeparableConv2D(2, 2).name.startswith("separable_conv2d")


def test_a_small_model_trains():
    tf.manual_seed(0)
    x = RNG.standard_normal((64, 8, 8, 3)).astype(np.float32)
    y = x[:, 2:6, 2:6].mean(axis=(1, 2, 3))[:, None]
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            L.DepthwiseConv2D(3, depth_multiplier=2, activation="relu"),
            L.SeparableConv2D(4, 3, padding="same", activation="relu"),
            L.Flatten(),
            L.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    loss = model.fit(x, y, batch_size=16, epochs=15, verbose=0).history["loss"]
    assert loss[-1] < 0.5 * loss[0], loss


@pytest.mark.parametrize(
    "cls,kwargs,err,match",
    [
        ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 0}, ValueError, "depth_mult"),
        ("DepthwiseConv2D", {"kernel_size": 0}, ValueError, "kernel_size must be positive"),
        ("DepthwiseConv2D", {"kernel_size": 3, "padding": "full"}, ValueError, "'full'"),
        (
            "DepthwiseConv2D",
            {"kernel_size": 3, "strides": 2, "dilation_rate": 2},
            ValueError,
            "dilation_rate > 1",
        ),
        (
            "DepthwiseConv2D",
            {"kernel_size": 3, "data_format": "channels_first"},
            NotImplementedError,
            "DepthwiseConv2D: data_format='channels_first'",
        ),
        ("DepthwiseConv2D", {"kernel_size": 3, "kernel_initializer": "ones"}, TypeError, "kernel"),
        (
            "DepthwiseConv2D",
            {"kernel_size": 3, "depthwise_constraint": "no_such"},
            ValueError,
            "DepthwiseConv2D: depthwise_constraint",
        ),
        ("SeparableConv2D", {"filters": 0, "kernel_size": 3}, ValueError, "filters must be"),
        (
            "SeparableConv2D",
            {"filters": 2, "kernel_size": 3, "pointwise_initializer": "no_such"},
            ValueError,
            "SeparableConv2D: pointwise_initializer",
        ),
        (
            "SeparableConv2D",
            {"filters": 2, "kernel_size": 3, "data_format": "channels_first"},
            NotImplementedError,
            "channels_first",
        ),
    ],
)
def test_bad_arguments_are_refused(cls, kwargs, err, match):
    with pytest.raises(err, match=match):
        getattr(L, cls)(**kwargs)


def test_a_window_larger_than_the_input_is_refused():
    for layer in (L.DepthwiseConv2D(5), L.SeparableConv2D(2, 5)):
        with pytest.raises(ValueError, match=r"too small for a 5x5 window"):
            layer.build((None, 4, 4, 3))
    x = tf.tensor(np.ones((1, 4, 4, 3), np.float32))
    with pytest.raises(ValueError, match=r"depthwise_conv2d.*\(3, 3, 2, 1\)"):
        x.depthwise_conv2d(np.ones((3, 3, 2, 1), np.float32))


def test_every_weight_takes_its_keras_options():
    """depthwise_/pointwise_/bias_ initializer, regularizer and constraint land on their weight."""
    r = np.random.default_rng(0)
    x = r.normal(size=(8, 6, 6, 2)).astype(np.float32)
    y = r.normal(size=(8, 1)).astype(np.float32)
    sep = L.SeparableConv2D(
        3,
        3,
        pointwise_initializer="ones",
        bias_initializer=keras.initializers.Constant(0.5),
        depthwise_constraint="non_neg",
        bias_regularizer=keras.regularizers.l2(0.1),
    )
    m = keras.Sequential([keras.Input((6, 6, 2)), sep, L.Flatten(), L.Dense(1)])
    m.compile(keras.optimizers.SGD(0.5), "mse")
    np.testing.assert_array_equal(sep.pointwise_kernel.numpy(), np.ones((1, 1, 2, 3)))
    np.testing.assert_array_equal(sep.bias.numpy(), np.full(3, 0.5))
    pred = m.predict(x, verbose=0)
    plain = float(np.mean((pred - y) ** 2))
    assert m.evaluate(x, y, verbose=0) == pytest.approx(plain + 0.1 * 3 * 0.25, rel=1e-5)
    m.fit(x, y, epochs=3, verbose=0)
    assert sep.depthwise_kernel.numpy().min() >= 0.0
    cfg = sep.get_config()
    assert cfg["pointwise_initializer"]["class_name"] == "Ones"
    assert cfg["depthwise_constraint"]["class_name"] == "NonNeg"
    dw = L.DepthwiseConv2D(3, depthwise_constraint="non_neg")
    m = keras.Sequential([keras.Input((6, 6, 2)), dw, L.Flatten(), L.Dense(1)])
    m.compile(keras.optimizers.SGD(0.5), "mse")
    m.fit(x, y, epochs=3, verbose=0)
    assert dw.kernel.numpy().min() >= 0.0
