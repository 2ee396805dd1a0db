"""tf.nn (activations, cross-entropies from logits) and tf.random (seeds) against NumPy references."""

import math

import numpy as np
import pytest
import rustgrad as tf
from core_helpers import FAST, arrays, check_grad, close
from hypothesis import given
from hypothesis import strategies as st

seeds = st.integers(0, 2**32 - 1)
batch_shapes = st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple)


def _log_softmax(z, axis=-1):
    z = z.astype(np.float64)
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


@given(batch=batch_shapes, classes=st.integers(1, 6), seed=seeds)
@FAST
def test_sparse_softmax_cross_entropy_values_and_gradient(batch, classes, seed):
    rng = np.random.default_rng(seed)
    logits = arrays((*batch, classes), seed, -5, 5)
    labels = rng.integers(0, classes, batch)
    z = tf.tensor(logits, requires_grad=True)
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=z)
    ref = -np.take_along_axis(_log_softmax(logits), labels[..., None], -1)[..., 0]
    close(loss, ref, rtol=1e-5, atol=1e-5)
    loss.sum().backward()
    onehot = np.eye(classes)[labels]
    close(z.grad, np.exp(_log_softmax(logits)) - onehot, atol=1e-6)
    # Labels as a float tensor of whole numbers work the same, and positional arguments too.
    close(
        tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(labels), logits), ref, atol=1e-5
    )


def test_sparse_softmax_cross_entropy_is_stable_and_checks_inputs():
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[0], logits=[[1000.0, 0.0, -1000.0]]
    )
    close(loss, [0.0])
    with pytest.raises(ValueError, match="labels must have the shape of logits"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1], logits=np.zeros((3, 4)))
    with pytest.raises(tf.InvalidArgumentError, match="one_hot"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[4], logits=np.zeros((1, 4)))
    with pytest.raises(ValueError, match="labels= and logits="):
        tf.nn.sparse_softmax_cross_entropy_with_logits(logits=np.zeros((1, 4)))


@given(batch=batch_shapes, classes=st.integers(1, 5), seed=seeds)
@FAST
def test_softmax_cross_entropy_values_and_gradients(batch, classes, seed):
    shape = (*batch, classes)
    logits = arrays(shape, seed, -4, 4)
    raw = arrays(shape, seed + 1, 0.1, 1.0)
    labels = (raw / raw.sum(-1, keepdims=True)).astype(np.float32)

    def ref(y, z):
        return -(y * _log_softmax(z)).sum(-1)

    close(
        tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits), ref(labels, logits)
    )
    # Gradients reach both logits (softmax * sum(labels) - labels) and labels (-log_softmax).
    check_grad(
        lambda y, z: tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z),
        ref,
        [labels, logits],
        seed=seed,
        rtol=2e-3,
        atol=2e-3,
    )
    if len(shape) > 1:
        close(
            tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits, axis=0),
            -(labels * _log_softmax(logits, 0)).sum(0),
            atol=1e-5,
        )


@given(shape=st.lists(st.integers(1, 4), max_size=3).map(tuple), seed=seeds)
@FAST
def test_sigmoid_cross_entropy_values_and_gradient(shape, seed):
    x = arrays(shape, seed, -6, 6)
    z = (np.random.default_rng(seed).random(shape) < 0.5).astype(np.float32)

    def ref(labels, logits):
        p = 1 / (1 + np.exp(-logits))
        return -(labels * np.log(p) + (1 - labels) * np.log(1 - p))

    out = tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)
    close(out, ref(z.astype(np.float64), x.astype(np.float64)), rtol=1e-4, atol=1e-5)
    check_grad(
        lambda t: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=t),
        lambda a: ref(z, a),
        [x],
    )
    close(tf.nn.sigmoid_cross_entropy_with_logits(labels=[1.0], logits=[200.0]), [0.0])


def _phi(x):
    return 0.5 * (1 + np.vectorize(math.erf)(x / np.sqrt(2)))


ACTIVATIONS = {
    "relu": (tf.nn.relu, lambda a: np.maximum(a, 0)),
    "relu6": (tf.nn.relu6, lambda a: np.clip(a, 0, 6)),
    "leaky_relu": (tf.nn.leaky_relu, lambda a: np.where(a > 0, a, 0.2 * a)),
    "elu": (tf.nn.elu, lambda a: np.where(a > 0, a, np.exp(a) - 1)),
    "gelu": (tf.nn.gelu, lambda a: a * _phi(a)),
    "gelu_tanh": (
        lambda t: tf.nn.gelu(t, approximate=True),
        lambda a: 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a**3))),
    ),
    "sigmoid": (tf.nn.sigmoid, lambda a: 1 / (1 + np.exp(-a))),
    "tanh": (tf.nn.tanh, np.tanh),
    "softplus": (tf.nn.softplus, lambda a: np.log1p(np.exp(a))),
    "softmax": (tf.nn.softmax, lambda a: np.exp(_log_softmax(a))),
    "log_softmax": (tf.nn.log_softmax, _log_softmax),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), seed=seeds)
