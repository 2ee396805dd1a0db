"""TensorFlow's top-level ops and tf.math (`import rustgrad as tf`) against NumPy: values, gradients, TF defaults."""

import numpy as np
import pytest
import rustgrad as tf
from core_helpers import FAST, arrays, check_grad, close, distinct, nonempty_shapes, shapes
from hypothesis import given
from hypothesis import strategies as st

seeds = st.integers(0, 2**32 - 1)


@st.composite
def shape_and_axis(draw):
    """A non-empty shape and an axis argument for it: None, an int (maybe negative) or a list."""
    shape = draw(nonempty_shapes)
    n = len(shape)
    kind = draw(st.sampled_from(["none", "int", "list"]))
    if kind == "none":
        return shape, None
    if kind == "int":
        return shape, draw(st.integers(-n, n - 1))
    return shape, sorted(draw(st.sets(st.integers(0, n - 1), min_size=1)))


def _np_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


REDUCE = {
    "reduce_sum": (tf.reduce_sum, np.sum),
    "reduce_mean": (tf.reduce_mean, np.mean),
    "reduce_max": (tf.reduce_max, np.max),
    "reduce_min": (tf.reduce_min, np.min),
    "reduce_logsumexp": (
        tf.math.reduce_logsumexp,
        lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)),
    ),
    "reduce_variance": (tf.math.reduce_variance, np.var),
    "reduce_std": (tf.math.reduce_std, np.std),
}


@pytest.mark.parametrize("name", REDUCE)
@given(sa=shape_and_axis(), keepdims=st.booleans(), seed=seeds)
@FAST
def test_reductions_match_numpy_with_gradients(name, sa, keepdims, seed):
    shape, axis = sa
    fn, ref = REDUCE[name]
    # Distinct values keep max/min gradients away from ties; std needs a spread in every slice.
    x = distinct(shape, seed)
    np_ref = lambda a: ref(a, axis=_np_axis(axis), keepdims=keepdims)
    close(fn(x, axis=axis, keepdims=keepdims), np_ref(x.astype(np.float64)), rtol=1e-4, atol=1e-5)
    if name != "reduce_std" or np.size(np_ref(x)) < x.size:  # std of one value has no slope
        check_grad(lambda t: fn(t, axis, keepdims), np_ref, [x], seed=seed, rtol=2e-3, atol=2e-3)


def test_reductions_default_to_every_axis():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert tf.reduce_sum(x).shape == () and float(tf.reduce_sum(x)) == 15.0
    assert float(tf.reduce_mean(x)) == 2.5 and float(tf.reduce_max(x)) == 5.0
    assert tf.reduce_min(x, keepdims=True).shape == (1, 1)
    # `math` is tf.math, and the module-level names are the same functions.
    assert tf.math.reduce_sum is tf.reduce_sum and tf.math.argmax is tf.argmax


@given(b=st.integers(1, 3), m=st.integers(1, 4), k=st.integers(1, 4), n=st.integers(1, 4))
@FAST
def test_matmul_transpose_flags_and_gradients(b, m, k, n):
    a, c = arrays((m, k), b), arrays((k, n), b + 1)
    # Contiguous copies of the transposes: rustgrad.tensor reads an F-ordered float32 array as C
    # order today (reported to the lead), which is not what these tests are about.
    at, ct = np.ascontiguousarray(a.T), np.ascontiguousarray(c.T)
    close(tf.matmul(a, c), a @ c, rtol=1e-5)
    close(tf.matmul(at, c, transpose_a=True), a @ c, rtol=1e-5)
    close(tf.matmul(a, ct, transpose_b=True), a @ c, rtol=1e-5)
    close(tf.matmul(at, ct, transpose_a=True, transpose_b=True), a @ c, rtol=1e-5)
    batched = arrays((b, m, k), 3)
    close(tf.matmul(batched, c), batched @ c, rtol=1e-5)
    check_grad(lambda x, y: tf.matmul(x, y, transpose_b=True), lambda x, y: x @ y.T, [a, ct])
    # rustgrad.matmul is this function, so the PyTorch-style call is unchanged.
    close(tf.matmul(a, c), (tf.tensor(a) @ tf.tensor(c)))


