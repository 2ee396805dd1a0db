"""Conv1D, MaxPooling1D, AveragePooling1D, UpSampling2D, ZeroPadding2D and Cropping2D
(keras/layers/conv_more.py) against NumPy loops: outputs, gradients, shapes, fit, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

L = keras.layers
RNG = np.random.default_rng(1)


def grads(layer, x, c):
    xv = tf.Variable(x.astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y = layer(xv)
        loss = (y * tf.constant(c.astype(np.float32))).sum()
    return y.numpy(), [np.asarray(g) for g in tape.gradient(loss, [xv, *layer.trainable_weights])]


def conv1d_ref(x, k, b, stride, dil, padding):
    n, length, _ = x.shape
    kk = k.shape[0]
    span = (kk - 1) * dil + 1
    if padding == "same":
        out = -(-length // stride)
        total = max((out - 1) * stride + span - length, 0)
        x = np.pad(x, ((0, 0), (total // 2, total - total // 2), (0, 0)))
    else:
        out = (length - span) // stride + 1
    y = np.zeros((n, out, k.shape[2]))
    for t in range(out):
        for j in range(kk):
            y[:, t] += x[:, t * stride + j * dil] @ k[j]
    return y + b


@pytest.mark.parametrize(
    "stride,dil,padding", [(1, 1, "valid"), (2, 1, "same"), (1, 2, "valid"), (3, 1, "valid")]
)
def test_conv1d_matches_numpy_with_gradients(stride, dil, padding):
    x = RNG.standard_normal((2, 9, 3))
    conv = L.Conv1D(4, 3, strides=stride, dilation_rate=dil, padding=padding)
    want_shape = conv.compute_output_shape((None, 9, 3))
    c = RNG.standard_normal((2, want_shape[1], 4))
    y, (gx, gk, gb) = grads(conv, x, c)
    k, b = (w.numpy().astype(np.float64) for w in conv.weights)
    assert k.shape == (3, 3, 4) and y.shape == (2, *want_shape[1:])
    np.testing.assert_allclose(y, conv1d_ref(x, k, b, stride, dil, padding), atol=1e-4)
    f = lambda kk: (conv1d_ref(x, kk, b, stride, dil, padding) * c).sum()
    num = np.zeros_like(k)
    for i in np.ndindex(k.shape):
        e = np.zeros_like(k)
        e[i] = 1e-6
        num[i] = (f(k + e) - f(k - e)) / 2e-6
    np.testing.assert_allclose(gk, num, atol=1e-3)
    np.testing.assert_allclose(gb, c.sum((0, 1)), atol=1e-4)
    assert gx.shape == x.shape


@pytest.mark.parametrize("cls,red", [(L.MaxPooling1D, np.max), (L.AveragePooling1D, np.mean)])
def test_pooling1d_matches_numpy(cls, red):
    x = RNG.standard_normal((2, 7, 3))
    pool = cls(pool_size=3, strides=2)
    c = RNG.standard_normal((2, 3, 3))
    y, (gx,) = grads(pool, x, c)
    want = np.stack([red(x[:, 2 * t : 2 * t + 3], axis=1) for t in range(3)], 1)
    np.testing.assert_allclose(y, want, atol=1e-5)
    assert pool.compute_output_shape((None, 7, 3)) == (None, 3, 3)
    assert cls().compute_output_shape((None, 7, 3)) == (None, 3, 3)
    assert cls(2, padding="same").compute_output_shape((None, 7, 3)) == (None, 4, 3)
    if cls is L.AveragePooling1D:
        want_g = np.zeros_like(x)
        for t in range(3):
            want_g[:, 2 * t : 2 * t + 3] += c[:, t : t + 1] / 3
        np.testing.assert_allclose(gx, want_g, atol=1e-5)


def test_upsampling_padding_cropping_match_numpy_with_gradients():
    x = RNG.standard_normal((2, 3, 4, 2))
    up = L.UpSampling2D((2, 3))
    c = RNG.standard_normal((2, 6, 12, 2))
    y, (gx,) = grads(up, x, c)
    np.testing.assert_allclose(y, x.repeat(2, 1).repeat(3, 2), atol=1e-6)
    np.testing.assert_allclose(gx, c.reshape(2, 3, 2, 4, 3, 2).sum((2, 4)), atol=1e-5)
    pad = L.ZeroPadding2D(((1, 2), (0, 3)))
    c = RNG.standard_normal((2, 6, 7, 2))
    y, (gx,) = grads(pad, x, c)
    np.testing.assert_allclose(y, np.pad(x, ((0, 0), (1, 2), (0, 3), (0, 0))), atol=1e-6)
    np.testing.assert_allclose(gx, c[:, 1:4, 0:4], atol=1e-6)
    crop = L.Cropping2D(((1, 0), (1, 2)))
    c = RNG.standard_normal((2, 2, 1, 2))
    y, (gx,) = grads(crop, x, c)
    np.testing.assert_allclose(y, x[:, 1:, 1:2], atol=1e-6)
    want = np.zeros_like(x)
    want[:, 1:, 1:2] = c
    np.testing.assert_allclose(gx, want, atol=1e-6)


def test_argument_forms_shapes_and_config():
    assert L.ZeroPadding2D(2).padding == ((2, 2), (2, 2))
    assert L.ZeroPadding2D((1, 3)).padding == ((1, 1), (3, 3))
    assert L.ZeroPadding2D().compute_output_shape((None, 4, 5, 3)) == (None, 6, 7, 3)
    assert L.Cropping2D(1).compute_output_shape((None, 4, 5, 3)) == (None, 2, 3, 3)
    assert L.UpSampling2D().compute_output_shape((None, 4, 5, 3)) == (None, 8, 10, 3)
    assert L.Conv1D(5, 3, padding="same").compute_output_shape((None, 10, 2)) == (None, 10, 5)
    cfg = L.Conv1D(5, 3, strides=2).get_config()
    assert cfg["kernel_size"] == (3,) and cfg["strides"] == (2,) and cfg["filters"] == 5
    assert L.Cropping2D(((1, 0), (2, 0))).get_config()["cropping"] == ((1, 0), (2, 0))
    assert L.UpSampling2D(3).get_config()["size"] == (3, 3)


def test_bad_and_unsupported_arguments():
    with pytest.raises(ValueError, match="ZeroPadding2D.*negative.*-1"):
        L.ZeroPadding2D(-1)
    with pytest.raises(ValueError, match="Cropping2D.*negative"):
        L.Cropping2D(((0, -2), (0, 0)))
    with pytest.raises(ValueError, match="Cropping2D.*leaves nothing"):
        keras.Sequential([keras.Input((4, 4, 1)), L.Cropping2D(2)])
    with pytest.raises(ValueError, match="Conv1D.*too short"):
        keras.Sequential([keras.Input((3, 2)), L.Conv1D(2, 5)])
    with pytest.raises(ValueError, match="MaxPooling1D.*too short"):
        keras.Sequential([keras.Input((3, 2)), L.MaxPooling1D(4)])
    with pytest.raises(ValueError, match="Conv1D.*filters.*0"):
        L.Conv1D(0, 3)
    with pytest.raises(ValueError, match="Conv1D.*cannot both"):
        L.Conv1D(2, 3, strides=2, dilation_rate=2)
    for make in (
        lambda: L.Conv1D(2, 3, padding="causal"),
        lambda: L.Conv1D(2, 3, data_format="channels_first"),
        lambda: L.Conv1D(4, 3, groups=2),
        lambda: L.MaxPooling1D(data_format="channels_first"),
        lambda: L.UpSampling2D(interpolation="bilinear"),
        lambda: L.ZeroPadding2D(data_format="channels_first"),
        lambda: L.Cropping2D(data_format="channels_first"),
    ):
        with pytest.raises(NotImplementedError):
            make()


def test_fit_reduces_loss_sequential_and_functional():
    x = RNG.standard_normal((64, 12, 2)).astype(np.float32)
    y = x[:, :6, :1].sum(1) - x[:, 6:, 1:].sum(1)
    seq = keras.Sequential(
        [
            keras.Input((12, 2)),
            L.Conv1D(8, 3, padding="same", activation="relu"),
            L.MaxPooling1D(2),
            L.AveragePooling1D(2),
            L.Flatten(),
            L.Dense(1),
        ]
    )
    img = RNG.standard_normal((32, 4, 4, 1)).astype(np.float32)
    t = img[:, :2].sum((1, 2, 3))[:, None]
    inp = keras.Input((4, 4, 1))
    h = L.Cropping2D(((0, 0), (0, 1)))(L.ZeroPadding2D(1)(L.UpSampling2D(2)(inp)))
    fun = keras.Model(inp, L.Dense(1)(L.Flatten()(L.Conv2D(2, 3)(h))))
    for m, (a, b) in ((seq, (x, y)), (fun, (img, t))):
        m.compile(keras.optimizers.Adam(0.01), "mse")
        hist = m.fit(a, b, epochs=15, batch_size=16, verbose=0).history["loss"]
        assert hist[-1] < 0.6 * hist[0]
    assert fun.layers[3].output_shape == (None, 10, 9, 1)
