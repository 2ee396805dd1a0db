"""keras.random: Keras 3's seed rules (an int repeats, a SeedGenerator advances, None follows
keras.utils.set_random_seed), the distributions' moments and bounds, dropout's scaling and
gradient, shuffle and categorical."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

R = keras.random


def test_seed_rules():
    a, b = R.normal((3, 4), seed=5), R.normal((3, 4), seed=5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())  # an int seed: the same values
    g1, g2 = R.SeedGenerator(9), R.SeedGenerator(9)
    first, second = R.uniform((5,), seed=g1), R.uniform((5,), seed=g1)
    assert not np.array_equal(first.numpy(), second.numpy())  # the generator advances
    np.testing.assert_array_equal(R.uniform((5,), seed=g2).numpy(), first.numpy())
    keras.utils.set_random_seed(1)
    x = R.normal((4,))
    keras.utils.set_random_seed(1)
    np.testing.assert_array_equal(R.normal((4,)).numpy(), x.numpy())
    with pytest.raises(TypeError, match="seed"):
        R.normal((2,), seed="x")
    with pytest.raises(TypeError, match="seed"):
        R.SeedGenerator(1.5)


def test_distributions():
    n = R.normal((200, 100), mean=2.0, stddev=3.0, seed=0).numpy()
    assert abs(n.mean() - 2.0) < 0.05 and abs(n.std() - 3.0) < 0.05
    u = R.uniform((20000,), minval=-1.0, maxval=3.0, seed=1).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    t = R.truncated_normal((20000,), mean=1.0, stddev=0.5, seed=2).numpy()
    assert t.min() >= 0.0 and t.max() <= 2.0
    assert abs(t.std() - 0.5 * 0.8796) < 0.01  # the std of N(0,1) cut at ±2
    k = R.randint((5000,), 3, 7, seed=3).numpy()
    assert set(np.unique(k)) == {3, 4, 5, 6}
    z = tf.zeros((7, 2))
    assert R.normal((tf.shape(z)[0], 3), seed=0).shape == (7, 3)
    with pytest.raises(ValueError, match="maxval"):
        R.uniform((2,), minval=1.0, maxval=1.0)
    with pytest.raises(TypeError, match="float32"):
        R.normal((2,), dtype="float64")
    with pytest.raises(TypeError, match="integer"):
        R.randint((2,), 0, 3, dtype="float32")


def test_dropout_scales_kept_values_and_passes_their_gradient():
    x = tf.ones((400, 50)).requires_grad_()
    y = R.dropout(x, 0.25, seed=4)
    kept = y.numpy() != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75, rtol=1e-6)
    rows = R.dropout(tf.ones((300, 4)), 0.5, noise_shape=(None, 1), seed=5).numpy()
    assert all(len(set(r)) == 1 for r in rows)  # one draw per row, broadcast along it
    with pytest.raises(ValueError, match="rate"):
        R.dropout(x, 1.0)
    with pytest.raises(ValueError, match="noise_shape"):
        R.dropout(x, 0.5, noise_shape=(3, 50))


def test_shuffle_and_categorical():
    x = tf.constant(np.arange(12.0).reshape(4, 3))
    s = R.shuffle(x, seed=6).numpy()
    assert sorted(map(tuple, s)) == sorted(map(tuple, x.numpy()))
    c = R.shuffle(x, axis=1, seed=6).numpy()
    np.testing.assert_array_equal(np.sort(c, axis=1), x.numpy())
    with pytest.raises(ValueError, match="axis"):
        R.shuffle(x, axis=2)
    logits = np.log(np.array([[0.1, 0.9, 1e-9], [1.0, 1e-9, 1e-9]], np.float32))
    draws = R.categorical(logits, 2000, seed=7).numpy()
    assert draws.shape == (2, 2000)
    assert abs((draws[0] == 1).mean() - 0.9) < 0.03 and set(np.unique(draws[1])) == {0}
    with pytest.raises(ValueError, match="batch, classes"):
        R.categorical(np.zeros(3), 1)


def test_tf_random_extras_follow_tf_seed_rules():
    tf.random.set_seed(3)
    a = tf.random.truncated_normal((20000,), mean=1.0, stddev=0.5)
    tf.random.set_seed(3)
    np.testing.assert_array_equal(tf.random.truncated_normal((20000,), 1.0, 0.5).numpy(), a.numpy())
    v = a.numpy()
    assert v.min() >= 0.0 and v.max() <= 2.0 and abs(v.std() - 0.5 * 0.8796) < 0.01
    s1, s2 = tf.random.shuffle(tf.range(50), seed=1), tf.random.shuffle(tf.range(50), seed=1)
    assert sorted(s1.numpy()) == list(range(50))
    assert not np.array_equal(s1.numpy(), s2.numpy())  # one op seed steps through a sequence
    tf.random.set_seed(3)
    np.testing.assert_array_equal(tf.random.shuffle(tf.range(50), seed=1).numpy(), s1.numpy())
    logits = np.log(np.array([[0.2, 0.8]], np.float32))
    draws = tf.random.categorical(logits, 4000, seed=2).numpy()
    assert draws.shape == (1, 4000) and abs(draws.mean() - 0.8) < 0.03
    with pytest.raises(ValueError, match="axis"):
        tf.random.shuffle(tf.constant(1.0))
    with pytest.raises(TypeError, match="int32"):
        tf.random.categorical(logits, 1, dtype="float32")
