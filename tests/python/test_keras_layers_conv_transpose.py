"""Conv2DTranspose (keras/layers/conv_transpose.py, src/ops/conv_transpose.rs) against a NumPy
float64 scatter loop: outputs, gradients, Keras' output shapes, a small MNIST autoencoder trained
with fit, config and weights, and bad arguments."""

from __future__ import annotations

import time

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

L = keras.layers
RNG = np.random.default_rng(7)


def keras_length(n, k, s, d, padding, op):
    """keras.src.backend.common.backend_utils._get_output_shape_given_tf_padding, restated."""
    eff = (k - 1) * d + 1
    if padding == "valid":
        return (n - 1) * s + eff + (max(eff, s) - eff if op is None else op)
    return n * s if op is None else (n - 1) * s + eff % 2 + op


def keras_crop(k, s, d, padding, op):
    """How far into the uncropped scatter the output starts: eff - 1 - Keras' JAX left pad."""
    eff = (k - 1) * d + 1
    if padding == "valid":
        return 0
    pad_len = s + eff - 2 if op is None else eff + eff % 2 - 2 + op
    return eff - 1 - min(pad_len // 2 + pad_len % 2, eff - 1)


def ref(x, kernel, bias, strides, padding, op=(None, None), dil=(1, 1)):
    """Scatter every input pixel through the (kh, kw, filters, in) kernel into the full output
    ((n-1)*s + eff per axis), then cut Keras' window out of it."""
    n, h, w, _ = x.shape
    kh, kw, f, _ = kernel.shape
    full = [(m - 1) * s + (k - 1) * d + 1 for m, k, s, d in zip((h, w), (kh, kw), strides, dil)]
    big = np.zeros((n, full[0] + strides[0], full[1] + strides[1], f))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    y, z = i * strides[0] + a * dil[0], j * strides[1] + b * dil[1]
                    big[:, y, z] += x[:, i, j] @ kernel[a, b].T
    out = []
    for ax, (m, k) in enumerate(zip((h, w), (kh, kw))):
        args = (k, strides[ax], dil[ax], padding, op[ax])
        out.append((keras_crop(*args), keras_length(m, *args)))
    (t, oh), (le, ow) = out
    return big[:, t : t + oh, le : le + ow] + (0 if bias is None else bias)


def grads(layer, x, c):
    xv = tf.Variable(x.astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y = layer(xv)
        loss = (y * tf.constant(c.astype(np.float32))).sum()
    return y.numpy(), [np.asarray(g) for g in tape.gradient(loss, [xv, *layer.trainable_weights])]


def numeric(f, v, eps=1e-6):
    out = np.zeros_like(v)
    for i in np.ndindex(v.shape):
        e = np.zeros_like(v)
        e[i] = eps
        out[i] = (f(v + e) - f(v - e)) / (2 * eps)
    return out


CASES = [
    # kernel, strides, padding, output_padding, dilation
    (3, 1, "valid", None, 1),
    (3, 2, "same", None, 1),
    (3, 2, "same", 1, 1),
    (3, 2, "same", 0, 1),
    (4, 2, "same", None, 1),
    (4, 2, "same", 1, 1),
    (2, 2, "valid", None, 1),
    (3, 2, "valid", 1, 1),
    (1, 3, "valid", None, 1),
    (5, 3, "same", 2, 1),
    (3, 1, "same", None, 2),
    ((2, 3), (2, 1), "same", (1, 0), 1),
]


def pair(v):
    return (v, v) if isinstance(v, int) or v is None else tuple(v)


@pytest.mark.parametrize("k,s,padding,op,d", CASES)
def test_forward_and_gradients_match_numpy(k, s, padding, op, d):
    x = RNG.standard_normal((2, 4, 3, 3))
    layer = L.Conv2DTranspose(2, k, strides=s, padding=padding, output_padding=op, dilation_rate=d)
    shape = layer.compute_output_shape((None, 4, 3, 3))
    c = RNG.standard_normal((2, *shape[1:]))
    y, (gx, gk, gb) = grads(layer, x, c)
    kern, bias = (w.numpy().astype(np.float64) for w in layer.weights)
    bias += RNG.standard_normal(2)  # a non-zero bias, written into the layer
    layer.bias.assign(bias.astype(np.float32))
    y = layer(x.astype(np.float32)).numpy()
    kk, ss, oo, dd = pair(k), pair(s), pair(op), pair(d)
    assert kern.shape == (*kk, 2, 3)
    want = ref(x, kern, bias, ss, padding, oo, dd)
    assert y.shape == want.shape == (2, *shape[1:])
    np.testing.assert_allclose(y, want, atol=1e-4)
    loss = lambda xx, kern_: (ref(xx, kern_, bias, ss, padding, oo, dd) * c).sum()
    np.testing.assert_allclose(gx, numeric(lambda v: loss(v, kern), x), atol=1e-3)
    np.testing.assert_allclose(gk, numeric(lambda v: loss(x, v), kern), atol=1e-3)
    np.testing.assert_allclose(gb, c.sum((0, 1, 2)), atol=1e-3)


def test_tensor_op_backward_through_a_nonlinear_loss():
    # loss = sum(relu(conv2d_transpose(x, W) + b) ** 2): gradients by Tensor.backward against
    # central differences of the float64 reference.
    x = RNG.standard_normal((1, 3, 3, 2))
    kern = RNG.standard_normal((3, 3, 2, 2))
    bias = RNG.standard_normal(2)
    ts = [tf.tensor(v.astype(np.float32), requires_grad=True) for v in (x, kern, bias)]
    y = ts[0].conv2d_transpose(ts[1], ts[2], strides=(2, 2), padding="same", output_padding=(1, 1))
    (y.relu() * y.relu()).sum().backward()

    def f(xx, kk, bb):
        return (np.maximum(ref(xx, kk, bb, (2, 2), "same", (1, 1)), 0) ** 2).sum()

    vals = [x, kern, bias]
    for i, t in enumerate(ts):
        num = numeric(lambda v, i=i: f(*[v if j == i else vals[j] for j in range(3)]), vals[i])
        np.testing.assert_allclose(t.grad.numpy(), num, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("h,w", [(7, 7), (5, 8), (1, 1)])
@pytest.mark.parametrize("k,s,padding,op,d", CASES)
def test_output_shapes_follow_keras(h, w, k, s, padding, op, d):
    layer = L.Conv2DTranspose(4, k, strides=s, padding=padding, output_padding=op, dilation_rate=d)
    args = [
        (kk, ss, dd, padding, oo) for kk, ss, oo, dd in zip(pair(k), pair(s), pair(op), pair(d))
    ]
    want = (None, keras_length(h, *args[0]), keras_length(w, *args[1]), 4)
    if min(want[1:3]) <= 0:  # e.g. an even kernel, 'same' and output_padding 0 on one pixel
        with pytest.raises(ValueError, match="empty output"):
            layer.compute_output_shape((None, h, w, 3))
        return
    assert layer.compute_output_shape((None, h, w, 3)) == want
    assert layer(np.zeros((2, h, w, 3), np.float32)).shape == (2, *want[1:])
    assert layer.compute_output_shape((None, None, w, 3))[1] is None


def test_known_keras_shapes_and_weights():
    # Shapes Keras 3 gives (its docs' example: (4, 10, 8, 128) -> Conv2DTranspose(32, 2, 2)).
    assert L.Conv2DTranspose(32, 2, 2).compute_output_shape((4, 10, 8, 128)) == (4, 20, 16, 32)
    layer = L.Conv2DTranspose(16, 3, strides=2, padding="same")
    assert layer.compute_output_shape((None, 7, 7, 8)) == (None, 14, 14, 16)
    layer(np.zeros((1, 7, 7, 8), np.float32))
    assert layer.kernel.shape == (3, 3, 16, 8) and layer.bias.shape == (16,)
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.count_params() == 3 * 3 * 16 * 8 + 16
    nobias = L.Conv2DTranspose(4, 3, use_bias=False)
    nobias.build((None, 5, 5, 2))
    assert nobias.count_params() == 3 * 3 * 4 * 2 and len(nobias.weights) == 1


def test_config_initializers_and_regularizers():
    layer = L.Conv2DTranspose(
        3,
        (2, 3),
        strides=2,
        padding="same",
        output_padding=1,
        activation="relu",
        kernel_initializer="ones",
        bias_initializer="ones",
        kernel_regularizer=keras.regularizers.l2(0.5),
        name="up",
    )
    cfg = layer.get_config()
    keras_keys = {
        "name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding",
        "data_format", "dilation_rate", "activation", "use_bias", "kernel_initializer",
        "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
        "kernel_constraint", "bias_constraint",
    }  # fmt: skip
    assert keras_keys <= set(cfg)
    assert cfg["kernel_size"] == (2, 3) and cfg["strides"] == (2, 2)
    assert cfg["output_padding"] == (1, 1) and cfg["activation"] == "relu"
    assert cfg["kernel_initializer"]["class_name"] == "Ones"
    assert cfg["kernel_regularizer"]["config"]["l2"] == pytest.approx(0.5)
    again = L.Conv2DTranspose(**{**cfg, "name": "up2"})
    assert again.compute_output_shape((None, 3, 3, 2)) == layer.compute_output_shape(
        (None, 3, 3, 2)
    )
    layer.build((None, 3, 3, 2))
    np.testing.assert_array_equal(layer.kernel.numpy(), np.ones((2, 3, 3, 2)))
    np.testing.assert_array_equal(layer.bias.numpy(), np.ones(3))
    penalty = layer.core.penalty()
    assert float(penalty.numpy()) == pytest.approx(0.5 * 2 * 3 * 3 * 2)
    assert L.Conv2DTranspose(2, 2).name.startswith("conv2d_transpose")


def test_autoencoder_on_real_mnist_learns(real_dataset_dir):
    real_dataset_dir("mnist")
    (x, _), _ = keras.datasets.mnist.load_data()
    x = (x[:1024].astype(np.float32) / 255.0)[..., None]
    tf.manual_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            L.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
            L.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
        ]
    )
    assert model.output_shape == (None, 28, 28, 1)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
    start = time.perf_counter()
    hist = model.fit(x, x, batch_size=64, epochs=3, verbose=0, shuffle=False)
    assert time.perf_counter() - start < 10
    loss = hist.history["loss"]
    assert loss[-1] < 0.7 * loss[0], loss
    recon = model.predict(x[:8], verbose=0)
    assert recon.shape == (8, 28, 28, 1)
    # Better than predicting every pixel's mean: the reconstruction follows the digit.
    assert np.mean((recon - x[:8]) ** 2) < 0.5 * np.mean((x[:8] - x[:8].mean()) ** 2)


@pytest.mark.parametrize(
    "kwargs,err,match",
    [
        ({"filters": 0, "kernel_size": 3}, ValueError, "filters must be a positive integer, got 0"),
        ({"filters": 2, "kernel_size": 0}, ValueError, "kernel_size must be positive"),
        ({"filters": 2, "kernel_size": 3, "strides": (1, 0)}, ValueError, "strides"),
        ({"filters": 2, "kernel_size": 3, "padding": "full"}, ValueError, "'full'"),
        (
            {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 2},
            ValueError,
            r"output_padding must be smaller than strides, got output_padding=\(2, 2\)",
        ),
        (
            {"filters": 2, "kernel_size": 3, "output_padding": (1, 0)},
            ValueError,
            "output_padding must be smaller than strides",
        ),
        (
            {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": -1},
            ValueError,
            "negative",
        ),
        (
            {"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
            ValueError,
            "dilation_rate > 1",
        ),
        (
            {"filters": 2, "kernel_size": 3, "data_format": "channels_first"},
            NotImplementedError,
            "Conv2DTranspose: data_format='channels_first'",
        ),
        (
            {"filters": 2, "kernel_size": 3, "kernel_constraint": "no_such"},
            ValueError,
            "Conv2DTranspose: kernel_constraint",
        ),
    ],
)
def test_bad_arguments_are_refused(kwargs, err, match):
    with pytest.raises(err, match=match):
        L.Conv2DTranspose(**kwargs)


def test_bad_inputs_are_refused():
    layer = L.Conv2DTranspose(2, 3)
    with pytest.raises(ValueError, match="needs 4-D input"):
        layer.compute_output_shape((None, 5, 3))
    layer(np.zeros((1, 4, 4, 3), np.float32))
    with pytest.raises(ValueError):
        layer(np.zeros((1, 4, 4, 2), np.float32))
    x = tf.tensor(np.ones((1, 3, 3, 2), np.float32))
    with pytest.raises(ValueError, match=r"conv2d_transpose.*\(1, 3, 3, 2\)"):
        x.conv2d_transpose(np.ones((3, 3, 4, 3), np.float32))
    with pytest.raises(ValueError, match="conv2d_transpose: padding must be 'valid' or 'same'"):
        x.conv2d_transpose(np.ones((3, 3, 4, 2), np.float32), padding="full")
