"""TF's shape queries and array helpers (tf.shape, tf.one_hot with depth, tf.gather, tf.add_n, norm
clipping, tf.sign/round, tf.print), tf.Module and tf.TensorSpec, against NumPy and TF's documented
behaviour."""

from __future__ import annotations

import io

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

rng = np.random.default_rng(3)


def test_shape_size_rank_and_sizes_taken_from_them():
    x = tf.constant(rng.normal(size=(4, 3, 2)).astype(np.float32))
    np.testing.assert_array_equal(tf.shape(x).numpy(), [4, 3, 2])
    assert tf.size(x).item() == 24 and tf.rank(x).item() == 3
    assert tf.shape(tf.constant(1.0)).shape == (0,)
    z = tf.random.normal(shape=(tf.shape(x)[0], 5))  # the VAE sampling layer's idiom
    assert z.shape == (4, 5)
    assert tf.zeros((tf.shape(x)[1], tf.shape(x)[2])).shape == (3, 2)
    with pytest.raises(TypeError, match="out_type"):
        tf.shape(x, out_type=tf.float32)


def test_one_hot_takes_tf_arguments():
    labels = np.array([[0, 2], [1, 1]])
    want = np.eye(3, dtype=np.float32)[labels]
    np.testing.assert_array_equal(tf.one_hot(labels, depth=3).numpy(), want)
    np.testing.assert_array_equal(tf.one_hot(labels, 3).numpy(), want)
    np.testing.assert_array_equal(tf.one_hot(labels, num_classes=3).numpy(), want)
    got = tf.one_hot([1, 0], depth=2, on_value=5.0, off_value=-1.0).numpy()
    np.testing.assert_array_equal(got, [[-1, 5], [5, -1]])
    for axis in (0, 1):
        np.testing.assert_array_equal(
            tf.one_hot(labels, depth=3, axis=axis).numpy(), np.moveaxis(want, -1, axis)
        )
    with pytest.raises(TypeError, match="once"):
        tf.one_hot(labels)
    with pytest.raises(TypeError, match="once"):
        tf.one_hot(labels, 3, num_classes=3)
    with pytest.raises(tf.InvalidArgumentError, match="one_hot"):
        tf.one_hot([3], depth=3)  # refused, where TF writes a row of off_value (see docstring)
    with pytest.raises(ValueError, match="axis"):
        tf.one_hot(labels, depth=3, axis=5)


def test_add_n_sums_same_shaped_tensors_with_gradients():
    a = tf.constant([1.0, 2.0]).requires_grad_()
    b = tf.constant([3.0, 4.0]).requires_grad_()
    s = tf.add_n([a, b, [1.0, 1.0]])
    np.testing.assert_array_equal(s.numpy(), [5, 7])
    s.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 1])
    with pytest.raises(ValueError, match="same shape"):
        tf.add_n([tf.ones(2), tf.ones(3)])
    with pytest.raises(ValueError, match="non-empty"):
        tf.add_n([])


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_gather_matches_numpy_take_and_routes_gradients(axis):
    p = rng.normal(size=(3, 4, 5)).astype(np.float32)
    idx = np.array([[2, 0], [1, 2]])
    t = tf.constant(p).requires_grad_()
    got = tf.gather(t, idx, axis=axis)
    np.testing.assert_array_equal(got.numpy(), np.take(p, idx, axis=axis))
    got.sum().backward()
    want = np.zeros_like(p)
    np.add.at(np.moveaxis(want, axis, 0), idx.reshape(-1), 1.0)
    np.testing.assert_array_equal(t.grad.numpy(), want)


def test_gather_refuses_bad_indices_and_arguments():
    p = tf.ones((3, 2))
    np.testing.assert_array_equal(tf.gather(p, [-1]).numpy(), [[1, 1]])
    with pytest.raises(IndexError, match="in \\[-3, 3\\)"):
        tf.gather(p, [3])
    with pytest.raises(ValueError, match="whole numbers"):
        tf.gather(p, [0.5])
    with pytest.raises(ValueError, match="axis"):
        tf.gather(p, [0], axis=2)
    with pytest.raises(ValueError, match="batch_dims"):
        tf.gather(p, [0], batch_dims=1)


