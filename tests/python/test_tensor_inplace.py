"""In-place Tensor updates (+=, add_, zero_, fill_, copy_, clamp_, t[k] = v): values against NumPy."""

from __future__ import annotations

import operator

import numpy as np
import pytest
import rustgrad as rg
from core_helpers import FAST, arrays, close, dims
from hypothesis import given
from hypothesis import strategies as st

seeds = st.integers(0, 2**32 - 1)
IOPS = {"iadd": operator.iadd, "isub": operator.isub, "imul": operator.imul}
IOPS["itruediv"] = operator.itruediv
NP = {"iadd": np.add, "isub": np.subtract, "imul": np.multiply, "itruediv": np.divide}


@st.composite
def into_pair(draw):
    """(target shape, operand shape) where the operand broadcasts *to* the target's shape."""
    a = draw(st.lists(dims, min_size=0, max_size=3).map(tuple))
    keep = draw(st.integers(0, len(a)))
    b = [1 if draw(st.booleans()) else d for d in a[len(a) - keep :]]
    return a, tuple(b)


def operand(shape, seed, divide):
    b = arrays(shape, seed + 1)
    return np.where(np.abs(b) < 0.2, 0.7, b).astype(np.float32) if divide else b


@pytest.mark.parametrize("name", sorted(IOPS))
@given(pair=into_pair(), seed=seeds, no_grad=st.booleans())
@FAST
def test_augmented_assignment_matches_numpy_and_keeps_the_object(name, pair, seed, no_grad):
    a = arrays(pair[0], seed)
    b = operand(pair[1], seed, name == "itruediv")
    t = rg.tensor(a, requires_grad=no_grad)  # a leaf that requires grad is updated under no_grad
    before, v0 = t, t._version
    with rg.set_grad_enabled(not no_grad):
        t = IOPS[name](t, rg.tensor(b))
    assert t is before and t.is_leaf and t.requires_grad == no_grad
    assert t._version > v0
    close(t, NP[name](a, b), rtol=1e-6, atol=1e-6)


@given(pair=into_pair(), seed=seeds, alpha=st.sampled_from([1.0, -0.5, 3.0]))
@FAST
def test_method_forms_match_numpy_and_return_self(pair, seed, alpha):
    a, b = arrays(pair[0], seed), operand(pair[1], seed, True)
    ref = {
        "add_": a + np.float32(alpha) * b,
        "sub_": a - np.float32(alpha) * b,
        "mul_": a * b,
        "div_": a / b,
    }
    for name, want in ref.items():
        t = rg.tensor(a)
        kw = {"alpha": alpha} if name in ("add_", "sub_") else {}
        assert getattr(t, name)(rg.tensor(b), **kw) is t
        close(t, want, rtol=1e-5, atol=1e-5)
    t = rg.tensor(a)
    assert t.copy_(b) is t
    close(t, np.broadcast_to(b, a.shape))
    assert t.fill_(alpha) is t
    close(t, np.full(a.shape, alpha))
    assert t.zero_() is t
    close(t, np.zeros(a.shape))


@given(shape=st.lists(dims, max_size=3).map(tuple), seed=seeds)
@FAST
def test_clamp_matches_numpy_clip(shape, seed):
    a = arrays(shape, seed)
    for lo, hi in ((-0.5, 0.5), (0.0, None), (None, 1.0)):
        t = rg.tensor(a)
        assert t.clamp_(lo, hi) is t
        close(t, np.clip(a, lo, hi))
    t = rg.tensor(a)
    t.clamp_(max=0.25)
    close(t, np.minimum(a, np.float32(0.25)))


def test_canonical_pytorch_sgd_loop_matches_numpy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    w0, b0 = rng.normal(size=(3, 1)), np.zeros(1)
    w = rg.tensor(w0.astype(np.float32), requires_grad=True)
    b = rg.tensor(b0.astype(np.float32), requires_grad=True)
    ids = (id(w), id(b))
    rw, rb, lr = w0.copy(), b0.copy(), 0.05
    for _ in range(5):
        loss = (
            (rg.tensor(x.astype(np.float32)) @ w + b - rg.tensor(y.astype(np.float32))) ** 2
        ).mean()
        loss.backward()
        with rg.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
        err = x @ rw + rb - y
        rw, rb = rw - lr * 2 * x.T @ err / 16, rb - lr * 2 * err.mean(0)
    assert (id(w), id(b)) == ids and w.requires_grad and w.is_leaf
    close(w, rw, rtol=1e-4, atol=1e-5)
    close(b, rb, rtol=1e-4, atol=1e-5)
    close(w.grad, np.zeros((3, 1)))


