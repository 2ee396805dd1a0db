"""Autograd through in-place updates: rebased gradients vs NumPy, the version-counter error, .data."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from core_helpers import FAST, arrays, away_from, check_grad, close, dims
from hypothesis import given
from hypothesis import strategies as st
from test_tensor_inplace import IOPS, NP, into_pair, operand

seeds = st.integers(0, 2**32 - 1)
MODIFIED = "modified by an in-place operation"


@pytest.mark.parametrize("name", sorted(IOPS))
@given(pair=into_pair(), seed=seeds)
@FAST
def test_rebased_binary_update_gradients_match_numpy(name, pair, seed):
    a, b = arrays(pair[0], seed), operand(pair[1], seed, name == "itruediv")

    def f(x, w):
        y = x * 1.5
        y = IOPS[name](y, w)  # y is not a leaf: recorded, not refused
        return y

    check_grad(f, lambda x, w: NP[name](x * 1.5, w), [a, b], seed)


@given(pair=into_pair(), seed=seeds, alpha=st.sampled_from([-0.5, 2.0]))
@FAST
def test_add_and_sub_with_alpha_gradients(pair, seed, alpha):
    a, b = arrays(pair[0], seed), arrays(pair[1], seed + 1)
    check_grad(lambda x, w: (x * 1.0).add_(w, alpha=alpha), lambda x, w: x + alpha * w, [a, b])
    check_grad(lambda x, w: (x * 1.0).sub_(w, alpha=alpha), lambda x, w: x - alpha * w, [a, b])


@given(shape=st.lists(dims, min_size=1, max_size=3).map(tuple), seed=seeds)
@FAST
def test_clamp_fill_zero_copy_gradients(shape, seed):
    a = away_from(arrays(shape, seed), (-0.5, 0.5))
    check_grad(lambda x: (x * 2.0).clamp_(-0.5, 0.5), lambda x: np.clip(x * 2, -0.5, 0.5), [a])
    src = arrays(shape, seed + 2)
    check_grad(lambda x, s: (x * 2.0).copy_(s * 3.0), lambda x, s: 0 * x + s * 3, [a, src])
    x = rg.tensor(a, requires_grad=True)
    y = x * 2.0
    y.fill_(1.0)
    y += x  # only the part after fill_ reaches x
    (y * y).sum().backward()
    close(x.grad, 2 * (1.0 + a), rtol=1e-5)


def test_chain_of_updates_like_pytorch():
    xv = np.float64([0.5, -1.0, 2.0])
    x = rg.tensor(xv.astype(np.float32), requires_grad=True)
    y = x * 2
    y += 1
    y *= x  # y = (2x + 1) x
    y -= x  # y = 2x² ; the inputs x are leaves and were never written
    y /= 4  # y = x² / 2
    assert y.grad_fn is not None and not y.is_leaf
    y.sum().backward()
    close(x.grad, xv, rtol=1e-6)


def test_self_update_x_plus_equals_x():
    xv = np.float32([1.0, 2.0, 3.0])
    x = rg.tensor(xv, requires_grad=True)
    y = x * 1
    y += y
    close(y, 2 * xv)
    y.sum().backward()
    close(x.grad, [2.0, 2.0, 2.0])
    x.grad = None
    y = x * 1
    y *= y
    y.sum().backward()
    close(x.grad, 2 * xv)
    with rg.no_grad():
        z = rg.tensor(xv)
        z += z
        z *= z
    close(z, (2 * xv) ** 2)


def test_setitem_gradient_goes_to_the_value_and_the_unwritten_old():
    a, v = arrays((3, 4), 1), arrays((4,), 2)
    mask = a > 0

    def put(key):
        def f(x, w):  # the same code runs on Tensors and on float64 arrays
            y = x * 2.0
            y[key] = w * 3.0
            return y

        return f

    for key, val in ((1, v), ((slice(None), 2), v[:3]), (mask, v[:1]), (np.array([2, 0]), v)):
        check_grad(put(key), put(key), [a, val])


def test_untracked_tensor_becomes_a_non_leaf_when_written_a_value_that_requires_grad():
    v = rg.tensor([2.0, 3.0], requires_grad=True)
    z = rg.zeros(3)
    z[1:] = v
    assert z.requires_grad and not z.is_leaf
    (z * z).sum().backward()
    close(v.grad, [4.0, 6.0])
    acc = rg.zeros(2)
    acc += v  # PyTorch: acc becomes part of the graph
    acc.sum().backward()
    close(v.grad, [5.0, 7.0])


# ---- the version counter -----------------------------------------------------------------------
def test_ops_recorded_before_a_recorded_update_differentiate_at_the_old_value():
    # A recorded in-place op gives `a` a new history; ops recorded earlier keep the old value and
    # history (rustgrad keeps a copy), so their gradient is exact where PyTorch would refuse.
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    b = a * a
    v0 = a._version
    a += 1
    assert a._version > v0
    b.sum().backward()
    close(x.grad, [2.0, 4.0], rtol=1e-6)  # d(sum(x*x))/dx at the recorded x


def test_leaf_changed_under_no_grad_refuses_the_older_graph():
    w = rg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with rg.no_grad():
        w -= 0.1
    with pytest.raises(rg.GraphError, match=MODIFIED):
        loss.backward()
    assert w.grad is None
    (w * w).sum().backward()  # a graph recorded after the write is fine
    close(w.grad, [1.8, 3.8], rtol=1e-6)


@pytest.mark.parametrize("op", ["exp", "sigmoid", "tanh"])
def test_saved_output_changed_without_recording_refuses_backward(op):
    x = rg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = getattr(x, op)()
    with rg.no_grad():
        y.mul_(2.0)
    with pytest.raises(rg.GraphError, match=MODIFIED):
        y.sum().backward()
    y = getattr(x, op)()
    z = y * 3.0
    y.data[0] = 0.0  # through .data: never recorded, but the version moves
    with pytest.raises(rg.GraphError, match=MODIFIED):
        z.sum().backward()


@pytest.mark.parametrize("op", ["exp", "sigmoid", "tanh"])
def test_recorded_update_of_an_output_gives_the_right_gradient(op):
    # PyTorch raises here (the output is saved); rustgrad keeps the old value for the op's
    # backward when it rebases, so the gradient is exact. Intended, more permissive.
    xv = np.float64([0.5, -1.0, 2.0])
    d = {"exp": np.exp(xv), "sigmoid": None, "tanh": 1 - np.tanh(xv) ** 2}
    s = 1 / (1 + np.exp(-xv))
    d["sigmoid"] = s * (1 - s)
    x = rg.tensor(xv.astype(np.float32), requires_grad=True)
    y = getattr(x, op)()
    y.mul_(2.0)
    y.sum().backward()
    close(x.grad, 2 * d[op], rtol=1e-5)


def test_an_earlier_op_and_the_update_both_reach_the_leaf():
    # y = 2x; b = y + 1; y *= 3  →  d(sum(b) + sum(y))/dx = 2 + 6
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    b = y + 1
    y *= 3
    (b.sum() + y.sum()).backward()
    close(x.grad, [8.0, 8.0], rtol=1e-6)


def _add_to_first(y):
    y[0] += 5


def _double_masked(y):
    y[y > 1.5] *= 2


def _copy_second_to_first(y):
    y[0] = y[1]


@pytest.mark.parametrize(
    "update,want",
    [
        (_add_to_first, [1.0, 1.0]),
        (_double_masked, [1.0, 2.0]),
        (_copy_second_to_first, [0.0, 2.0]),
    ],
)
def test_augmented_item_assignment_on_a_non_leaf_backpropagates(update, want):
    # PyTorch: y[0] is a view, the update is recorded on y (CopySlices) and backward works.
    # rustgrad records getitem(y) at version 0 and then y is written: backward refuses.
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    update(y)
    y.sum().backward()
    close(x.grad, want)


def test_data_writes_bump_the_shared_version_and_are_not_recorded():
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    v0 = x._version
    x.data.add_(1.0)  # allowed on a leaf: .data is not tracked
    assert x._version > v0 and x.is_leaf and x.requires_grad
    close(x, [2.0, 3.0])
    assert not x.data.requires_grad
    with pytest.raises(rg.GraphError, match=MODIFIED):
        y.sum().backward()
    x.data = [5.0, 6.0]
    close(x, [5.0, 6.0])
    with pytest.raises(rg.ShapeError):
        x.data = [1.0, 2.0, 3.0]
    close(x, [5.0, 6.0])


def test_known_limit_numpy_side_writes_are_not_seen_by_the_version_counter():
    # t.numpy() and from_numpy share memory; NumPy writes cannot bump the version, so the
    # gradient silently uses the new values (PyTorch has the same hole for .numpy() writes).
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    x.numpy()[:] = 10.0
    assert x._version == 0
    y.sum().backward()
    close(x.grad, [20.0, 20.0])
    arr = np.float32([1.0, 2.0])
    t = rg.from_numpy(arr)
    t.requires_grad = True
    y = t * t
    arr[0] = 5.0
    assert t._version == 0
    y.sum().backward()
    close(t.grad, [10.0, 4.0])