def test_matmul_errors():
    with pytest.raises(tf.ShapeError, match="matmul"):
        tf.matmul(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="rank >= 2"):
        tf.matmul(np.ones(3), np.ones((3, 2)), transpose_a=True)
    with pytest.raises(TypeError, match="output_type"):
        tf.matmul(np.ones((2, 2)), np.ones((2, 2)), output_type=tf.int32)
    with pytest.raises(TypeError, match="transpose_c"):
        tf.matmul(np.ones((2, 2)), np.ones((2, 2)), transpose_c=True)


@given(shape=shapes, seed=seeds)
@FAST
def test_transpose_default_reverses_and_perm(shape, seed):
    x = arrays(shape, seed)
    close(tf.transpose(x), np.transpose(x))
    perm = list(np.random.default_rng(seed).permutation(len(shape)))
    close(tf.transpose(x, perm=perm), np.transpose(x, perm))
    if x.size:
        check_grad(lambda t: tf.transpose(t, perm), lambda a: np.transpose(a, perm), [x])


@given(shape=nonempty_shapes, seed=seeds)
@FAST
def test_shape_ops(shape, seed):
    x = arrays(shape, seed)
    close(tf.reshape(x, [-1]), x.reshape(-1))
    close(tf.reshape(x, (x.size, 1)), x.reshape(x.size, 1))
    close(tf.expand_dims(x, -1), x[..., None])
    close(tf.expand_dims(x, 0), x[None])
    close(tf.squeeze(x[None, ..., None]), np.squeeze(x[None, ..., None]))
    close(tf.squeeze(x[None], axis=[0]), x)
    close(tf.tensor(x)[tf.newaxis], x[np.newaxis])
    close(tf.concat([x, x], axis=-1), np.concatenate([x, x], axis=-1))
    check_grad(
        lambda t: tf.reshape(tf.concat([t, t * 2.0], 0), [-1]),
        lambda a: np.concatenate([a, a * 2]).reshape(-1),
        [x],
    )


def test_shape_errors():
    with pytest.raises(tf.ShapeError, match="reshape"):
        tf.reshape(np.ones((2, 3)), [4, -1])
    with pytest.raises(tf.ShapeError, match="squeeze"):
        tf.squeeze(np.ones((2, 3)), axis=0)
    for bad in (lambda: tf.reshape([1.0], "x"), lambda: tf.zeros("x"), lambda: tf.ones(shape="x")):
        with pytest.raises(TypeError, match="shape"):
            bad()


@given(shape=nonempty_shapes, seed=seeds)
@FAST
def test_comparisons_are_0_1_without_gradient(shape, seed):
    a, b = arrays(shape, seed), arrays(shape, seed + 1)
    b = np.where(np.random.default_rng(seed).random(shape) < 0.3, a, b).astype(np.float32)
    for fn, ref in [
        (tf.equal, np.equal),
        (tf.not_equal, np.not_equal),
        (tf.greater, np.greater),
        (tf.greater_equal, np.greater_equal),
        (tf.less, np.less),
        (tf.less_equal, np.less_equal),
    ]:
        out = fn(tf.tensor(a, requires_grad=True), b)
        close(out, ref(a, b).astype(np.float32))
        assert not out.requires_grad
    close(tf.math.count_nonzero(a > 0), np.count_nonzero(a > 0))


@given(shape=nonempty_shapes, seed=seeds)
@FAST
def test_argmax_default_axis_is_0(shape, seed):
    x = distinct(shape, seed)
    close(tf.argmax(x), np.argmax(x, axis=0).astype(np.float32))
    close(tf.argmin(x), np.argmin(x, axis=0).astype(np.float32))
    close(tf.argmax(x, axis=-1, output_type=tf.int32), np.argmax(x, axis=-1).astype(np.float32))


def test_argmax_output_type_must_be_an_index_type():
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.argmax(np.ones((2, 2)), 1, output_type=tf.float32)


def test_accuracy_idiom():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((50, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 50)
    acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), labels), tf.float32))
    assert acc.shape == () and float(acc) == pytest.approx(np.mean(logits.argmax(1) == labels))


