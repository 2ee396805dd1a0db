"""Shared helpers for the tensor/op/grad tests: hypothesis strategies, NumPy references, grad checks."""

from __future__ import annotations

import numpy as np
import rustgrad as rg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Modest budgets keep the whole suite well under two minutes; no deadlines (shared 2-core machine).
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])

dims = st.integers(min_value=1, max_value=4)
shapes = st.lists(dims, min_size=0, max_size=3).map(tuple)
nonempty_shapes = st.lists(dims, min_size=1, max_size=3).map(tuple)


@st.composite
def broadcast_pair(draw, min_dims=0):
    """Two shapes that broadcast together: the second drops leading axes and sets some sizes to 1."""
    a = draw(st.lists(dims, min_size=min_dims, max_size=3).map(tuple))
    keep = draw(st.integers(min_value=0, max_value=len(a)))
    b = list(a[len(a) - keep :])
    for i in range(len(b)):
        if draw(st.booleans()):
            b[i] = 1
    pair = (a, tuple(b))
    return pair if draw(st.booleans()) else pair[::-1]


def arrays(shape, seed, low=-2.0, high=2.0):
    """A float32 array of `shape` with values in [low, high), reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape).astype(np.float32)


def away_from(x, points=(0.0,), gap=0.1):
    """Move values within `gap` of a kink point away from it (finite differences straddle kinks)."""
    x = np.array(x, dtype=np.float32)
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = np.where(x[near] >= p, p + gap, p - gap)
    return x


def distinct(shape, seed):
    """Values with no ties and gaps of at least 0.05 (for max/min/argmax and their gradients)."""
    n = int(np.prod(shape, dtype=np.int64))
    rng = np.random.default_rng(seed)
    vals = rng.permutation(n).astype(np.float32) * 0.05 - n * 0.025
    return vals.reshape(shape)


def close(actual, expected, rtol=1e-5, atol=1e-5):
    """Values (and shape) of a Tensor or array against a NumPy reference."""
    a = np.asarray(actual)
    e = np.asarray(expected)
    assert a.shape == e.shape, f"shape {a.shape} != expected {e.shape}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)


def numeric_grad(f, xs, i, weights, eps=1e-6):
    """d<f(xs), weights>/d xs[i] by float64 central differences; f takes and returns NumPy arrays."""
    xs = [np.array(x, dtype=np.float64) for x in xs]
    g = np.zeros_like(xs[i])
    flat, gflat = xs[i].reshape(-1), g.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        up = np.sum(f(*xs) * weights)
        flat[j] = old - eps
        down = np.sum(f(*xs) * weights)
        flat[j] = old
        gflat[j] = (up - down) / (2 * eps)
    return g


def check_grad(rg_fn, np_fn, inputs, seed=0, rtol=1e-3, atol=1e-4):
    """Autograd of rg_fn against float64 central differences of the NumPy reference np_fn.

    The output is projected on fixed random weights so every element of the gradient is exercised;
    each input's gradient must come back in that input's own shape (un-broadcast).
    """
    leaves = [rg.tensor(x, requires_grad=True) for x in inputs]
    out = rg_fn(*leaves)
    ref_out = np_fn(*[np.asarray(x, dtype=np.float64) for x in inputs])
    close(out, ref_out, rtol=1e-4, atol=1e-4)
    w = np.random.default_rng(seed).standard_normal(np.shape(ref_out)).astype(np.float32)
    (out * rg.tensor(w)).sum().backward()
    for i, (leaf, x) in enumerate(zip(leaves, inputs)):
        expected = numeric_grad(np_fn, inputs, i, w.astype(np.float64))
        assert leaf.grad is not None, f"input {i} got no gradient"
        assert leaf.grad.shape == np.shape(x), f"grad shape {leaf.grad.shape} != {np.shape(x)}"
        np.testing.assert_allclose(
            np.asarray(leaf.grad), expected, rtol=rtol, atol=atol, err_msg=f"input {i}"
        )
