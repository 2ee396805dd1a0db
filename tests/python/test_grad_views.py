"""Gradients of shape ops, joins and indexing, and rustgrad.gradcheck itself."""

import numpy as np
import pytest
import rustgrad as rg
from core_helpers import FAST, arrays, check_grad, nonempty_shapes
from hypothesis import given
from hypothesis import strategies as st

seeds = st.integers(0, 2**32 - 1)
shapes3 = st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple)


@given(shape=shapes3, seed=seeds, data=st.data())
@FAST
def test_view_grads(shape, seed, data):
    x = arrays(shape, seed)
    perm = data.draw(st.permutations(range(len(shape))))
    a, b = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=2, max_size=2))
    ax = data.draw(st.integers(-len(shape) - 1, len(shape)))
    cases = [
        (lambda t: t.reshape(-1, shape[0]), lambda v: v.reshape(-1, shape[0])),
        (lambda t: t.flatten(), lambda v: v.flatten()),
        (lambda t: t.permute(*perm), lambda v: v.transpose(perm)),
        (lambda t: t.transpose(a, b), lambda v: np.swapaxes(v, a, b)),
        (lambda t: t.T, lambda v: v.T),
        (lambda t: t.expand_dims(ax), lambda v: np.expand_dims(v, ax)),
        (lambda t: t.expand_dims(0).squeeze(0), lambda v: v),
        (lambda t: t.broadcast_to((2, *shape)), lambda v: np.broadcast_to(v, (2, *shape))),
    ]
    for fn, ref in cases:
        check_grad(fn, ref, [x], seed)


@given(shape=nonempty_shapes, seed=seeds, data=st.data())
@FAST
def test_concatenate_and_stack_grads(shape, seed, data):
    axis = data.draw(st.integers(0, len(shape) - 1))
    other = list(shape)
    other[axis] = data.draw(st.integers(1, 3))
    xs = [arrays(shape, seed), arrays(tuple(other), seed + 1)]
    check_grad(
        lambda p, q: rg.concatenate([p, q], axis=axis),
        lambda p, q: np.concatenate([p, q], axis=axis),
        xs,
        seed,
    )
    ys = [arrays(shape, seed + 2), arrays(shape, seed + 3), arrays(shape, seed + 4)]
    check_grad(
        lambda *ts: rg.stack(ts, axis=axis),
        lambda *vs: np.stack(vs, axis=axis),
        ys,
        seed,
    )


KEYS = [
    1,
    (slice(None), -1),
    (slice(None, None, -2), 0),
    [0, 0, 2],  # repeated rows: the gradient adds up at the gathered position
    ([0, 2, 2], [1, 1, 0]),
    (Ellipsis, [1, 1]),
    (None, slice(1, 3)),
    (np.array([[0, 2], [2, 2]]),),
    np.array([True, False, True]),
]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_indexing_grad_scatters_back(key):
    x = arrays((3, 4), 11)
    check_grad(lambda t: t[key], lambda v: v[key], [x])


def test_mask_indexing_grad():
    x = arrays((3, 4), 12)
    mask = x > 0
    t = rg.tensor(x, requires_grad=True)
    picked = t[t > 0]
    (picked * 2).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.where(mask, 2.0, 0.0))


def test_gradcheck_passes_on_correct_ops():
    x = arrays((3, 4), 0)
    w = arrays((4, 2), 1)
    assert rg.gradcheck(lambda a, b: (a @ b).tanh(), [x, w]) is True
    assert rg.gradcheck(lambda a: a.softmax().log().sum(), [rg.tensor(x)]) is True
    assert rg.gradcheck(lambda a: (a * a).mean(axis=0), [x]) is True


def test_gradcheck_rejects_a_wrong_gradient():
    # detach() hides half of the product rule: autograd says x, the true slope of x*x is 2x.
    def wrong(x):
        return x * x.detach()

    x = np.array([1.0, 2.0, -3.0], dtype=np.float32)
    with pytest.raises(rg.GradcheckError, match="input 0") as e:
        rg.gradcheck(wrong, [x])
    assert isinstance(e.value, AssertionError)
    assert rg.gradcheck(wrong, [x], raise_exception=False) is False


def test_gradcheck_names_the_failing_input():
    def second_input_wrong(a, b):
        return a * 2 + b * b.detach()

    x = np.array([0.5, 1.5], dtype=np.float32)
    with pytest.raises(rg.GradcheckError, match="input 1"):
        rg.gradcheck(second_input_wrong, [x, x + 1])


def test_numerical_grad_matches_known_derivative():
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    (g,) = rg.numerical_grad(lambda t: (t**3).sum(), [x])
    np.testing.assert_allclose(g, 3 * x.astype(np.float64) ** 2, rtol=1e-3)
