"""Gradients of elementwise ops, reductions and matmul against float64 central differences of NumPy."""

import operator

import numpy as np
import pytest
import rustgrad as rg
from core_helpers import (
    FAST,
    SLOW,
    arrays,
    away_from,
    broadcast_pair,
    check_grad,
    distinct,
    nonempty_shapes,
)
from hypothesis import given
from hypothesis import strategies as st

seeds = st.integers(0, 2**32 - 1)


def _nonzero(x, gap=0.3):
    return away_from(x, (0.0,), gap)


BINARY = {
    "add": (operator.add, lambda a, b: (a, b)),
    "sub": (operator.sub, lambda a, b: (a, b)),
    "mul": (operator.mul, lambda a, b: (a, b)),
    "div": (operator.truediv, lambda a, b: (a, _nonzero(b))),
    "pow": (operator.pow, lambda a, b: (np.abs(a) + 0.5, b)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(pair=broadcast_pair(), seed=seeds)
@FAST
def test_binary_grad_unbroadcasts_to_each_input(name, pair, seed):
    op, prep = BINARY[name]
    a, b = prep(arrays(pair[0], seed), arrays(pair[1], seed + 1))
    check_grad(op, op, [a.astype(np.float32), b.astype(np.float32)], seed)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@given(pair=broadcast_pair(), seed=seeds)
@FAST
def test_maximum_minimum_grad(name, pair, seed):
    a = arrays(pair[0], seed)
    # Keep b at least 0.05 away from every value of a so no finite difference crosses a tie.
    b = away_from(arrays(pair[1], seed + 1), np.unique(a), 0.05)
    if np.any(np.abs(np.subtract.outer(b, a)) < 0.02):
        return
    check_grad(lambda x, y: getattr(x, name)(y), getattr(np, name), [a, b], seed)


SCALAR = {
    "x+c": (lambda t: t + 1.5, lambda x: x + 1.5),
    "c-x": (lambda t: 2.0 - t, lambda x: 2.0 - x),
    "x*c": (lambda t: t * -3.0, lambda x: x * -3.0),
    "c/x": (lambda t: 2.0 / t, lambda x: 2.0 / x),
    "x/c": (lambda t: t / 4.0, lambda x: x / 4.0),
    "x**2": (lambda t: t**2, lambda x: x**2),
    "x**0.5": (lambda t: t**0.5, lambda x: x**0.5),
    "2**x": (lambda t: 2.0**t, lambda x: 2.0**x),
    "-x": (lambda t: -t, lambda x: -x),
}


@pytest.mark.parametrize("name", sorted(SCALAR))
@given(shape=nonempty_shapes, seed=seeds)
@FAST
def test_scalar_operand_grads(name, shape, seed):
    fn, ref = SCALAR[name]
    x = arrays(shape, seed, 0.3, 2.0)
    check_grad(fn, ref, [x], seed)


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


UNARY = {
    "exp": (lambda t: t.exp(), np.exp, lambda x: x),
    "log": (lambda t: t.log(), np.log, lambda x: np.abs(x) + 0.2),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, lambda x: np.abs(x) + 0.2),
    "abs": (lambda t: t.abs(), np.abs, _nonzero),
    "relu": (lambda t: t.relu(), lambda x: np.maximum(x, 0), _nonzero),
    "leaky_relu": (
        lambda t: t.leaky_relu(0.1),
        lambda x: np.where(x > 0, x, 0.1 * x),
        _nonzero,
    ),
    "sigmoid": (lambda t: t.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), lambda x: x),
    "tanh": (lambda t: t.tanh(), np.tanh, lambda x: x),
    "clip": (
        lambda t: t.clip(-0.5, 1.0),
        lambda x: np.clip(x, -0.5, 1.0),
        lambda x: away_from(x, (-0.5, 1.0)),
    ),
    "softmax": (lambda t: t.softmax(), lambda x: _np_softmax(x, -1), lambda x: x),
    "softmax0": (lambda t: t.softmax(0), lambda x: _np_softmax(x, 0), lambda x: x),
    "log_softmax": (
        lambda t: t.log_softmax(),
        lambda x: np.log(_np_softmax(x, -1)),
        lambda x: x,
    ),
    "log_softmax0": (
        lambda t: t.log_softmax(0),
        lambda x: np.log(_np_softmax(x, 0)),
        lambda x: x,
    ),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=nonempty_shapes, seed=seeds)
@FAST
def test_unary_grads(name, shape, seed):
    fn, ref, prep = UNARY[name]
    check_grad(fn, ref, [prep(arrays(shape, seed))], seed)


def test_relu_kink_gradient_is_zero():
    x = rg.tensor([0.0, -0.0, 1.0, -1.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0, 0.0])


axis_choices = st.one_of(
    st.none(),
    st.integers(0, 2),
    st.lists(st.integers(0, 2), min_size=1, max_size=2, unique=True).map(tuple),
)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
@given(
    shape=st.lists(st.integers(1, 4), min_size=3, max_size=3).map(tuple),
    seed=seeds,
    axis=axis_choices,
    keepdims=st.booleans(),
)
@FAST
def test_reduction_grads(name, shape, seed, axis, keepdims):
    x = distinct(shape, seed)
    check_grad(
        lambda t: getattr(t, name)(axis=axis, keepdims=keepdims),
        lambda a: getattr(np, name)(a, axis=axis, keepdims=keepdims),
        [x],
        seed,
    )


def test_max_of_ties_routes_gradient_to_one_element():
    x = rg.tensor([[2.0, 2.0, 1.0], [0.0, 3.0, 3.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    g = x.grad.numpy()
    assert g.sum(axis=1).tolist() == [1.0, 1.0]
    assert ((g == 0) | (g == 1)).all()


MATMUL = [
    ((3,), (3,)),
    ((3,), (3, 2)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((4, 2, 3), (3, 2)),
    ((2, 2, 3), (2, 3, 4)),
    ((1, 2, 3), (3, 3, 2)),
    ((3, 1, 2, 3), (2, 3, 1)),
    ((3,), (2, 3, 2)),
]


@pytest.mark.parametrize("shapes", MATMUL, ids=str)
@given(seed=seeds)
@SLOW
def test_matmul_grads_sum_over_broadcast_batches(shapes, seed):
    a, b = arrays(shapes[0], seed), arrays(shapes[1], seed + 1)
    check_grad(operator.matmul, operator.matmul, [a, b], seed)


def test_composite_expression_grad():
    # A small network-like expression: every op on the path contributes.
    def f(x, w, b):
        return ((x @ w + b).tanh() ** 2).mean(axis=0)

    def ref(x, w, b):
        return (np.tanh(x @ w + b) ** 2).mean(axis=0)

    check_grad(f, ref, [arrays((5, 3), 1), arrays((3, 4), 2), arrays((4,), 3)])


def test_check_grad_detects_wrong_gradients_and_shapes():
    # The helper every test above relies on must fail on a wrong derivative or a wrong value.
    x = arrays((2, 3), 4)
    with pytest.raises(AssertionError, match="input 0"):
        check_grad(lambda t: t * t.detach(), lambda v: v * v, [x])
    with pytest.raises(AssertionError):
        check_grad(lambda t: t.tanh(), lambda v: np.tanh(v) + 1e-2, [x])
    with pytest.raises(AssertionError, match="no gradient"):
        check_grad(lambda a, b: a * 2, lambda a, b: a * 2, [x, x])