@FAST
def test_activations_values_and_gradients(name, shape, seed):
    fn, ref = ACTIVATIONS[name]
    x = arrays(shape, seed, -8, 8)
    # Keep finite differences off the kinks of relu, relu6 and leaky_relu.
    for kink in (0.0, 6.0):
        x = np.where(np.abs(x - kink) < 0.05, kink + 0.1, x).astype(np.float32)
    close(fn(x), ref(x.astype(np.float64)), rtol=1e-4, atol=1e-5)
    check_grad(fn, ref, [x], seed=seed, rtol=2e-3, atol=2e-3)


def test_softmax_axis_bias_add_l2_loss_moments():
    x = arrays((3, 4), 0)
    close(tf.nn.softmax(x, axis=0), np.exp(_log_softmax(x, 0)), atol=1e-6)
    close(tf.nn.bias_add(x, np.arange(4.0)), x + np.arange(4.0))
    with pytest.raises(ValueError, match="bias_add"):
        tf.nn.bias_add(x, np.ones(3))
    check_grad(tf.nn.l2_loss, lambda a: (a**2).sum() / 2, [x])
    mean, var = tf.nn.moments(x, axes=[0])
    close(mean, x.mean(0))
    close(var, x.var(0), atol=1e-6)
    mean, var = tf.nn.moments(x, axes=[0, 1], keepdims=True)
    assert mean.shape == var.shape == (1, 1)


def test_random_global_seed_makes_the_sequence_reproducible():
    tf.random.set_seed(1234)
    a1, a2 = tf.random.normal([3, 2]), tf.random.uniform([4])
    tf.random.set_seed(1234)
    b1, b2 = tf.random.normal([3, 2]), tf.random.uniform([4])
    close(a1, b1)
    close(a2, b2)
    assert not np.array_equal(a1.numpy()[0], a1.numpy()[1])
    # set_seed is rustgrad.manual_seed underneath: randn follows the same stream.
    tf.random.set_seed(7)
    r = tf.randn(3)
    tf.manual_seed(7)
    close(tf.randn(3), r)


def test_random_op_seed_rules():
    tf.random.set_seed(5)
    a1, a2 = tf.random.uniform([3], seed=1), tf.random.uniform([3], seed=1)
    assert not np.array_equal(a1.numpy(), a2.numpy())  # TF eager: one op seed steps a sequence
    tf.random.set_seed(5)
    close(tf.random.uniform([3], seed=1), a1)
    close(tf.random.uniform([3], seed=1), a2)
    tf.random.set_seed(6)
    assert not np.array_equal(tf.random.uniform([3], seed=1).numpy(), a1.numpy())


def test_random_distributions_and_arguments():
    tf.random.set_seed(0)
    n = tf.random.normal([20000], mean=3.0, stddev=0.5, seed=2).numpy()
    assert abs(n.mean() - 3.0) < 0.02 and abs(n.std() - 0.5) < 0.02
    u = tf.random.uniform((100, 50), minval=-2, maxval=5).numpy()
    assert u.min() >= -2 and u.max() < 5 and abs(u.mean() - 1.5) < 0.1
    assert tf.random.normal([]).shape == () and tf.random.uniform(3).shape == (3,)
    ints = tf.random.uniform([1000], minval=2, maxval=7, dtype=tf.int32, seed=3).numpy()
    assert set(np.unique(ints)) == {2.0, 3.0, 4.0, 5.0, 6.0}
    assert not tf.random.normal([2]).requires_grad
    with pytest.raises(ValueError, match="needs maxval"):
        tf.random.uniform([2], dtype=tf.int64)
    with pytest.raises(TypeError, match="float32"):
        tf.random.normal([2], dtype=np.float64)
    with pytest.raises(TypeError, match="uniform"):
        tf.random.uniform([2], dtype=tf.bool)


def test_package_math_and_random_do_not_shadow_the_stdlib():
    import random

    import rustgrad.data  # noqa: F401  (its `import math` must stay the standard library)

    assert math.pi == pytest.approx(3.14159265) and hasattr(random, "shuffle")
    assert tf.math.__name__ == "rustgrad.math" and tf.random.__name__ == "rustgrad.random"
    assert tf.nn.__name__ == "rustgrad.nn"
    assert tf.bool == "bool" and tf.int32 == "int32" and tf.float32 == "float32"
