"""keras.ops (Keras 3) against NumPy: values, gradients and Keras' defaults (argmax over the flattened tensor)."""

import numpy as np
import pytest
import rustgrad as rg
from core_helpers import FAST, arrays, check_grad, close, distinct, nonempty_shapes, shapes
from hypothesis import given
from hypothesis import strategies as st
from rustgrad import keras
from rustgrad.keras import ops

seeds = st.integers(0, 2**32 - 1)


def test_ops_is_reachable_both_ways():
    assert keras.ops is ops and rg.keras.ops is ops
    assert set(ops.__all__) >= {"sum", "mean", "matmul", "convert_to_numpy", "one_hot", "clip"}
    assert all(callable(getattr(ops, n)) for n in ops.__all__)


REDUCE = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "var": np.var}


@pytest.mark.parametrize("name", REDUCE)
@given(shape=nonempty_shapes, keepdims=st.booleans(), seed=seeds, data=st.data())
@FAST
def test_reductions(name, shape, keepdims, seed, data):
    axis = data.draw(st.sampled_from([None, -1, 0, tuple(range(len(shape)))]))
    x = distinct(shape, seed)
    fn, ref = getattr(ops, name), REDUCE[name]
    close(fn(x, axis=axis, keepdims=keepdims), ref(x, axis=axis, keepdims=keepdims), atol=1e-5)
    check_grad(lambda t: fn(t, axis, keepdims), lambda a: ref(a, axis=axis, keepdims=keepdims), [x])


def test_max_min_initial_and_std():
    x = np.array([[1.0, -3.0], [2.0, 0.5]], np.float32)
    close(ops.max(x, axis=1, initial=1.5), np.max(x, axis=1, initial=1.5))
    close(ops.min(x, initial=-5.0), np.min(x, initial=-5.0))
    close(ops.std(x, axis=0), np.std(x, axis=0), atol=1e-6)


UNARY = {
    "exp": (np.exp, (-3, 3)),
    "log": (np.log, (0.1, 3)),
    "sqrt": (np.sqrt, (0.1, 3)),
    "square": (np.square, (-3, 3)),
    "abs": (np.abs, (0.1, 3)),
    "absolute": (np.abs, (-3, -0.1)),
    "negative": (np.negative, (-3, 3)),
    "relu": (lambda a: np.maximum(a, 0), (0.1, 3)),
    "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), (-4, 4)),
    "tanh": (np.tanh, (-3, 3)),
    "softplus": (lambda a: np.log1p(np.exp(a)), (-3, 3)),
    "softmax": (lambda a: np.exp(a) / np.exp(a).sum(-1, keepdims=True), (-3, 3)),
    "log_softmax": (lambda a: a - np.log(np.exp(a).sum(-1, keepdims=True)), (-3, 3)),
    "gelu": (
        lambda a: 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a**3))),
        (-3, 3),
    ),
}


@pytest.mark.parametrize("name", UNARY)
@given(shape=nonempty_shapes, seed=seeds)
@FAST
def test_unary(name, shape, seed):
    ref, (lo, hi) = UNARY[name]
    x = arrays(shape, seed, lo, hi)
    close(getattr(ops, name)(x), ref(x.astype(np.float64)), rtol=1e-4, atol=1e-5)
    check_grad(getattr(ops, name), ref, [x], seed=seed, rtol=2e-3, atol=2e-3)


BINARY = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": np.divide,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "power": np.power,
}


@pytest.mark.parametrize("name", BINARY)
@given(shape=nonempty_shapes, seed=seeds)
@FAST
def test_binary(name, shape, seed):
    a, b = arrays(shape, seed, 0.5, 2.0), arrays(shape, seed + 1, 0.5, 2.0)
    b = np.where(np.abs(a - b) < 0.05, b + 0.2, b).astype(np.float32)
    close(getattr(ops, name)(a, b), BINARY[name](a, b), rtol=1e-5)
    check_grad(getattr(ops, name), BINARY[name], [a, b], seed=seed, rtol=2e-3, atol=2e-3)


@given(m=st.integers(1, 4), k=st.integers(1, 4), n=st.integers(1, 4), seed=seeds)
@FAST
def test_matmul_and_dot(m, k, n, seed):
    a, b = arrays((m, k), seed), arrays((k, n), seed + 1)
    check_grad(ops.matmul, np.matmul, [a, b])
    close(ops.dot(a, b), np.dot(a, b), rtol=1e-5)
    close(ops.dot(a[0], b[:, 0].copy()), np.dot(a[0], b[:, 0]), rtol=1e-5)
    close(ops.dot(2.0, a), 2 * a)
    with pytest.raises(ValueError, match="rank"):
        ops.dot(np.ones((1, 2, 2)), np.ones((2, 2)))


