"""Values of elementwise ops, reductions and matmul against NumPy over random shapes (hypothesis)."""

import operator

import numpy as np
import pytest
import rustgrad as rg
from core_helpers import FAST, arrays, broadcast_pair, close, distinct, nonempty_shapes, shapes
from hypothesis import given
from hypothesis import strategies as st

seeds = st.integers(0, 2**32 - 1)
BINARY = [operator.add, operator.sub, operator.mul, operator.truediv]


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@given(pair=broadcast_pair(), seed=seeds)
@FAST
def test_binary_operators_broadcast_like_numpy(op, pair, seed):
    a, b = arrays(pair[0], seed), arrays(pair[1], seed + 1)
    if op is operator.truediv:
        b = np.where(np.abs(b) < 0.1, 0.5, b).astype(np.float32)
    close(op(rg.tensor(a), rg.tensor(b)), op(a, b))
    # Array-likes on either side become tensors.
    close(op(rg.tensor(a), b.tolist()), op(a, b))


@pytest.mark.parametrize("op", BINARY + [operator.pow], ids=lambda f: f.__name__)
@given(shape=shapes, seed=seeds, c=st.sampled_from([-1.5, 0.5, 2.0, 3]))
@FAST
def test_python_scalars_on_either_side(op, shape, seed, c):
    a = arrays(shape, seed, 0.2, 2.0)
    close(op(rg.tensor(a), c), op(a, np.float32(c)), rtol=1e-5)
    # A negative base to a fractional power is NaN in both; keep the reflected pow real.
    r = abs(c) if op is operator.pow else c
    close(op(r, rg.tensor(a)), op(np.float32(r), a), rtol=1e-5)


@given(pair=broadcast_pair(), seed=seeds)
@FAST
def test_tensor_power_maximum_minimum(pair, seed):
    a, b = arrays(pair[0], seed, 0.1, 2.0), arrays(pair[1], seed + 1)
    close(rg.tensor(a) ** rg.tensor(b), a**b, rtol=1e-5)
    close(rg.tensor(a).maximum(rg.tensor(b)), np.maximum(a, b))
    close(rg.tensor(b).minimum(rg.tensor(a)), np.minimum(b, a))
    close(rg.maximum(a, b), np.maximum(a, b))
    close(rg.minimum(a, 0.5), np.minimum(a, np.float32(0.5)))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


UNARY = {
    "neg": (lambda t: -t, np.negative, (-3, 3)),
    "exp": (lambda t: t.exp(), np.exp, (-5, 5)),
    "log": (lambda t: t.log(), np.log, (0.01, 5)),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, (0.0, 5)),
    "abs": (lambda t: t.abs(), np.abs, (-3, 3)),
    "relu": (lambda t: t.relu(), lambda x: np.maximum(x, 0), (-3, 3)),
    "leaky_relu": (
        lambda t: t.leaky_relu(0.1),
        lambda x: np.where(x > 0, x, 0.1 * x),
        (-3, 3),
    ),
    "leaky_relu_default": (
        lambda t: t.leaky_relu(),
        lambda x: np.where(x > 0, x, 0.2 * x),
        (-3, 3),
    ),
    "sigmoid": (lambda t: t.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), (-30, 30)),
    "tanh": (lambda t: t.tanh(), np.tanh, (-5, 5)),
    "clip": (lambda t: t.clip(-0.5, 1.0), lambda x: np.clip(x, -0.5, 1.0), (-3, 3)),
    "clip_lo_only": (lambda t: t.clip(0.0), lambda x: np.clip(x, 0.0, None), (-3, 3)),
    "softmax": (lambda t: t.softmax(), lambda x: _softmax(x, -1), (-50, 50)),
    "log_softmax": (
        lambda t: t.log_softmax(0),
        lambda x: np.log(_softmax(x.astype(np.float64), 0)),
        (-50, 50),
    ),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=nonempty_shapes, seed=seeds)
@FAST
def test_unary_ops_match_numpy(name, shape, seed):
    fn, ref, (lo, hi) = UNARY[name]
    x = arrays(shape, seed, lo, hi)
    close(fn(rg.tensor(x)), ref(x), rtol=2e-5, atol=1e-5)


def test_module_functions_mirror_methods():
    x = np.array([[0.5, -1.0], [2.0, 0.1]], dtype=np.float32)
    for name in ("exp", "abs", "relu", "sigmoid", "tanh", "softmax", "log_softmax"):
        close(getattr(rg, name)(x), getattr(rg.tensor(x), name)())
    close(rg.sqrt(np.abs(x)), np.sqrt(np.abs(x)))
    close(rg.log(np.abs(x)), np.log(np.abs(x)))
    close(rg.clip(x, 0.0, 1.0), np.clip(x, 0.0, 1.0))


def test_softmax_extremes_are_finite():
    close(rg.tensor([1000.0, 0.0, -1000.0]).softmax(), [1.0, 0.0, 0.0])
    close(rg.tensor([-1000.0] * 3).softmax(), [1 / 3] * 3)
    close(rg.tensor([[1000.0, 0.0]]).log_softmax(), [[0.0, -1000.0]])