def test_norm_clipping_matches_tf_formulas():
    v = rng.normal(size=(3, 4)).astype(np.float32) * 3
    n = np.linalg.norm(v)
    np.testing.assert_allclose(tf.clip_by_norm(v, 1.0).numpy(), v / n, rtol=1e-5)
    np.testing.assert_allclose(tf.clip_by_norm(v, 1e3).numpy(), v, rtol=1e-6)
    rows = np.linalg.norm(v, axis=1, keepdims=True)
    want = v * 1.0 / np.maximum(rows, 1.0)
    np.testing.assert_allclose(tf.clip_by_norm(v, 1.0, axes=[1]).numpy(), want, rtol=1e-5)
    w = rng.normal(size=5).astype(np.float32)
    g = np.sqrt((v**2).sum() + (w**2).sum())
    clipped, norm = tf.clip_by_global_norm([v, None, w], 2.0)
    assert clipped[1] is None
    np.testing.assert_allclose(norm.item(), g, rtol=1e-5)
    np.testing.assert_allclose(clipped[0].numpy(), v * 2.0 / g, rtol=1e-5)
    np.testing.assert_allclose(clipped[2].numpy(), w * 2.0 / g, rtol=1e-5)
    t = tf.constant([3.0, 4.0]).requires_grad_()
    tf.clip_by_norm(t, 10.0).sum().backward()  # below the bound: the identity
    np.testing.assert_allclose(t.grad.numpy(), [1, 1])
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="clip_norm"):
            tf.clip_by_norm(v, bad)
        with pytest.raises(ValueError, match="clip_norm"):
            tf.clip_by_global_norm([v], bad)


def test_sign_round_and_print():
    x = tf.constant([-2.5, -0.0, 0.5, 1.5, 2.5, np.nan])
    np.testing.assert_array_equal(tf.sign(x).numpy(), [-1, 0, 1, 1, 1, np.nan])
    np.testing.assert_array_equal(tf.round(x).numpy(), [-2, 0, 0, 2, 2, np.nan])  # halves to even
    np.testing.assert_array_equal(tf.math.round(x).numpy(), tf.round(x).numpy())
    out = io.StringIO()
    tf.print("loss:", tf.constant([1.0, 2.0]), 3, output_stream=out)
    assert out.getvalue() == "loss: [1. 2.] 3\n"
    out = io.StringIO()
    tf.print(tf.range(10), output_stream=out, summarize=2)
    assert out.getvalue() == "[0. 1. ... 8. 9.]\n"
    with pytest.raises(TypeError, match="unexpected"):
        tf.print(1, colour="red")
    assert tf.is_tensor(x) and not tf.is_tensor(np.ones(2)) and tf.executing_eagerly()


def test_tensor_spec():
    spec = tf.TensorSpec(shape=(None, 3), dtype=tf.float32, name="x")
    assert spec.shape == (None, 3) and spec.dtype == "float32" and spec.name == "x"
    assert spec.is_compatible_with(tf.ones((5, 3)))
    assert not spec.is_compatible_with(tf.ones((5, 4)))
    assert not spec.is_compatible_with(tf.ones(3))
    assert tf.TensorSpec(None).is_compatible_with(tf.ones((2, 2, 2)))
    assert spec == tf.TensorSpec((None, 3), "float32", "x")

    @tf.function(input_signature=[spec])
    def double(v):
        return v * 2

    np.testing.assert_array_equal(double(tf.ones((2, 3))).numpy(), 2)
    with pytest.raises(TypeError):
        tf.TensorSpec((2,), dtype="complex64")


class _Dense(tf.Module):
    def __init__(self, i, o, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.random.normal([i, o]), name="w")
        self.b = tf.Variable(tf.zeros([o]), name="b")

    def __call__(self, x):
        return tf.nn.relu(x @ self.w + self.b)