@given(shape=shapes, seed=seeds)
@FAST
def test_shape_ops(shape, seed):
    x = arrays(shape, seed)
    close(ops.transpose(x), np.transpose(x))
    perm = tuple(np.random.default_rng(seed).permutation(len(shape)))
    close(ops.transpose(x, axes=perm), np.transpose(x, perm))
    close(ops.reshape(x, (-1,)), x.reshape(-1))
    close(ops.expand_dims(x, 0), x[None])
    close(ops.squeeze(x[None, ..., None]), np.squeeze(x[None, ..., None]))
    close(ops.squeeze(x[None], axis=0), x)
    assert ops.shape(x) == x.shape
    if shape:
        close(ops.concatenate([x, x + 1], axis=-1), np.concatenate([x, x + 1], axis=-1))
        close(ops.stack([x, x], axis=1), np.stack([x, x], axis=1))
        check_grad(lambda t: ops.stack([t, t * 3.0], 0), lambda a: np.stack([a, a * 3]), [x])


@given(shape=nonempty_shapes, seed=seeds)
@FAST
def test_argmax_defaults_to_the_flattened_tensor(shape, seed):
    x = distinct(shape, seed)
    close(ops.argmax(x), np.float32(np.argmax(x)))
    close(ops.argmin(x), np.float32(np.argmin(x)))
    close(ops.argmax(x, axis=-1), np.argmax(x, axis=-1).astype(np.float32))
    close(
        ops.argmax(x, axis=0, keepdims=True), np.argmax(x, axis=0, keepdims=True).astype(np.float32)
    )


def test_comparisons_cast_and_accuracy():
    logits = arrays((40, 5), 0)
    labels = np.random.default_rng(1).integers(0, 5, 40)
    acc = ops.mean(ops.cast(ops.equal(ops.argmax(logits, axis=1), labels), "float32"))
    assert float(acc) == pytest.approx(np.mean(logits.argmax(1) == labels))
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    close(ops.not_equal(a, b), [1.0, 0.0, 1.0])
    close(ops.greater(a, b), [0.0, 0.0, 1.0])
    close(ops.less_equal(a, b), [1.0, 1.0, 0.0])
    close(ops.cast([1.6, -1.6], "int32"), [1.0, -1.0])
    with pytest.raises(TypeError, match="float64"):
        ops.cast(a, "float64")


def test_conversions():
    t = rg.tensor([1.0, 2.0], requires_grad=True)
    assert ops.convert_to_tensor(t) is t
    arr = ops.convert_to_numpy(t * 2)
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float32
    np.testing.assert_array_equal(arr, [2.0, 4.0])
    arr[0] = 9.0  # a copy: the tensor is unchanged
    assert t.tolist() == [1.0, 2.0]
    np.testing.assert_array_equal(ops.convert_to_numpy([[1, 2]]), [[1, 2]])
    close(ops.convert_to_tensor([[1, 2]], dtype="float32"), [[1.0, 2.0]])


def test_creation():
    close(ops.ones((2, 3)), np.ones((2, 3)))
    close(ops.zeros([4]), np.zeros(4))
    close(ops.ones(3, dtype="int32"), np.ones(3))
    close(ops.full((2, 2), 1.5), np.full((2, 2), 1.5))
    close(ops.full((2,), 2.7, dtype="int32"), [2.0, 2.0])
    x = np.ones((2, 5), np.float32)
    close(ops.ones_like(x), x)
    close(ops.zeros_like(x), 0 * x)
    close(ops.full_like(x, 7), 7 * x)
    with pytest.raises(TypeError, match="zeros"):
        ops.zeros((2,), dtype="float16")


def test_clip_and_one_hot():
    x = rg.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    out = ops.clip(x, -1.0, 1.0)
    close(out, [-1.0, 0.5, 1.0])
    out.sum().backward()
    close(x.grad, [0.0, 1.0, 0.0])
    labels = np.array([[0, 2], [1, 1]])
    close(ops.one_hot(labels, 3), np.eye(3)[labels])
    close(ops.one_hot(labels, 3, axis=0), np.moveaxis(np.eye(3)[labels], -1, 0))
    close(ops.one_hot(labels, 3, axis=1), np.moveaxis(np.eye(3)[labels], -1, 1))
    with pytest.raises(rg.InvalidArgumentError, match="one_hot"):
        ops.one_hot([3], 3)
    with pytest.raises(ValueError, match="sparse"):
        ops.one_hot([0], 3, sparse=True)


def test_stop_gradient_and_logsumexp():
    x = rg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (ops.stop_gradient(x) * x).sum().backward()
    close(x.grad, x.detach())
    a = arrays((3, 4), 2)
    check_grad(lambda t: ops.logsumexp(t, axis=1), lambda v: np.log(np.exp(v).sum(1)), [a])
