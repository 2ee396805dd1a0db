"""Keras' convolutional layers: output shapes as Keras documents them, summary, errors naming the
layer, BatchNormalization's moving statistics in the weights, training a small CNN."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rustgrad import keras
from rustgrad.keras import layers

rng = np.random.default_rng(0)


def keras_out(size, k, s, d, padding):
    """Keras' documented output length: valid floor((in - (k-1)d - 1)/s) + 1, same ceil(in/s)."""
    if padding == "same":
        return math.ceil(size / s)
    return math.floor((size - (k - 1) * d - 1) / s) + 1


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("size", [(28, 28), (7, 9), (32, 31)])
@pytest.mark.parametrize(
    "make, k, channels",
    [
        (lambda s, p: layers.Conv2D(4, (3, 2), strides=s, padding=p), (3, 2), 4),
        (lambda s, p: layers.MaxPooling2D(pool_size=2, strides=s, padding=p), (2, 2), 2),
        (lambda s, p: layers.AveragePooling2D((3, 3), strides=s, padding=p), (3, 3), 2),
    ],
)
def test_output_shapes_match_keras(padding, stride, size, make, k, channels):
    h, w = size
    layer = make(stride, padding)
    m = keras.Sequential([keras.Input((h, w, 2)), layer])
    oh, ow = keras_out(h, k[0], stride, 1, padding), keras_out(w, k[1], stride, 1, padding)
    assert layer.output_shape == (None, oh, ow, channels)
    out = m.predict(rng.normal(size=(2, h, w, 2)).astype(np.float32))
    assert out.shape == (2, oh, ow, channels)


def test_dilation_output_shape():
    conv = layers.Conv2D(3, 3, dilation_rate=2, input_shape=(10, 10, 1))
    m = keras.Sequential([conv])
    assert conv.output_shape == (None, 6, 6, 3)
    assert m.predict(np.zeros((1, 10, 10, 1), np.float32)).shape == (1, 6, 6, 3)


