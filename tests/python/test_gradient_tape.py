"""rustgrad.GradientTape (python/rustgrad/tape.py) against gradients worked out by hand in NumPy:
sources as one Tensor, a list, a dict or a nested structure (kept in the answer), None for a
source the target does not reach, one set of gradients per non-persistent tape, watch() on plain
Tensors, TensorFlow's sum of a non-scalar target, output_gradients, and `.grad` of the other
Tensors left as they were."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf

rng = np.random.default_rng(2024)


def f32(*shape):
    return rng.normal(size=shape).astype(np.float32)


def var(a):
    return tf.tensor(np.asarray(a, np.float32), requires_grad=True)


def close(got, want, rtol=1e-5, atol=1e-6):
    assert got is not None
    np.testing.assert_allclose(np.asarray(got.numpy(), np.float64), want, rtol=rtol, atol=atol)


# ---- a small network and its gradient by hand ---------------------------------------------------
X = f32(5, 3)
C = f32(5, 4)
W0, B0, U0 = f32(3, 4), f32(4), f32(2, 2)


def loss_of(w, b, u):
    """L = sum(tanh(X @ w + b) * C) + 0.5 * sum(u ** 2) on Tensors."""
    h = (tf.tensor(X) @ w + b).tanh()
    return (h * tf.tensor(C)).sum() + (u * u).sum() * 0.5


def numpy_grads():
    x, c = X.astype(np.float64), C.astype(np.float64)
    h = np.tanh(x @ W0.astype(np.float64) + B0)
    dz = c * (1.0 - h**2)
    return x.T @ dz, dz.sum(0), U0.astype(np.float64)


def test_gradient_of_a_list_of_sources_matches_numpy():
    w, b, u = var(W0), var(B0), var(U0)
    with tf.GradientTape() as tape:
        loss = loss_of(w, b, u)
    grads = tape.gradient(loss, [w, b, u])
    assert isinstance(grads, list) and len(grads) == 3
    for g, want, src in zip(grads, numpy_grads(), (w, b, u)):
        assert g.shape == src.shape
        close(g, want)


def test_gradient_of_one_tensor_source_is_one_tensor():
    w, b, u = var(W0), var(B0), var(U0)
    with tf.GradientTape() as tape:
        loss = loss_of(w, b, u)
    g = tape.gradient(loss, w)
    assert isinstance(g, tf.Tensor)
    close(g, numpy_grads()[0])


def test_gradient_keeps_dict_and_nested_structure():
    w, b, u = var(W0), var(B0), var(U0)
    with tf.GradientTape() as tape:
        loss = loss_of(w, b, u)
    grads = tape.gradient(loss, {"dense": [w, (b,)], "extra": {"u": u}})
    gw, gb, gu = numpy_grads()
    assert set(grads) == {"dense", "extra"}
    assert isinstance(grads["dense"], list) and isinstance(grads["dense"][1], tuple)
    assert isinstance(grads["extra"], dict) and set(grads["extra"]) == {"u"}
    close(grads["dense"][0], gw)
    close(grads["dense"][1][0], gb)
    close(grads["extra"]["u"], gu)


def test_tuple_of_sources_gives_a_tuple():
    w, b, u = var(W0), var(B0), var(U0)
    with tf.GradientTape() as tape:
        loss = loss_of(w, b, u)
    grads = tape.gradient(loss, (u, w))
    assert isinstance(grads, tuple) and len(grads) == 2
    close(grads[0], numpy_grads()[2])
    close(grads[1], numpy_grads()[0])


def test_unconnected_source_gives_none():
    w, b, u = var(W0), var(B0), var(U0)
    unused = var(f32(3))
    with tf.GradientTape() as tape:
        loss = loss_of(w, b, u)
    grads = tape.gradient(loss, [w, unused, u])
    assert grads[1] is None
    close(grads[0], numpy_grads()[0])
    close(grads[2], numpy_grads()[2])


def test_unwatched_constant_gives_none():
    c = tf.tensor(np.float32(3.0))
    with tf.GradientTape() as tape:
        y = c * c
    assert tape.gradient(y, c) is None


def test_non_persistent_tape_raises_on_second_gradient():
    w, b, u = var(W0), var(B0), var(U0)
    with tf.GradientTape() as tape:
        loss = loss_of(w, b, u)
    first = tape.gradient(loss, w)
    close(first, numpy_grads()[0])
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(loss, w)
    with pytest.raises(RuntimeError):
        tape.gradient(loss, b)


def test_persistent_tape_allows_two_equal_calls():
    w, b, u = var(W0), var(B0), var(U0)
    with tf.GradientTape(persistent=True) as tape:
        loss = loss_of(w, b, u)
    g1 = tape.gradient(loss, [w, b])
    g2 = tape.gradient(loss, [w, b])
    for a, c, want in zip(g1, g2, numpy_grads()[:2]):
        close(a, want)
        # The second call is not accumulated on top of the first.
        np.testing.assert_array_equal(a.numpy(), c.numpy())


def test_persistent_tape_two_targets():
    x = tf.tensor(np.float32(3.0))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    close(tape.gradient(z, x), 4 * 3.0**3)  # 108
    close(tape.gradient(y, x), 2 * 3.0)  # 6


def test_watch_plain_tensor():
    x = tf.tensor(np.float32(3.0))
    assert not x.requires_grad
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x * x
    close(tape.gradient(y, x), 27.0)


def test_watch_a_list_of_tensors():
    a0, b0 = f32(4), f32(4)
    a, b = tf.tensor(a0), tf.tensor(b0)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        y = (a * b).exp().sum()
    ga, gb = tape.gradient(y, [a, b])
    e = np.exp(a0.astype(np.float64) * b0)
    close(ga, e * b0)
    close(gb, e * a0)


def test_watch_rejects_non_tensors():
    with tf.GradientTape() as tape, pytest.raises(TypeError):
        tape.watch(np.ones(3, np.float32))


def test_non_scalar_target_differentiates_its_sum():
    w0 = f32(3, 2)
    w = var(w0)
    with tf.GradientTape() as tape:
        y = w * w
    close(tape.gradient(y, w), 2.0 * w0)
    x0 = f32(4, 3)
    w2 = var(w0)
    with tf.GradientTape() as tape:
        y = tf.tensor(x0) @ w2  # (4, 2)
    close(tape.gradient(y, w2), x0.T.astype(np.float64) @ np.ones((4, 2)))


def test_output_gradients_weight_the_target():
    x0, w0, g0 = f32(4, 3), f32(3, 2), f32(4, 2)
    w = var(w0)
    with tf.GradientTape() as tape:
        y = (tf.tensor(x0) @ w).tanh()
    got = tape.gradient(y, w, output_gradients=tf.tensor(g0))
    h = np.tanh(x0.astype(np.float64) @ w0)
    close(got, x0.T @ (g0 * (1 - h**2)))


def test_gradient_with_respect_to_an_intermediate_tensor():
    w0 = f32(2, 3)
    w = var(w0)
    with tf.GradientTape() as tape:
        h = w * 2.0
        y = (h * h).sum()
    gh, gw = tape.gradient(y, [h, w])
    close(gh, 2 * (2.0 * w0))
    close(gw, 8.0 * w0)


def test_sources_own_grad_is_restored():
    w0 = f32(3)
    w = var(w0)
    w.grad = tf.tensor(np.full(3, 7.0, np.float32))
    with tf.GradientTape() as tape:
        y = (w * w).sum()
    close(tape.gradient(y, w), 2.0 * w0)  # not 7 + 2w
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 7.0, np.float32))
    v = var(w0)
    with tf.GradientTape() as tape:
        y = (v * v).sum()
    tape.gradient(y, [v])
    assert v.grad is None


def test_other_tensors_grad_left_untouched():
    w0, v0 = f32(3), f32(3)
    w, v = var(w0), var(v0)
    w.grad = tf.tensor(np.full(3, 7.0, np.float32))
    with tf.GradientTape() as tape:
        y = (w * v).sum()
    close(tape.gradient(y, v), w0)
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 7.0, np.float32))
    a, b = var(w0), var(v0)
    with tf.GradientTape() as tape:
        y = (a * b).sum()
    tape.gradient(y, [b])
    assert a.grad is None


def test_same_source_twice_gets_the_same_gradient():
    w0 = f32(3)
    w = var(w0)
    with tf.GradientTape() as tape:
        y = (w * w * w).sum()
    g1, g2 = tape.gradient(y, [w, w])
    close(g1, 3.0 * w0**2)
    close(g2, 3.0 * w0**2)


def test_gradient_rejects_non_tensor_target_and_sources():
    w = var(f32(3))
    with tf.GradientTape(persistent=True) as tape:
        y = (w * w).sum()
    with pytest.raises(TypeError):
        tape.gradient(1.0, w)
    with pytest.raises(TypeError):
        tape.gradient(y, [np.ones(3, np.float32)])


def test_watch_accessed_variables_false_gives_gradients_only_for_watched_tensors():
    w = tf.tensor([2.0], requires_grad=True)
    v = tf.tensor([3.0], requires_grad=True)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(v)
        y = (w * v).sum()
    gw, gv = tape.gradient(y, [w, v])
    assert gw is None
    np.testing.assert_allclose(gv.numpy(), [2.0])


def test_jacobian_and_batch_jacobian_match_the_analytic_derivative():
    rng = np.random.default_rng(4)
    xv = rng.normal(size=(3, 2)).astype(np.float32)
    wv = rng.normal(size=(2, 4)).astype(np.float32)
    x, w = tf.Variable(xv), tf.Variable(wv)
    with tf.GradientTape(persistent=True) as tape:
        y = tf.tanh(x @ w)
        unrelated = tf.Variable(np.ones(2, np.float32))
    d = 1 - np.tanh(xv @ wv) ** 2
    jx, jw, jn = tape.jacobian(y, [x, w, unrelated])
    want_x = np.zeros((3, 4, 3, 2), np.float32)
    for b in range(3):
        want_x[b, :, b, :] = d[b][:, None] * wv.T  # dy[b,j]/dx[b,k] = d[b,j] * w[k,j]
    np.testing.assert_allclose(jx.numpy(), want_x, rtol=1e-5, atol=1e-6)
    want_w = np.zeros((3, 4, 2, 4), np.float32)
    for j in range(4):
        want_w[:, j, :, j] = d[:, j : j + 1] * xv  # dy[b,j]/dw[k,j] = d[b,j] * x[b,k]
    np.testing.assert_allclose(jw.numpy(), want_w, rtol=1e-5, atol=1e-6)
    assert jn is None
    zeros = tape.jacobian(y, unrelated, unconnected_gradients="zero")
    assert zeros.shape == (3, 4, 2) and not zeros.numpy().any()
    batch = tape.batch_jacobian(y, x)
    np.testing.assert_allclose(batch.numpy(), want_x[np.arange(3), :, np.arange(3), :], rtol=1e-5)
    with pytest.raises(ValueError, match="batch"):
        tape.batch_jacobian(y, w)


def test_a_non_persistent_tape_gives_one_jacobian():
    x = tf.Variable(np.array([1.0, 2.0], np.float32))
    with tf.GradientTape() as tape:
        y = x * x
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), np.diag([2.0, 4.0]))
    with pytest.raises(RuntimeError, match="persistent"):
        tape.jacobian(y, x)
