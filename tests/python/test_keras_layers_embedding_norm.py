"""Embedding and LayerNormalization (keras/layers/embedding_norm.py) against NumPy references:
outputs, gradients under GradientTape, shapes, fit on Sequential and functional models, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

L = keras.layers
RNG = np.random.default_rng(0)


def tape_grads(layer, x, c, sources=None):
    xv = tf.Variable(x.astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y = layer(xv)
        loss = (y * tf.constant(c.astype(np.float32))).sum()
    srcs = [xv, *layer.trainable_weights] if sources is None else sources
    return y, tape.gradient(loss, srcs)


def test_embedding_picks_rows_and_gradient_touches_only_those_rows():
    emb = L.Embedding(6, 3)
    ids = np.array([[0, 2, 2], [5, 0, 1]], np.float32)
    table = None
    with tf.GradientTape() as tape:
        y = emb(ids)
        table = emb.embeddings
        c = RNG.standard_normal((2, 3, 3)).astype(np.float32)
        loss = (y * tf.constant(c)).sum()
    g = np.asarray(tape.gradient(loss, table))
    t = table.numpy()
    np.testing.assert_allclose(y.numpy(), t[ids.astype(int)])
    want = np.zeros((6, 3), np.float32)
    np.add.at(want, ids.astype(int).ravel(), c.reshape(-1, 3))
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-6)
    assert not g[3].any() and not g[4].any()
    assert np.abs(t).max() <= 0.05


def test_embedding_shapes_config_and_bad_arguments():
    emb = L.Embedding(10, 4)
    assert emb.compute_output_shape((None, 7)) == (None, 7, 4)
    cfg = emb.get_config()
    assert cfg["input_dim"] == 10 and cfg["output_dim"] == 4 and cfg["mask_zero"] is False
    with pytest.raises(NotImplementedError, match="mask_zero"):
        L.Embedding(10, 4, mask_zero=True)
    with pytest.raises(ValueError, match="Embedding.*input_dim.*-1"):
        L.Embedding(-1, 4)
    with pytest.raises(ValueError, match="Embedding.*id 10"):
        emb(np.array([[1, 10]], np.float32))
    with pytest.raises(ValueError, match="Embedding.*1.5"):
        emb(np.array([[1.5, 1]], np.float32))


def test_embedding_trains_in_sequential_and_functional_fit():
    x = RNG.integers(0, 8, (64, 4)).astype(np.float32)
    y = (x.sum(1, keepdims=True) > 14).astype(np.float32)
    seq = keras.Sequential(
        [keras.Input((4,)), L.Embedding(8, 5), L.Flatten(), L.Dense(1, activation="sigmoid")]
    )
    inp = keras.Input((4,))
    out = L.Dense(1, activation="sigmoid")(L.Flatten()(L.Embedding(8, 5)(inp)))
    fun = keras.Model(inp, out)
    for m in (seq, fun):
        m.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
        h = m.fit(x, y, epochs=15, batch_size=16, verbose=0).history["loss"]
        assert h[-1] < 0.7 * h[0]
        assert m.layers[-3].output_shape == (None, 4, 5)


def ln_ref(x, g, b, axes, eps=1e-3):
    m = x.mean(axis=axes, keepdims=True)
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


@pytest.mark.parametrize("axis", [-1, [-2, -1], 2])
def test_layer_norm_matches_numpy_and_finite_differences(axis):
    x = RNG.standard_normal((2, 3, 4)) * 2 + 1
    c = RNG.standard_normal((2, 3, 4))
    ln = L.LayerNormalization(axis=axis)
    y, (gx, gg, gb) = tape_grads(ln, x, c)
    axes = (1, 2) if isinstance(axis, list) else (2,)
    gamma = RNG.standard_normal(gg.shape) + 1
    beta = RNG.standard_normal(gb.shape)
    ln.set_weights([gamma, beta])
    y, (gx, gg, gb) = tape_grads(ln, x, c)
    pshape = (1, 3, 4) if len(axes) == 2 else (1, 1, 4)
    g64, b64 = gamma.reshape(pshape), beta.reshape(pshape)
    np.testing.assert_allclose(y.numpy(), ln_ref(x, g64, b64, axes), rtol=1e-4, atol=1e-4)
    f = lambda xx: (ln_ref(xx, g64, b64, axes) * c).sum()
    num = np.zeros_like(x)
    h = 1e-6
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        num[i] = (f(x + e) - f(x - e)) / (2 * h)
    np.testing.assert_allclose(np.asarray(gx), num, rtol=2e-3, atol=2e-3)
    xhat = ln_ref(x, 1.0, 0.0, axes)
    red = (0,) if len(axes) == 2 else (0, 1)
    np.testing.assert_allclose(np.asarray(gg), (xhat * c).sum(red).reshape(gg.shape), atol=1e-3)
    np.testing.assert_allclose(np.asarray(gb), c.sum(red).reshape(gb.shape), atol=1e-4)


def test_layer_norm_defaults_options_and_errors():
    ln = L.LayerNormalization()
    cfg = ln.get_config()
    assert (cfg["axis"], cfg["epsilon"], cfg["center"], cfg["scale"]) == (-1, 1e-3, True, True)
    bare = L.LayerNormalization(center=False, scale=False)
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(bare(x).numpy(), ln_ref(x, 1, 0, (1,)), atol=1e-5)
    assert bare.weights == []
    only_scale = L.LayerNormalization(center=False)
    only_scale(x)
    assert [w.name for w in only_scale.weights] == ["gamma"]
    with pytest.raises(NotImplementedError, match="rms_scaling"):
        L.LayerNormalization(rms_scaling=True)
    with pytest.raises(NotImplementedError, match="trailing"):
        L.LayerNormalization(axis=1)(RNG.standard_normal((2, 3, 4)).astype(np.float32))
    with pytest.raises(ValueError, match="LayerNormalization.*epsilon.*-1"):
        L.LayerNormalization(epsilon=-1)


def test_layer_norm_trains_in_fit():
    x = RNG.standard_normal((64, 6)).astype(np.float32) * 3
    y = x[:, :1] - x[:, 1:2]
    m = keras.Sequential([keras.Input((6,)), L.Dense(8), L.LayerNormalization(), L.Dense(1)])
    m.compile(keras.optimizers.Adam(0.02), "mse")
    h = m.fit(x, y, epochs=20, batch_size=16, verbose=0).history["loss"]
    assert h[-1] < 0.5 * h[0]
    assert m.layers[1].output_shape == (None, 8)