def cnn():
    return keras.Sequential(
        [
            layers.Reshape((28, 28, 1), input_shape=(28, 28)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.Conv2D(16, (3, 3), padding="same", activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(10, activation="softmax"),
        ]
    )


def test_summary_shows_shapes_and_keras_param_counts():
    m = cnn()
    lines = []
    m.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 26, 26, 8)" in text and "(None, 13, 13, 8)" in text
    assert "(None, 28, 28, 1)" in text and "(None, 16)" in text
    conv1, bn, conv2, dense = 3 * 3 * 1 * 8 + 8, 4 * 8, 3 * 3 * 8 * 16 + 16, 16 * 10 + 10
    total = conv1 + bn + conv2 + dense
    assert m.count_params() == total
    assert f"Total params: {total} " in text
    assert f"Trainable params: {total - 16} " in text
    assert "Non-trainable params: 16 " in text
    assert m.layers[1].count_params() == conv1 and m.layers[2].count_params() == bn


def test_batchnorm_weights_are_in_keras_order_and_saved(tmp_path):
    m = cnn()
    m.compile("adam", "sparse_categorical_crossentropy")
    x = rng.normal(2.0, 3.0, size=(32, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    bn = m.layers[2]
    gamma, beta, mean, var = bn.get_weights()
    assert [a.shape for a in (gamma, beta, mean, var)] == [(8,)] * 4
    np.testing.assert_array_equal(mean, 0)
    np.testing.assert_array_equal(var, 1)
    m.fit(x, y, epochs=1, batch_size=16, verbose=0)
    _, _, mean2, var2 = bn.get_weights()
    assert not np.allclose(mean2, 0) and not np.allclose(var2, 1)
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    before = m.predict(x)
    path = tmp_path / "w.npz"
    m.save_weights(path)
    m2 = cnn()
    m2.load_weights(path)
    np.testing.assert_array_equal(m2.layers[2].get_weights()[2], mean2)
    np.testing.assert_allclose(m2.predict(x), before, rtol=1e-6, atol=1e-6)
    m2.set_weights([np.zeros_like(w) for w in m.get_weights()])
    np.testing.assert_array_equal(m2.layers[2].get_weights()[3], 0)


def test_batchnorm_moving_stats_follow_keras_momentum():
    bn = layers.BatchNormalization(momentum=0.9)
    m = keras.Sequential([bn], name="bn_only")
    m.build((None, 3))
    x = rng.normal(size=(50, 3)).astype(np.float32)
    bn(x, training=True)
    _, _, mean, var = bn.get_weights()
    np.testing.assert_allclose(mean, 0.1 * x.mean(0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(var, 0.9 + 0.1 * x.var(0), rtol=1e-4)
    # Inference uses the moving statistics.
    out = bn(x, training=False).numpy()
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)


def test_shape_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Conv2D layer 'c'.*\(None, 28, 28\)"):
        keras.Sequential([layers.Conv2D(4, 3, name="c", input_shape=(28, 28))])
    with pytest.raises(ValueError, match=r"'tiny'.*\(None, 2, 2, 1\).*too small"):
        keras.Sequential([layers.Conv2D(4, 3, name="tiny", input_shape=(2, 2, 1))])
    with pytest.raises(ValueError, match=r"Reshape layer 'r'.*\(None, 28, 28\)"):
        keras.Sequential([layers.Reshape((27, 28, 1), name="r", input_shape=(28, 28))])
    m = keras.Sequential([layers.Conv2D(4, 3, input_shape=(8, 8, 1))])
    with pytest.raises(ValueError, match=r"\(5, 8, 8, 2\).*\(None, 8, 8, 1\)"):
        m.predict(np.zeros((5, 8, 8, 2), np.float32))


def test_small_cnn_learns_4d_and_3d_inputs():
    # Bright left half vs bright right half: a pattern only a spatial model sees quickly.
    n = 256
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.3, size=(n, 12, 12, 1)).astype(np.float32)
    x[y == 0, :, :6] += 1.0
    x[y == 1, :, 6:] += 1.0
    for data in (x, x[..., 0]):  # (n, 12, 12, 1) as is, (n, 12, 12) through a Reshape
        m = keras.Sequential(
            [
                layers.Reshape((12, 12, 1), input_shape=data.shape[1:]),
                layers.Conv2D(4, 3, activation="relu"),
                layers.MaxPooling2D(),
                layers.Flatten(),
                layers.Dense(2, activation="softmax"),
            ]
        )
        m.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", ["accuracy"])
        h = m.fit(data, y, epochs=5, batch_size=32, verbose=0)
        assert h.history["accuracy"][-1] > 0.95
    m = keras.Sequential([layers.Conv2D(2, 3, input_shape=(12, 12, 1)), layers.Flatten()])
    assert m.predict(x).shape == (n, 200)


def test_summary_prints_to_stdout(capsys):
    cnn().summary()
    assert "conv2d" in capsys.readouterr().out


def test_spatial_dropout_drops_whole_channels_only_while_training():
    model = keras.Sequential([keras.Input((4, 5, 16)), layers.SpatialDropout2D(0.5, seed=3)])
    x = np.ones((6, 4, 5, 16), np.float32)
    y = np.asarray(model(x, training=True)).reshape(6, 20, 16)
    # Each (sample, channel) is all dropped or all kept, and kept values are scaled by 1/(1-rate).
    assert (y == y[:, :1, :]).all()
    assert set(np.unique(y)) == {0.0, 2.0}
    assert 0.2 < (y[:, 0, :] == 0).mean() < 0.8
    np.testing.assert_array_equal(np.asarray(model(x)), x)
    assert model.layers[-1].name.startswith("spatial_dropout2d")


def test_spatial_dropout_needs_4d_input_and_channels_last():
    with pytest.raises(ValueError, match="SpatialDropout2D.*4-D input.*\\(None, 8\\)"):
        keras.Sequential([keras.Input((8,)), layers.SpatialDropout2D(0.2)])
    with pytest.raises(ValueError, match="channels_last"):
        layers.SpatialDropout2D(0.2, data_format="channels_first")
    with pytest.raises(ValueError, match="rate"):
        layers.SpatialDropout2D(1.0)
