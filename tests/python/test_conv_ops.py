"""conv2d, max/avg/global pooling and batch_norm: values and gradients against float64 NumPy
references written with plain loops, over random shapes, strides, padding and dilation."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from hypothesis import assume, given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=40, deadline=None)


def out_and_pad(size, k, s, d, padding):
    """TF's rule: 'same' gives ceil(size / s) with the odd padding pixel at the end."""
    eff = (k - 1) * d + 1
    if padding == "same":
        out = -(-size // s)
        return out, max((out - 1) * s + eff - size, 0) // 2
    return (size - eff) // s + 1, 0


def windows(h, w, k, s, d, padding):
    """For each output pixel: (oy, ox, [(ki, kj, iy, ix) inside the image])."""
    oh, pt = out_and_pad(h, k[0], s[0], d[0], padding)
    ow, pl = out_and_pad(w, k[1], s[1], d[1], padding)
    out = []
    for oy in range(oh):
        for ox in range(ow):
            taps = []
            for ki in range(k[0]):
                for kj in range(k[1]):
                    iy, ix = oy * s[0] + ki * d[0] - pt, ox * s[1] + kj * d[1] - pl
                    if 0 <= iy < h and 0 <= ix < w:
                        taps.append((ki, kj, iy, ix))
            out.append((oy, ox, taps))
    return oh, ow, out


def conv_ref(x, wk, b, s, d, padding, g):
    """Forward value and the gradients of sum(y * g) for x, kernel and bias (float64 loops)."""
    n, h, w, _ = x.shape
    kh, kw, _, f = wk.shape
    oh, ow, wins = windows(h, w, (kh, kw), s, d, padding)
    y = np.zeros((n, oh, ow, f))
    for i in range(n):
        for oy, ox, taps in wins:
            for ki, kj, iy, ix in taps:
                y[i, oy, ox] += x[i, iy, ix] @ wk[ki, kj]
    y += b
    dx, dw = np.zeros_like(x), np.zeros_like(wk)
    for i in range(n):
        for oy, ox, taps in wins:
            for ki, kj, iy, ix in taps:
                dx[i, iy, ix] += wk[ki, kj] @ g[i, oy, ox]
                dw[ki, kj] += np.outer(x[i, iy, ix], g[i, oy, ox])
    return y, dx, dw, g.sum(axis=(0, 1, 2))


def geometry():
    return st.tuples(
        st.integers(1, 2),  # batch
        st.integers(1, 8),  # height
        st.integers(1, 8),  # width
        st.sampled_from([1, 2, 3, 8, 9]),  # channels (from 8 on, whole kernel rows are copied)
        st.integers(1, 3),  # kh
        st.integers(1, 3),  # kw
        st.integers(1, 3),  # stride
        st.integers(1, 2),  # dilation
        st.sampled_from(["valid", "same"]),
    )


def leaf(a):
    return rg.tensor(a.astype(np.float32), requires_grad=True)


@SETTINGS
@given(geom=geometry(), f=st.integers(1, 4), relu=st.booleans(), seed=st.integers(0, 2**16))
def test_conv2d_value_and_gradients(geom, f, relu, seed):
    n, h, w, c, kh, kw, s, d, padding = geom
    oh, _ = out_and_pad(h, kh, s, d, padding)
    ow, _ = out_and_pad(w, kw, s, d, padding)
    assume(oh > 0 and ow > 0)
    r = np.random.default_rng(seed)
    x, wk, b = r.normal(size=(n, h, w, c)), r.normal(size=(kh, kw, c, f)), r.normal(size=f)
    g = r.normal(size=(n, oh, ow, f))
    z, _, _, _ = conv_ref(x, wk, b, (s, s), (d, d), padding, g)
    gz = g * (z > 0) if relu else g
    want, dx, dw, db = conv_ref(x, wk, b, (s, s), (d, d), padding, gz)
    if relu:
        want = np.maximum(want, 0)
    xt, wt, bt = leaf(x), leaf(wk), leaf(b)
    y = xt.conv2d(wt, bt, strides=[s, s], padding=padding, dilation=[d, d], relu=relu)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-4, atol=1e-4)
    (y * g.astype(np.float32)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), dx, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(wt.grad.numpy(), dw, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bt.grad.numpy(), db, rtol=1e-4, atol=1e-4)


def test_conv2d_skips_the_input_gradient_when_the_input_needs_none():
    x = rg.tensor(np.ones((2, 5, 5, 1), np.float32))
    wt = leaf(np.ones((3, 3, 1, 2)))
    x.conv2d(wt).sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(wt.grad.numpy(), np.full((3, 3, 1, 2), 18.0))