LEAF_UPDATES = {
    "iadd": lambda t: operator.iadd(t, 1.0),
    "add_": lambda t: t.add_(1.0),
    "sub_": lambda t: t.sub_(1.0, alpha=2.0),
    "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(3.0),
    "copy_": lambda t: t.copy_([0.0, 0.0, 0.0]),
    "clamp_": lambda t: t.clamp_(0.0, 1.0),
    "setitem": lambda t: t.__setitem__(0, 9.0),
}


@pytest.mark.parametrize("name", sorted(LEAF_UPDATES))
def test_leaf_that_requires_grad_refuses_in_place_update_and_is_unchanged(name):
    w = rg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(rg.GraphError, match="leaf"):
        LEAF_UPDATES[name](w)
    close(w, [1.0, 2.0, 3.0])
    assert w._version == 0 and w.is_leaf and w.grad_fn is None
    (w * w).sum().backward()  # still a usable leaf
    close(w.grad, [2.0, 4.0, 6.0])


def test_shape_mismatch_is_an_error_that_leaves_the_tensor_unchanged():
    a = rg.tensor([1.0, 2.0, 3.0])
    with pytest.raises(rg.ShapeError):
        a += rg.ones(2, 3)  # broadcasts with a, but not *to* a's shape
    close(a, [1.0, 2.0, 3.0])
    assert a._version == 0
    x = rg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    with pytest.raises(rg.ShapeError):
        y.add_(rg.ones(2, 3))
    with pytest.raises(rg.ShapeError):
        y.copy_(rg.ones(4))
    assert y._version == 0 and y.grad_fn == "mul"
    y.sum().backward()  # the refused updates gave the history back
    close(x.grad, [2.0, 2.0, 2.0])


def test_one_element_operand_of_more_dims_is_refused_with_and_without_grad():
    # PyTorch: "output with shape [3] doesn't match the broadcast shape [1, 3]" in both modes;
    # rustgrad refuses it when recorded but writes it when not (fast path).
    with pytest.raises(rg.ShapeError):
        a = rg.tensor([1.0, 2.0, 3.0])
        a += rg.tensor([[1.0]])


@pytest.mark.parametrize("op", ["zero_", "fill_", "copy_", "data", "rec"])
def test_overwrites_clear_inf_and_nan(op):
    # After an overflowing step, `w.grad.zero_()` must give zeros (PyTorch writes the value).
    t = rg.tensor([np.inf, np.nan, -np.inf, 1.0])
    if op == "zero_":
        t.zero_()
    elif op == "fill_":
        t.fill_(0.0)
    elif op == "copy_":
        t.copy_(np.zeros(4, np.float32))
    elif op == "data":
        t.data = np.zeros(4, np.float32)
    else:
        t = rg.tensor([1e30, 1.0, 1.0, 1.0], requires_grad=True) * 1e30  # inf, not a leaf
        t.zero_()
    close(t, np.zeros(4))


def test_delete_and_bad_grad_are_type_errors():
    t = rg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError):
        del t[0]
    with pytest.raises(TypeError):
        t.grad = 0.0
    with pytest.raises(TypeError):
        t.add_("1")
    close(t, [1.0, 2.0])
    t.grad = rg.tensor([5.0, 6.0])
    close(t.grad, [5.0, 6.0])
    t.grad = None
    assert t.grad is None


# ---- item assignment ---------------------------------------------------------------------------
A = np.arange(12, dtype=np.float32).reshape(3, 4)
KEYS = [
    (0, 5.0),
    (-1, np.float32([1, 2, 3, 4])),
    ((1, 2), 7.0),
    (slice(None, None, 2), np.float32([[1], [2]])),
    ((slice(None), 1), np.float32([9, 8, 7])),
    ((slice(None), slice(None, None, -1)), np.arange(4, dtype=np.float32)),
    (A > 5, 0.0),
    (np.array([0, 2]), -1.0),
    ((np.array([0, 1]), np.array([1, 3])), np.float32([-1, -2])),
    ((Ellipsis, 0), 3.0),
    ([True, False, True], 4.0),
]


@pytest.mark.parametrize("key,value", KEYS, ids=[str(i) for i in range(len(KEYS))])
def test_setitem_matches_numpy(key, value):
    t, want = rg.tensor(A), A.copy()
    want[key] = value
    t[key] = rg.tensor(value) if isinstance(value, np.ndarray) else value
    close(t, want)
    assert t._version == 1


def test_tensor_mask_and_augmented_item_assignment():
    t, want = rg.tensor(A), A.copy()
    t[t > 5] = 0
    want[want > 5] = 0
    t[0] += 10
    want[0] += 10
    t[:, 1] *= 2
    want[:, 1] *= 2
    close(t, want)
    with pytest.raises(rg.ShapeError):
        t[0] = [1.0, 2.0]
    close(t, want)