def test_nan_and_inf_propagate_as_ieee_values():
    x = rg.tensor([np.nan, np.inf, -np.inf, 1.0])
    ref = np.array([np.nan, np.inf, -np.inf, 1.0], dtype=np.float32)
    with np.errstate(all="ignore"):
        close(x.relu(), np.maximum(ref, 0))
        close(x.clip(-1, 1), np.clip(ref, -1, 1))
        close(x.maximum(0.0), np.maximum(ref, 0))
        close(x.minimum(0.0), np.minimum(ref, 0))
        close(x * 0, ref * 0)
        close(x.exp(), np.exp(ref))
        close(x.sigmoid(), [np.nan, 1.0, 0.0, 1 / (1 + np.exp(-1))])
        close(x.tanh(), np.tanh(ref))
        close(x.abs(), np.abs(ref))
        close(x.sum(), np.sum(ref))
        close(x.max(), np.max(ref))
        close(rg.tensor([-1.0, 0.0]).log(), np.log(np.float32([-1.0, 0.0])))
        close(rg.tensor([1.0, -1.0, 0.0]) / 0.0, np.float32([1.0, -1.0, 0.0]) / np.float32(0))


axis_choices = st.one_of(
    st.none(),
    st.integers(-3, 2),
    st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True).map(tuple),
)


def _valid_axis(axis, ndim):
    if axis is None:
        return axis
    ax = (axis,) if isinstance(axis, int) else axis
    if any(not -ndim <= a < ndim for a in ax):
        return False
    return axis


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
@given(shape=nonempty_shapes, seed=seeds, axis=axis_choices, keepdims=st.booleans())
@FAST
def test_reductions_match_numpy(name, shape, seed, axis, keepdims):
    x = distinct(shape, seed)
    if _valid_axis(axis, len(shape)) is False:
        with pytest.raises(rg.ShapeError, match=name):
            getattr(rg.tensor(x), name)(axis=axis, keepdims=keepdims)
        return
    got = getattr(rg.tensor(x), name)(axis=axis, keepdims=keepdims)
    close(got, getattr(np, name)(x, axis=axis, keepdims=keepdims), rtol=1e-5, atol=1e-5)


@given(shape=nonempty_shapes, seed=seeds, data=st.data())
@FAST
def test_argmax_matches_numpy(shape, seed, data):
    x = distinct(shape, seed)
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    got = rg.tensor(x).argmax(axis)
    close(got, np.argmax(x, axis=axis).astype(np.float32))
    assert not got.requires_grad
    close(rg.tensor(x).argmin(axis), np.argmin(x, axis=axis).astype(np.float32))
    kept = np.argmax(x, axis=axis, keepdims=True).astype(np.float32)
    close(rg.tensor(x).argmax(axis, keepdims=True), kept)


def test_empty_tensors_behave_like_numpy():
    e = np.zeros((0, 3), dtype=np.float32)
    t = rg.tensor(e)
    close(t + 1.0, e + 1)
    close(t * rg.ones((1, 3)), e * 1)
    close(t.exp(), np.exp(e))
    close(t.sum(), 0.0)
    close(t.sum(axis=0), np.zeros(3))
    close(t.sum(axis=1), np.zeros(0))
    close(t.max(axis=1), np.zeros(0))
    w = rg.tensor(np.zeros((2, 0), np.float32), requires_grad=True)
    close(w.sum(axis=0), np.zeros(0))
    close(w.sum(axis=1, keepdims=True), np.zeros((2, 1)))
    (w + rg.zeros(0, requires_grad=True)).sum().backward()
    assert w.grad.shape == (2, 0)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        ref_mean = e.mean(axis=0)
    close(t.mean(axis=0), ref_mean)
    for axis in (None, 0):
        with pytest.raises(rg.ShapeError, match="max"):
            t.max(axis=axis)
        with pytest.raises(rg.ShapeError, match="min"):
            t.min(axis=axis)
    with pytest.raises(rg.ShapeError, match="argmax"):
        t.argmax(0)


matmul_shapes = st.sampled_from(
    [
        ((3,), (3,)),
        ((3,), (3, 4)),
        ((2, 3), (3,)),
        ((2, 3), (3, 4)),
        ((5, 2, 3), (3, 4)),
        ((5, 2, 3), (5, 3, 4)),
        ((1, 2, 3), (4, 3, 2)),
        ((2, 1, 2, 3), (3, 3, 1)),
        ((3,), (2, 3, 4)),
        ((2, 4, 3), (3,)),
        ((0, 3), (3, 2)),
        ((2, 0), (0, 3)),
    ]
)


@given(pair=matmul_shapes, seed=seeds)
@FAST
def test_matmul_follows_numpy_semantics(pair, seed):
    a, b = arrays(pair[0], seed), arrays(pair[1], seed + 1)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    close(rg.tensor(a) @ rg.tensor(b), expected, rtol=1e-5, atol=1e-5)
    close(rg.tensor(a).matmul(b), expected, rtol=1e-5, atol=1e-5)
    close(a @ rg.tensor(b), expected, rtol=1e-5, atol=1e-5)
    close(rg.matmul(a, b), expected, rtol=1e-5, atol=1e-5)


def test_large_matmul_matches_numpy():
    a, b = arrays((130, 257), 1), arrays((257, 70), 2)
    close(rg.tensor(a) @ rg.tensor(b), a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


@given(pair=broadcast_pair(), seed=seeds)
@FAST
def test_comparisons_give_0_1_without_grad(pair, seed):
    a = np.round(arrays(pair[0], seed), 1)
    b = np.round(arrays(pair[1], seed + 1), 1)
    ta = rg.tensor(a, requires_grad=True)
    for op in (operator.lt, operator.gt, operator.eq, operator.le, operator.ge, operator.ne):
        got = op(ta, rg.tensor(b))
        close(got, op(a, b).astype(np.float32))
        assert not got.requires_grad
    close(ta > 0.5, (a > 0.5).astype(np.float32))
    close(0.5 < ta, (a > 0.5).astype(np.float32))
