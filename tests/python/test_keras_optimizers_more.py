"""Adadelta, Adamax, Nadam, Ftrl, Lion and Lamb against NumPy float64 references of Keras 3's rules:
through apply_gradients, through fit (same weights as the custom loop), and by name in compile."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import rustgrad as rg
from _optimizer_refs import REFS, dense_mse_grads
from rustgrad import keras
from rustgrad.keras import optimizers

CLASSES = {
    "adadelta": optimizers.Adadelta,
    "adamax": optimizers.Adamax,
    "nadam": optimizers.Nadam,
    "ftrl": optimizers.Ftrl,
    "lion": optimizers.Lion,
    "lamb": optimizers.Lamb,
}
# Keras 3's documented defaults (keras.io/api/optimizers/<name>).
DEFAULTS = {
    "adadelta": {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
    "adamax": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "ftrl": {
        "learning_rate": 0.001,
        "learning_rate_power": -0.5,
        "initial_accumulator_value": 0.1,
        "l1_regularization_strength": 0.0,
        "l2_regularization_strength": 0.0,
        "l2_shrinkage_regularization_strength": 0.0,
        "beta": 0.0,
    },
    "lion": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.99},
    "lamb": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}
LR = {"adadelta": 1.0, "adamax": 0.05, "nadam": 0.05, "ftrl": 0.2, "lion": 0.01, "lamb": 0.05}

rng = np.random.default_rng(3)
X = rng.normal(size=(24, 3))
Y = X @ np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 1.5]]) + np.array([0.3, -0.2])
W0, B0 = rng.normal(size=(3, 2)) * 0.5, np.array([0.1, -0.1])


def reference(name, steps, bs=8, **kw):
    ref, ws = REFS[name](**kw), [W0.copy(), B0.copy()]
    for t in range(1, steps + 1):
        lo = ((t - 1) * bs) % len(X)
        gs = dense_mse_grads(X[lo : lo + bs], Y[lo : lo + bs], *ws)
        ref.apply(ws, gs, LR[name], t)
    return ws


def custom_loop(opt, steps, bs=8):
    w = rg.tensor(W0.astype(np.float32), requires_grad=True)
    b = rg.tensor(B0.astype(np.float32), requires_grad=True)
    for t in range(steps):
        lo = (t * bs) % len(X)
        gs = dense_mse_grads(X[lo : lo + bs], Y[lo : lo + bs], w.numpy(), b.numpy())
        opt.apply_gradients(zip([g.astype(np.float32) for g in gs], [w, b]))
    return [w.numpy(), b.numpy()]


def model():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    m.set_weights([W0.astype(np.float32), B0.astype(np.float32)])
    return m


def fit(optimizer, epochs, bs=8):
    m = model()
    m.compile(optimizer=optimizer, loss="mse")
    x, y = X.astype(np.float32), Y.astype(np.float32)
    m.fit(x, y, batch_size=bs, epochs=epochs, shuffle=False, verbose=0)
    return m.get_weights()


def close(got, want, rtol=2e-4):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_apply_gradients_follows_the_keras_rule_over_steps(name):
    opt = CLASSES[name](learning_rate=LR[name])
    close(custom_loop(opt, 9), reference(name, 9))
    assert opt.iterations == 9


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_fit_gives_the_custom_loop_weights(name):
    # 3 epochs of 3 batches: the same 9 steps as the custom loop, in the same order.
    got = fit(CLASSES[name](learning_rate=LR[name]), epochs=3)
    close(got, custom_loop(CLASSES[name](learning_rate=LR[name]), 9))
    close(got, reference(name, 9))


def test_ftrl_with_every_regulariser():
    kw = {
        "l1_regularization_strength": 0.01,
        "l2_regularization_strength": 0.02,
        "l2_shrinkage_regularization_strength": 0.03,
        "beta": 0.1,
        "learning_rate_power": -0.7,
        "initial_accumulator_value": 0.2,
    }
    opt = optimizers.Ftrl(learning_rate=LR["ftrl"], **kw)
    close(custom_loop(opt, 6), reference("ftrl", 6, **kw))
    close(fit(optimizers.Ftrl(learning_rate=LR["ftrl"], **kw), 2), reference("ftrl", 6, **kw))


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_string_name_in_compile_is_the_class_with_keras_defaults(name):
    m = model()
    m.compile(optimizer=name, loss="mse")
    assert type(m.optimizer) is CLASSES[name]
    m.fit(X.astype(np.float32), Y.astype(np.float32), batch_size=8, shuffle=False, verbose=0)
    close(m.get_weights(), fit(CLASSES[name](), 1), rtol=1e-6)
    assert optimizers.get(name.capitalize()).__class__ is CLASSES[name]


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_defaults_and_get_config_are_keras(name):
    params = inspect.signature(CLASSES[name]).parameters
    for key, value in DEFAULTS[name].items():
        assert params[key].default == pytest.approx(value), key
    config = CLASSES[name]().get_config()
    for key, value in DEFAULTS[name].items():
        assert config[key] == pytest.approx(value), key
    assert config["use_ema"] is False and config["ema_momentum"] == pytest.approx(0.99)
    again = CLASSES[name].from_config(config)
    assert again.get_config() == config


def test_core_registry_lists_and_builds_the_new_optimizers():
    assert set(CLASSES) <= set(rg._core.registry_names("optimizer"))
    for name in CLASSES:
        rg._core.Optimizer(name)
    with pytest.raises(ValueError, match="lamb"):
        rg._core.Optimizer("lamm")


def test_lion_steps_by_the_sign_and_lamb_by_the_trust_ratio():
    w = rg.tensor(np.array([1.0, -2.0, 3.0], np.float32), requires_grad=True)
    optimizers.Lion(learning_rate=0.1).apply_gradients(
        [(np.array([5.0, -1e-3, 0.0], np.float32), w)]
    )
    np.testing.assert_allclose(w.numpy(), [0.9, -1.9, 3.0], rtol=1e-6)
    w = rg.tensor(np.array([3.0, 4.0], np.float32), requires_grad=True)
    optimizers.Lamb(learning_rate=0.1).apply_gradients([(np.array([1.0, 1.0], np.float32), w)])
    # r ≈ (1, 1), ratio = 5/√2: the step is lr·5/√2 per element.
    np.testing.assert_allclose(w.numpy(), np.array([3.0, 4.0]) - 0.5 / np.sqrt(2), rtol=1e-5)
