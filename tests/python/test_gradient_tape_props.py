"""GradientTape against backward() and a NumPy float64 reference on random graphs (hypothesis):
the same gradients three ways, and neither tape nor autograd.grad touches `.grad`."""

from __future__ import annotations

import numpy as np
import rustgrad as tf
from hypothesis import given, settings
from hypothesis import strategies as st


def graph(x, w, b, c):
    """L = sum(sigmoid(x @ w + b) * c) + 0.5 * sum(w * w) on Tensors."""
    return ((x @ w + b).sigmoid() * c).sum() + (w * w).sum() * 0.5


def numpy_grads(x, w, b, c):
    x, w, b, c = (a.astype(np.float64) for a in (x, w, b, c))
    s = 1.0 / (1.0 + np.exp(-(x @ w + b)))
    dz = c * s * (1.0 - s)
    return x.T @ dz + w, dz.sum(0)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 6),
    d=st.integers(1, 5),
    k=st.integers(1, 4),
    seed=st.integers(0, 2**31 - 1),
)
def test_tape_equals_backward_equals_numpy(n, d, k, seed):
    rng = np.random.default_rng(seed)
    x, w0, b0, c = (rng.normal(size=s).astype(np.float32) for s in ((n, d), (d, k), (k,), (n, k)))
    want_w, want_b = numpy_grads(x, w0, b0, c)

    w, b = tf.Variable(w0), tf.Variable(b0)
    with tf.GradientTape() as tape:
        loss = graph(tf.constant(x), w, b, tf.constant(c))
    gw, gb = tape.gradient(loss, [w, b])
    assert w.grad is None and b.grad is None

    wl = tf.tensor(w0, requires_grad=True)
    bl = tf.tensor(b0, requires_grad=True)
    graph(tf.tensor(x), wl, bl, tf.tensor(c)).backward()

    wa = tf.tensor(w0, requires_grad=True)
    ba = tf.tensor(b0, requires_grad=True)
    aw, ab = tf.autograd.grad(graph(tf.tensor(x), wa, ba, tf.tensor(c)), [wa, ba])
    assert wa.grad is None

    for got in (gw, wl.grad, aw):
        np.testing.assert_allclose(got.numpy(), want_w, rtol=1e-4, atol=1e-5)
    for got in (gb, bl.grad, ab):
        np.testing.assert_allclose(got.numpy(), want_b, rtol=1e-4, atol=1e-5)
    # The three are the same computation: bit-identical, not just close.
    np.testing.assert_array_equal(gw.numpy(), wl.grad.numpy())
    np.testing.assert_array_equal(gb.numpy(), ab.numpy())