def test_conv2d_shape_error_names_op_and_shapes():
    x = rg.tensor(np.ones((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"conv2d.*\(1, 5, 5, 3\).*\(3, 3, 2, 4\)"):
        x.conv2d(np.ones((3, 3, 2, 4), np.float32))


def pool_ref(x, k, s, padding, g, average):
    """Pooling value and the gradient of sum(y * g); max sends it to the first maximum only."""
    n, h, w, c = x.shape
    oh, ow, wins = windows(h, w, k, s, (1, 1), padding)
    y, dx = np.zeros((n, oh, ow, c)), np.zeros_like(x)
    for i in range(n):
        for oy, ox, taps in wins:
            for ch in range(c):
                vals = [x[i, iy, ix, ch] for _, _, iy, ix in taps]
                if average:
                    y[i, oy, ox, ch] = sum(vals) / len(vals)
                    for _, _, iy, ix in taps:
                        dx[i, iy, ix, ch] += g[i, oy, ox, ch] / len(vals)
                else:
                    best = int(np.argmax(vals))  # first of the tied maxima
                    y[i, oy, ox, ch] = vals[best]
                    _, _, iy, ix = taps[best]
                    dx[i, iy, ix, ch] += g[i, oy, ox, ch]
    return y, dx


@SETTINGS
@given(
    geom=geometry(),
    average=st.booleans(),
    ties=st.booleans(),
    strides_none=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_pooling_value_and_gradient(geom, average, ties, strides_none, seed):
    n, h, w, c, kh, kw, s, _, padding = geom
    st_ = (kh, kw) if strides_none else (s, s)
    oh, _ = out_and_pad(h, kh, st_[0], 1, padding)
    ow, _ = out_and_pad(w, kw, st_[1], 1, padding)
    assume(oh > 0 and ow > 0)
    r = np.random.default_rng(seed)
    # Few distinct values make tied maxima common.
    x = (
        r.integers(0, 3, size=(n, h, w, c)).astype(np.float64)
        if ties
        else r.normal(size=(n, h, w, c))
    )
    g = r.normal(size=(n, oh, ow, c))
    want, dx = pool_ref(x, (kh, kw), st_, padding, g, average)
    xt = leaf(x)
    op = xt.avg_pool2d if average else xt.max_pool2d
    y = op([kh, kw], None if strides_none else list(st_), padding)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-5, atol=1e-5)
    (y * g.astype(np.float32)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), dx, rtol=1e-5, atol=1e-5)


def test_max_pool_tie_routes_gradient_to_exactly_one_element():
    xt = leaf(np.ones((1, 2, 2, 1)))
    xt.max_pool2d([2, 2]).sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy().reshape(-1), [1, 0, 0, 0])


@SETTINGS
@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5), st.integers(1, 4)),
    seed=st.integers(0, 2**16),
)
def test_global_average_pooling(shape, seed):
    r = np.random.default_rng(seed)
    x = r.normal(size=shape)
    g = r.normal(size=(shape[0], shape[3]))
    want = np.zeros((shape[0], shape[3]))
    dx = np.zeros_like(x)
    for i in range(shape[0]):
        for yy in range(shape[1]):
            for xx in range(shape[2]):
                want[i] += x[i, yy, xx] / (shape[1] * shape[2])
                dx[i, yy, xx] = g[i] / (shape[1] * shape[2])
    xt = leaf(x)
    y = xt.global_avg_pool2d()
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-5, atol=1e-5)
    (y * g.astype(np.float32)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), dx, rtol=1e-5, atol=1e-5)


def bn_ref(x, gamma, beta, eps, stats=None):
    """Batch norm over all axes but the last with plain loops (batch statistics unless given)."""
    rows = x.reshape(-1, x.shape[-1])
    c = rows.shape[1]
    y = np.zeros_like(rows)
    for ch in range(c):
        col = rows[:, ch]
        if stats is None:
            mean = sum(col) / len(col)
            var = sum((v - mean) ** 2 for v in col) / len(col)
        else:
            mean, var = stats[0][ch], stats[1][ch]
        for j, v in enumerate(col):
            y[j, ch] = gamma[ch] * (v - mean) / np.sqrt(var + eps) + beta[ch]
    return y.reshape(x.shape)


def numeric_grad(f, a, eps=1e-6):
    """Central differences of scalar f at a, in float64."""
    grad = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        hi = f()
        a[i] = old - eps
        lo = f()
        a[i] = old
        grad[i] = (hi - lo) / (2 * eps)
    return grad


@SETTINGS
@given(
    shape=st.sampled_from([(4, 3), (2, 3, 3, 2), (3, 2, 1, 3), (5, 1)]),
    training=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_batch_norm_value_and_gradients(shape, training, seed):
    r = np.random.default_rng(seed)
    c = shape[-1]
    x, gamma, beta = r.normal(size=shape), r.normal(size=c), r.normal(size=c)
    stats = None if training else (r.normal(size=c), r.uniform(0.5, 2.0, size=c))
    g = r.normal(size=shape)
    eps = 1e-3
    want = bn_ref(x, gamma, beta, eps, stats)
    xt, gt, bt = leaf(x), leaf(gamma), leaf(beta)
    if training:
        y = xt.batch_norm(gt, bt, epsilon=eps)
    else:
        y = xt.batch_norm(gt, bt, list(stats[0]), list(stats[1]), epsilon=eps)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-4, atol=1e-4)
    (y * g.astype(np.float32)).sum().backward()

    def loss():
        return float((bn_ref(x, gamma, beta, eps, stats) * g).sum())

    for t, a in ((xt, x), (gt, gamma), (bt, beta)):
        np.testing.assert_allclose(t.grad.numpy(), numeric_grad(loss, a), rtol=2e-3, atol=2e-3)
