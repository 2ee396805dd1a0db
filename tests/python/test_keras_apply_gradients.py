"""Optimizer.apply_gradients / minimize on rustgrad Tensors: the Rust update rules, Keras-style."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from rustgrad.keras import optimizers


def var(values):
    return rg.tensor(np.asarray(values, dtype=np.float32), requires_grad=True)


def test_sgd_step_is_minus_lr_times_gradient():
    w = var([1.0, -2.0, 3.0])
    opt = optimizers.SGD(learning_rate=0.1)
    assert opt.apply_gradients([(np.array([1.0, 2.0, -4.0], np.float32), w)]) == 1
    np.testing.assert_allclose(w.numpy(), [0.9, -2.2, 3.4], rtol=1e-6)
    assert opt.iterations == 1


def test_momentum_matches_keras_formula_over_steps():
    w = var([0.5, -1.0])
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    ref, v = np.array([0.5, -1.0]), np.zeros(2)
    for g in ([1.0, 2.0], [0.5, -1.0], [-2.0, 0.25]):
        g = np.array(g)
        opt.apply_gradients([(g.astype(np.float32), w)])
        v = 0.9 * v - 0.1 * g
        ref = ref + 0.9 * v - 0.1 * g
    np.testing.assert_allclose(w.numpy(), ref, rtol=1e-5)


def test_adam_matches_numpy_reference():
    w = var([1.0, 2.0])
    opt = optimizers.Adam(learning_rate=0.01)
    ref, m, v = np.array([1.0, 2.0]), np.zeros(2), np.zeros(2)
    for t, g in enumerate(([0.3, -1.0], [0.1, 0.2], [-0.5, 0.4]), start=1):
        g = np.array(g)
        opt.apply_gradients([(g.astype(np.float32), w)])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        ref = ref - 0.01 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(w.numpy(), ref, rtol=1e-5)


def test_each_variable_keeps_its_own_state_across_calls():
    # b is updated only in the second call; its momentum must start from zero, not from a's.
    a, b = var([1.0]), var([1.0])
    opt = optimizers.SGD(learning_rate=1.0, momentum=0.5)
    one = np.ones(1, np.float32)
    opt.apply_gradients([(one, a)])
    opt.apply_gradients([(None, a), (one, b)])
    assert a.numpy()[0] == pytest.approx(0.0)  # untouched by the second call
    assert b.numpy()[0] == pytest.approx(0.0)  # 1 - 1·1, no momentum inherited
    opt.apply_gradients([(one, a), (one, b)])
    assert a.numpy()[0] == pytest.approx(-1.5)  # v = 0.5·(−1) − 1
    assert b.numpy()[0] == pytest.approx(-1.5)


def test_grads_from_backward_are_consumed():
    w = var([2.0])
    loss = (w * w).sum()
    loss.backward()
    optimizers.SGD(learning_rate=0.25).apply_gradients(zip([w.grad], [w]))
    assert w.numpy()[0] == pytest.approx(1.0)  # 2 − 0.25·4
    assert w.grad is None  # cleared, so the next backward does not add to a stale gradient


def test_minimize_finds_least_squares_solution():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3
    xt, yt = rg.tensor(x), rg.tensor(y)
    w, b = rg.zeros((3, 1), requires_grad=True), rg.zeros((1,), requires_grad=True)
    opt = optimizers.Adam(learning_rate=0.05)
    for _ in range(600):
        opt.minimize(lambda: ((xt @ w + b - yt) ** 2).mean(), [w, b])
    np.testing.assert_allclose(w.numpy().ravel(), [1.0, -2.0, 0.5], atol=1e-3)
    assert b.numpy()[0] == pytest.approx(0.3, abs=1e-3)
    assert opt.iterations == 600


def test_schedule_and_weight_decay_apply():
    w = var([1.0])
    sched = optimizers.schedules.PiecewiseConstantDecay([0], [1.0, 0.5])
    opt = optimizers.SGD(learning_rate=sched)
    zero = np.zeros(1, np.float32)
    opt.apply_gradients([(np.ones(1, np.float32), w)])  # step 0: lr 1
    opt.apply_gradients([(np.ones(1, np.float32), w)])  # step 1: lr 0.5
    assert w.numpy()[0] == pytest.approx(-0.5)
    d = var([1.0])
    optimizers.AdamW(learning_rate=0.1, weight_decay=0.5).apply_gradients([(zero, d)])
    assert d.numpy()[0] == pytest.approx(0.95)  # decay 1 − 0.1·0.5, Adam step of a zero gradient


def test_rejects_non_tensors():
    with pytest.raises(TypeError, match="rustgrad Tensors"):
        optimizers.SGD().apply_gradients([(np.ones(2), np.ones(2))])
