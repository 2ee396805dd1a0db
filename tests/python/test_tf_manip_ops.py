"""TF's manipulation ops (broadcast_to, tile, split, unstack, pad, sort, argsort, top_k,
boolean_mask, unique, floor, ceil) against NumPy, with gradients where TF has them."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf

rng = np.random.default_rng(8)
A = rng.normal(size=(3, 4)).astype(np.float32)


def _grad(fn, a):
    t = tf.constant(a).requires_grad_()
    out = fn(t)
    outs = out if isinstance(out, list) else [out]
    total = outs[0].sum()
    for o in outs[1:]:
        total = total + o.sum() * 2.0
    total.backward()
    return t.grad.numpy()


def test_broadcast_to_and_tile():
    np.testing.assert_array_equal(
        tf.broadcast_to(A[0], (2, 4)).numpy(), np.broadcast_to(A[0], (2, 4))
    )
    for reps in ([2, 3], [1, 1], [3, 0]):
        np.testing.assert_array_equal(tf.tile(A, reps).numpy(), np.tile(A, reps))
    np.testing.assert_array_equal(_grad(lambda t: tf.tile(t, [2, 3]), A), np.full(A.shape, 6.0))
    with pytest.raises(ValueError, match="multiples"):
        tf.tile(A, [2])


def test_split_and_unstack():
    parts = tf.split(A, 2, axis=1)
    for got, want in zip(parts, np.split(A, 2, axis=1)):
        np.testing.assert_array_equal(got.numpy(), want)
    sizes = tf.split(A, [1, -1, 1], axis=1)
    assert [p.shape for p in sizes] == [(3, 1), (3, 2), (3, 1)]
    g = _grad(lambda t: tf.split(t, [1, 3], axis=1), A)
    np.testing.assert_array_equal(g, np.array([[1, 2, 2, 2]] * 3, np.float32))
    rows = tf.unstack(A, axis=1)
    assert len(rows) == 4 and rows[2].shape == (3,)
    np.testing.assert_array_equal(rows[2].numpy(), A[:, 2])
    with pytest.raises(ValueError, match="divide"):
        tf.split(A, 3, axis=1)
    with pytest.raises(ValueError, match="add up"):
        tf.split(A, [1, 1], axis=1)
    with pytest.raises(ValueError, match="num"):
        tf.unstack(A, num=2)


@pytest.mark.parametrize("mode", ["CONSTANT", "reflect", "SYMMETRIC"])
def test_pad_matches_numpy(mode):
    pads = [[1, 2], [2, 1]]
    want = (
        np.pad(A, pads, constant_values=7.0)
        if mode == "CONSTANT"
        else np.pad(A, pads, mode=mode.lower())
    )
    np.testing.assert_array_equal(tf.pad(A, pads, mode, constant_values=7.0).numpy(), want)
    g = _grad(lambda t: tf.pad(t, pads, mode), A)
    ones = np.pad(np.zeros_like(A), pads, constant_values=0) + 1  # d(sum)/d(each padded cell)
    if mode == "CONSTANT":
        np.testing.assert_array_equal(g, np.ones_like(A))
    else:
        # Each original cell's gradient counts the padded cells that copy it.
        counts = np.zeros(A.size)
        idx = np.pad(np.arange(A.size).reshape(A.shape), pads, mode=mode.lower())
        np.add.at(counts, idx.reshape(-1), ones.reshape(-1))
        np.testing.assert_array_equal(g, counts.reshape(A.shape))
    with pytest.raises(ValueError, match="pairs"):
        tf.pad(A, [[1, 1]])
    with pytest.raises(ValueError, match="mode"):
        tf.pad(A, pads, "WRAP")


def test_sort_argsort_top_k():
    v = np.array([[3.0, 1.0, 2.0, 1.0], [0.0, -1.0, 5.0, 4.0]], np.float32)
    np.testing.assert_array_equal(tf.sort(v).numpy(), np.sort(v))
    np.testing.assert_array_equal(
        tf.sort(v, axis=0, direction="DESCENDING").numpy(), -np.sort(-v, 0)
    )
    np.testing.assert_array_equal(tf.argsort(v).numpy(), np.argsort(v, kind="stable"))
    vals, idx = tf.math.top_k(v, k=2)
    np.testing.assert_array_equal(vals.numpy(), [[3, 2], [5, 4]])
    np.testing.assert_array_equal(idx.numpy(), [[0, 2], [2, 3]])
    g = _grad(lambda t: tf.math.top_k(t, k=2).values, v)
    np.testing.assert_array_equal(g, [[1, 0, 1, 0], [0, 0, 1, 1]])
    gs = _grad(lambda t: tf.sort(t) * tf.constant([1.0, 2.0, 3.0, 4.0]), v)
    np.testing.assert_array_equal(gs, [[4, 1, 3, 2], [2, 1, 4, 3]])  # each value's rank weight
    with pytest.raises(ValueError, match="direction"):
        tf.sort(v, direction="UP")
    with pytest.raises(ValueError, match="k="):
        tf.math.top_k(v, k=5)


def test_boolean_mask_unique_floor_ceil():
    m = A > 0
    np.testing.assert_array_equal(tf.boolean_mask(A, m).numpy(), A[m])
    rows = np.array([True, False, True])
    np.testing.assert_array_equal(tf.boolean_mask(A, rows).numpy(), A[rows])
    cols = np.array([False, True, True, False])
    np.testing.assert_array_equal(tf.boolean_mask(A, cols, axis=1).numpy(), A[:, cols])
    np.testing.assert_array_equal(_grad(lambda t: tf.boolean_mask(t, m), A), m.astype(np.float32))
    with pytest.raises(ValueError, match="mask"):
        tf.boolean_mask(A, np.array([True, False]))
    y, idx = tf.unique([1.0, 1.0, 2.0, 4.0, 4.0, 4.0, 7.0, 8.0, 8.0, 2.0])
    np.testing.assert_array_equal(y.numpy(), [1, 2, 4, 7, 8])
    np.testing.assert_array_equal(idx.numpy(), [0, 0, 1, 2, 2, 2, 3, 4, 4, 1])
    y, _ = tf.unique([3.0, 1.0, 3.0])
    np.testing.assert_array_equal(y.numpy(), [3, 1])  # first appearance, not sorted
    x = np.array([-1.5, -0.5, 0.5, 2.0], np.float32)
    np.testing.assert_array_equal(tf.math.floor(x).numpy(), np.floor(x))
    np.testing.assert_array_equal(tf.math.ceil(x).numpy(), np.ceil(x))