class _Net(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.blocks = [_Dense(3, 4), _Dense(4, 2)]
        self.scale = tf.Variable(1.0, trainable=False, name="scale")
        self.head = keras.layers.Dense(1)
        self.head.build((None, 2))

    @tf.Module.with_name_scope
    def __call__(self, x):
        return self.head(self.blocks[1](self.blocks[0](x))) * self.scale


def test_module_finds_variables_and_submodules_in_attributes():
    net = _Net()
    assert net.name == "_net" and _Dense(1, 1).name == "_dense"
    assert [m.name for m in net.submodules] == ["_dense", "_dense"]
    # TF's order: the module's own variable first, then each submodule's (attribute names
    # sorted: blocks before head, b before w), the Keras layer's weights last.
    names = [v.name for v in net.variables]
    assert names[:5] == ["scale", "b", "w", "b", "w"] and len(names) == 7
    assert net.scale in net.non_trainable_variables
    assert len(net.trainable_variables) == 6
    x = tf.constant(rng.normal(size=(5, 3)).astype(np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(net(x) ** 2)
    grads = tape.gradient(loss, net.trainable_variables)
    assert all(g is not None for g in grads[-2:])  # the Keras layer's kernel and bias
    with pytest.raises(ValueError, match="module name"):
        tf.Module(name="bad name!")
    with pytest.raises(TypeError, match="string"), tf.name_scope(3):
        pass
    with tf.name_scope("block") as scope:
        assert scope == "block/"


def test_where_picks_values_and_sends_gradients_to_the_picked_ones_only():
    c = np.array([[True], [False]])
    x = rng.normal(size=(1, 3)).astype(np.float32)
    x[0, 2] = np.inf  # in the branch not taken on row 1: must not leak into result or gradient
    y = rng.normal(size=(2, 3)).astype(np.float32)
    xt, yt = tf.constant(x).requires_grad_(), tf.constant(y).requires_grad_()
    got = tf.where(c, xt, yt)
    np.testing.assert_array_equal(got.numpy(), np.where(c, x, y))
    got.sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), np.ones((1, 3)))  # row 0 only, summed once
    np.testing.assert_array_equal(yt.grad.numpy(), [[0, 0, 0], [1, 1, 1]])
    np.testing.assert_array_equal(tf.where(tf.constant([1.0, 0.0]), 1.0, 2.0).numpy(), [1, 2])
    np.testing.assert_array_equal(tf.where(x > 0, x, 0.0).numpy(), np.where(x > 0, x, 0))
    coords = tf.where(np.array([[True, False], [False, True]]))
    np.testing.assert_array_equal(coords.numpy(), [[0, 0], [1, 1]])
    assert tf.where(np.zeros((2, 2), bool)).shape == (0, 2)
    with pytest.raises(ValueError, match="both"):
        tf.where(c, x)
    with pytest.raises(ValueError, match="broadcast"):
        tf.where(c, np.ones((2, 3)), np.ones((3, 3)))


def test_keras_ops_additions():
    ops = keras.ops
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(ops.where(a > 2, a, -a).numpy(), np.where(a > 2, a, -a))
    np.testing.assert_array_equal(ops.take(a, [5, 0]).numpy(), np.take(a, [5, 0]))
    np.testing.assert_array_equal(ops.take(a, [[2, 0]], axis=1).numpy(), np.take(a, [[2, 0]], 1))
    np.testing.assert_array_equal(ops.arange(1, 7, 2).numpy(), np.arange(1, 7, 2))
    for k in (-1, 0, 2):
        np.testing.assert_array_equal(ops.eye(3, 4, k=k).numpy(), np.eye(3, 4, k))
    np.testing.assert_allclose(ops.norm(a).numpy(), np.linalg.norm(a), rtol=1e-6)
    np.testing.assert_allclose(ops.norm(a, axis=1).numpy(), np.linalg.norm(a, axis=1), rtol=1e-6)
    np.testing.assert_array_equal(ops.sign(a - 2).numpy(), np.sign(a - 2))
    np.testing.assert_allclose(ops.round(a / 7, 2).numpy(), np.round(a / 7, 2), rtol=1e-6)
    with pytest.raises(TypeError, match="dtype"):
        ops.arange(3, dtype="float64")