def test_cast():
    x = tf.tensor([1.7, -1.7, 0.0, 2.0], requires_grad=True)
    # float32 to float32 is x itself, so the gradient still flows.
    assert (
        tf.cast(x, tf.float32) is x and tf.cast(x, "float32") is x and tf.cast(x, np.float32) is x
    )
    for dtype in (tf.int32, tf.int64, np.int64, "int32", int):
        out = tf.cast(x, dtype)
        close(out, [1.0, -1.0, 0.0, 2.0])
        assert not out.requires_grad and out.dtype == np.float32
    close(tf.cast(x, tf.bool), [1.0, 1.0, 0.0, 1.0])
    close(tf.cast([True, False], tf.float32), [1.0, 0.0])
    for bad in (tf.float64 if hasattr(tf, "float64") else np.float64, np.complex64, "string"):
        with pytest.raises(TypeError, match="cast"):
            tf.cast(x, bad)
    with pytest.raises(TypeError, match="dtype is required"):
        tf.cast(x, None)


def test_constant_and_convert_to_tensor():
    close(tf.constant([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4]], np.float32))
    close(tf.constant(7.0, shape=[2, 3]), np.full((2, 3), 7.0, np.float32))
    close(
        tf.constant([1, 2, 3, 4, 5, 6], shape=(2, 3)),
        np.arange(1, 7, dtype=np.float32).reshape(2, 3),
    )
    close(tf.constant([1.9, -1.9], dtype=tf.int32), [1.0, -1.0])
    with pytest.raises(TypeError, match="shape"):
        tf.constant([1, 2], shape=[2, 3])
    t = tf.tensor([1.0, 2.0], requires_grad=True)
    assert tf.convert_to_tensor(t) is t  # keeps the graph
    c = tf.constant(t)
    assert c is not t and not c.requires_grad
    close(tf.convert_to_tensor(np.eye(2), dtype=tf.float32), np.eye(2))


def test_ones_zeros_like_and_shapes_both_styles():
    assert (
        tf.ones((2, 3)).shape == (2, 3)
        and tf.ones(2, 3).shape == (2, 3)
        and tf.ones([4]).shape == (4,)
    )
    assert tf.zeros([2, 1]).shape == (2, 1) and tf.zeros(2, 1).shape == (2, 1)
    close(tf.zeros(shape=[3], dtype=tf.float32), np.zeros(3))
    # Creation refuses every dtype but float32, as rustgrad.tensor does (no silent conversion).
    with pytest.raises(TypeError, match="float32"):
        tf.ones((2, 2), dtype=tf.int32)
    assert tf.ones(3, requires_grad=True).requires_grad and tf.ones().shape == ()
    with pytest.raises(TypeError, match="shape once"):
        tf.ones(2, shape=[2])
    with pytest.raises(TypeError, match="zeros"):
        tf.zeros([2], dtype="float64")
    x = np.ones((3, 2), np.float32)
    close(tf.ones_like(x), np.ones_like(x))
    close(tf.zeros_like(tf.tensor(x)), np.zeros_like(x))
    with pytest.raises(TypeError, match="float32"):
        tf.ones_like(x, dtype=tf.int32)
    with pytest.raises(TypeError, match="ones_like"):
        tf.ones_like(x, dtype=np.float64)


def test_clip_identity_stop_gradient():
    x = tf.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    close(tf.clip_by_value(x, -1, 1), [-1.0, 0.5, 1.0])
    assert tf.identity(x) is x
    (tf.stop_gradient(x) * x).sum().backward()
    close(x.grad, [-2.0, 0.5, 3.0])  # only the second factor's gradient


def test_function_runs_eagerly_with_and_without_arguments():
    calls = []

    @tf.function
    def f(x, scale=2.0):
        calls.append(x)
        return x * scale

    @tf.function(jit_compile=True, reduce_retracing=True)
    def g(x):
        return tf.reduce_sum(x)

    assert float(f(tf.constant(3.0))) == 6.0 and float(f(1.0, scale=4.0)) == 4.0
    assert len(calls) == 2  # eager: the body runs every call
    assert float(g([1.0, 2.0])) == 3.0
    assert f.__name__ == "f" and f.python_function(1.0) == 2.0
    assert tf.function(lambda x: x + 1, input_signature=None)(1) == 2

    class M:
        @tf.function
        def step(self, x):
            return x + 1

    assert M().step(1) == 2
    w = tf.tensor([2.0], requires_grad=True)
    f(w).sum().backward()
    close(w.grad, [2.0])
    with pytest.raises(TypeError, match="callable"):
        tf.function(3)
    with pytest.raises(TypeError):
        tf.function(jit_compile=True, no_such_option=1)
