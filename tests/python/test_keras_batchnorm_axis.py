"""BatchNormalization(axis=...) for any channel axis against a NumPy float64 reference: the forward
pass in training and inference mode, gradients by central differences, the moving statistics
after fit (Keras' momentum rule), the same numbers as channels-last on transposed data, and bad
axes."""

import numpy as np
import pytest
import rustgrad as rg
from rustgrad import keras
from rustgrad.keras import layers

EPS = 1e-3


def ref_train(x, gamma, beta, axis):
    x = x.astype(np.float64)
    red = tuple(a for a in range(x.ndim) if a != axis % x.ndim)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    mean, var = x.mean(axis=red), x.var(axis=red)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + EPS)
    return y * gamma.reshape(shape) + beta.reshape(shape), mean, var


def ref_infer(x, gamma, beta, mm, mv, axis):
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    y = (x.astype(np.float64) - mm.reshape(shape)) / np.sqrt(mv.reshape(shape) + EPS)
    return y * gamma.reshape(shape) + beta.reshape(shape)


SHAPES = [((4, 3, 5, 6), 1), ((5, 4, 3), 1), ((3, 4, 2, 5), 2), ((6, 4), 1), ((4, 3, 5), -2)]


def sample(shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(1.0, 2.0, shape)).astype(np.float32)


def built(shape, axis, **kw):
    bn = layers.BatchNormalization(axis=axis, **kw)
    bn.build((None, *shape[1:]))
    c = shape[axis]
    rng = np.random.default_rng(1)
    bn.set_weights(
        [
            rng.normal(1, 0.3, c).astype(np.float32),
            rng.normal(0, 0.3, c).astype(np.float32),
            rng.normal(0, 0.5, c).astype(np.float32),
            rng.uniform(0.5, 2, c).astype(np.float32),
        ]
    )
    return bn


@pytest.mark.parametrize("shape, axis", SHAPES)
def test_forward_in_both_modes_matches_numpy(shape, axis):
    x = sample(shape)
    bn = built(shape, axis)
    g, b, mm, mv = (w.astype(np.float64) for w in bn.get_weights())
    want, _, _ = ref_train(x, g, b, axis)
    np.testing.assert_allclose(bn(x, training=True).numpy(), want, rtol=1e-4, atol=1e-4)
    # That call moved the moving statistics (momentum 0.99) toward this batch's.
    _, mean, var = ref_train(x, g, b, axis)
    mm, mv = mm * 0.99 + mean * 0.01, mv * 0.99 + var * 0.01
    np.testing.assert_allclose(bn.moving_mean.numpy(), mm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), mv, rtol=1e-5, atol=1e-6)
    got = bn(x, training=False).numpy()
    np.testing.assert_allclose(got, ref_infer(x, g, b, mm, mv, axis), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape, axis", [((3, 2, 4), 1), ((2, 3, 2, 2), 1), ((3, 2, 3), -2)])
@pytest.mark.parametrize("training", [True, False])
def test_gradients_match_central_differences(shape, axis, training):
    x0 = sample(shape, seed=2).astype(np.float64)
    bn = built(shape, axis)
    g0, b0, mm, mv = (w.astype(np.float64) for w in bn.get_weights())
    rng = np.random.default_rng(3)
    c = rng.normal(0, 1, shape)  # loss = Σ c·y

    def loss(x, g, b):
        y = ref_train(x, g, b, axis)[0] if training else ref_infer(x, g, b, mm, mv, axis)
        return float((c * y).sum())

    x = rg.tensor(x0.astype(np.float32), requires_grad=True)
    y = bn(x, training=training)
    (y * rg.tensor(c.astype(np.float32))).sum().backward()
    got = [x.grad.numpy(), bn.gamma.grad.numpy(), bn.beta.grad.numpy()]
    args = [x0, g0, b0]
    for k, want_shape in enumerate([x0.shape, g0.shape, b0.shape]):
        num = np.zeros(want_shape)
        for idx in np.ndindex(want_shape):
            hi = [a.copy() for a in args]
            lo = [a.copy() for a in args]
            hi[k][idx] += 1e-5
            lo[k][idx] -= 1e-5
            num[idx] = (loss(*hi) - loss(*lo)) / 2e-5
        np.testing.assert_allclose(got[k], num, rtol=2e-3, atol=2e-3)


def test_moving_statistics_follow_keras_momentum_in_fit():
    shape, axis, mom = (8, 3, 4, 4), 1, 0.9
    x = sample(shape, seed=4)
    bn = layers.BatchNormalization(axis=axis, momentum=mom)
    model = keras.Sequential([keras.Input(shape[1:]), bn])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    assert not keras.models.subclassed.needs_eager(model)
    mm, mv = np.zeros(3), np.ones(3)
    for _ in range(3):
        _, mean, var = ref_train(x, np.ones(3), np.zeros(3), axis)
        mm, mv = mm * mom + mean * (1 - mom), mv * mom + var * (1 - mom)
    model.fit(x, np.zeros(shape, np.float32), epochs=3, batch_size=8, verbose=0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mm, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), mv, rtol=1e-4, atol=1e-5)
    # evaluate runs in inference mode: the moving statistics normalise.
    got = model.predict(x, verbose=0)
    np.testing.assert_allclose(got, ref_infer(x, np.ones(3), np.zeros(3), mm, mv, 1), atol=1e-4)


def test_axis_one_trains_like_channels_last_on_transposed_data():
    x = sample((8, 3, 5), seed=5)
    y = sample((8, 3, 5), seed=6)
    first = layers.BatchNormalization(axis=1)
    last = layers.BatchNormalization(axis=-1)
    m1 = keras.Sequential([keras.Input((3, 5)), first])
    m2 = keras.Sequential([keras.Input((5, 3)), last])
    for m in (m1, m2):
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    h1 = m1.fit(x, y, epochs=3, batch_size=4, verbose=0, shuffle=False).history["loss"]
    t = (0, 2, 1)
    h2 = m2.fit(x.transpose(t), y.transpose(t), epochs=3, batch_size=4, verbose=0, shuffle=False)
    np.testing.assert_allclose(h1, h2.history["loss"], rtol=1e-5)
    for a, b in zip(first.get_weights(), last.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_bad_axes_are_named():
    with pytest.raises(ValueError, match="axis 0 is the batch"):
        layers.BatchNormalization(axis=0).build((None, 3, 4))
    with pytest.raises(ValueError, match="axis 3.*out of range"):
        layers.BatchNormalization(axis=3).build((None, 3, 4))
    with pytest.raises(TypeError, match="axis must be an int"):
        layers.BatchNormalization(axis="x")
    assert layers.BatchNormalization(axis=1).get_config()["axis"] == 1
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        rg.tensor(np.ones((2, 3), np.float32)).batch_norm(np.ones(3), np.zeros(3), axis=2)
