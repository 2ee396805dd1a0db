"""Optimizer options beyond the update rule: use_ema (Keras 3's moving average of the weights),
tf.keras 2's lr= and decay= with their warnings, clipping, and every constructor argument checked."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import rustgrad as rg
from rustgrad import keras
from rustgrad.keras import optimizers

ALL = [
    optimizers.SGD,
    optimizers.Adam,
    optimizers.AdamW,
    optimizers.RMSprop,
    optimizers.Adagrad,
    optimizers.Adadelta,
    optimizers.Adamax,
    optimizers.Nadam,
    optimizers.Ftrl,
    optimizers.Lion,
    optimizers.Lamb,
]
GRADS = [np.array(g, np.float32) for g in ([1.0, -2.0], [0.5, 0.5], [-1.0, 0.25], [2.0, 0.0])]


def var(values):
    return rg.tensor(np.asarray(values, np.float32), requires_grad=True)


def sgd_with_ema(momentum, every=None):
    """Plain SGD(lr 0.1) on GRADS with Keras' EMA: (weights, average) after each step."""
    w, avg, out = np.array([1.0, 2.0]), np.zeros(2), []
    for t, g in enumerate(GRADS):
        w = w - 0.1 * g
        mu = 0.0 if t == 0 else momentum  # Keras: no momentum at iterations == 0
        avg = mu * avg + (1 - mu) * w
        if every and (t + 1) % every == 0:
            w = avg.copy()
        out.append((w.copy(), avg.copy()))
    return out


def test_ema_in_a_custom_loop_and_finalize_variable_values():
    w = var([1.0, 2.0])
    opt = optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.9)
    for g in GRADS:
        opt.apply_gradients([(g, w)])
    (want_w, want_avg) = sgd_with_ema(0.9)[-1]
    np.testing.assert_allclose(w.numpy(), want_w, rtol=1e-6)  # the average does not move w
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), want_avg, rtol=1e-6)


def test_ema_overwrite_frequency_copies_the_average_every_n_steps():
    w = var([1.0, 2.0])
    opt = optimizers.SGD(
        learning_rate=0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2
    )
    for g, (want, _) in zip(GRADS, sgd_with_ema(0.5, every=2)):
        opt.apply_gradients([(g, w)])
        np.testing.assert_allclose(w.numpy(), want, rtol=1e-6)


def test_fit_with_ema_ends_on_the_averaged_weights():
    x = np.array([[1.0], [2.0], [3.0], [4.0]], np.float32)
    y = 2 * x
    trajectory, avg = [], None

    def run(use_ema):
        m = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
        m.set_weights([np.array([[0.0]], np.float32)])
        m.compile(optimizers.SGD(learning_rate=0.01, use_ema=use_ema, ema_momentum=0.8), "mse")
        m.fit(x, y, batch_size=1, epochs=2, shuffle=False, verbose=0)
        return m.get_weights()[0].item()

    w = 0.0
    for t in range(8):
        xi, yi = x[t % 4, 0], y[t % 4, 0]
        w -= 0.01 * 2 * (w * xi - yi) * xi
        trajectory.append(w)
        avg = w if t == 0 else 0.8 * avg + 0.2 * w
    assert run(False) == pytest.approx(trajectory[-1], rel=1e-5)
    assert run(True) == pytest.approx(avg, rel=1e-5)


def test_lr_is_learning_rate_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="`lr` argument is deprecated") as rec:
        opt = optimizers.Adam(lr=0.25)
    assert rec[0].filename == __file__  # points at the caller, as tf.keras' did
    assert opt.learning_rate == pytest.approx(0.25)


@pytest.mark.parametrize("cls", ALL)
def test_decay_is_tf_keras_2_inverse_time_decay_with_a_warning(cls):
    with pytest.warns(DeprecationWarning, match="decay"):
        opt = cls(learning_rate=0.1, decay=0.5)
    assert [opt.lr_at(t) for t in range(3)] == pytest.approx([0.1, 0.1 / 1.5, 0.1 / 2.0])
    assert opt.get_config()["decay"] == 0.5 and opt.get_config()["learning_rate"] == 0.1


def test_decay_changes_every_step_in_apply_gradients_and_in_fit():
    with pytest.warns(DeprecationWarning):
        opt = optimizers.SGD(learning_rate=0.1, decay=0.5)
    w, want = var([1.0, 2.0]), np.array([1.0, 2.0])
    for t, g in enumerate(GRADS):
        opt.apply_gradients([(g, w)])
        want = want - 0.1 / (1 + 0.5 * t) * g
    np.testing.assert_allclose(w.numpy(), want, rtol=1e-6)

    x = np.ones((6, 1), np.float32)
    m = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    m.set_weights([np.zeros((1, 1), np.float32)])
    with pytest.warns(DeprecationWarning):
        m.compile(optimizers.SGD(learning_rate=0.1, decay=1.0), "mse")
    m.fit(x, x, batch_size=1, epochs=1, shuffle=False, verbose=0)
    ref = 0.0
    for t in range(6):
        ref -= 0.1 / (1 + t) * 2 * (ref - 1.0)
    assert m.get_weights()[0].item() == pytest.approx(ref, rel=1e-5)


def test_rmsprop_decay_warns_instead_of_raising():
    with pytest.warns(DeprecationWarning):
        optimizers.RMSprop(learning_rate=0.01, decay=1e-6)


def test_clipping_is_honoured_by_the_new_optimizers():
    w = var([0.0, 0.0])
    optimizers.Lamb(learning_rate=0.1, clipvalue=0.5).apply_gradients(
        [(np.array([3.0, -0.2], np.float32), w)]
    )
    v = var([1.0, 1.0])
    optimizers.Adadelta(learning_rate=1.0, global_clipnorm=1e-3).apply_gradients(
        [(np.array([30.0, 40.0], np.float32), v)]
    )
    clipped = np.array([0.6e-3, 0.8e-3])
    a = 0.05 * clipped**2
    np.testing.assert_allclose(
        v.numpy(), 1 - np.sqrt(1e-7) / np.sqrt(a + 1e-7) * clipped, rtol=1e-5
    )
    # Lamb's first step from zero weights is r ≈ sign(g) (ratio 1): clipping keeps the sign.
    np.testing.assert_allclose(w.numpy(), [-0.1, 0.1], rtol=1e-4)


BAD = [
    (optimizers.Adam, {"beta_1": 1.0}, "Adam: beta_1 must be in"),
    (optimizers.Adam, {"epsilon": -1.0}, "Adam: epsilon must be >= 0, got -1"),
    (optimizers.SGD, {"momentum": -0.1}, "SGD: momentum must be in"),
    (optimizers.SGD, {"learning_rate": -0.1}, "SGD: learning_rate must be >= 0, got -0.1"),
    (optimizers.RMSprop, {"rho": 1.5}, "RMSprop: rho must be in"),
    (optimizers.Adagrad, {"initial_accumulator_value": -1}, "Adagrad: initial_accumulator"),
    (optimizers.Adadelta, {"rho": -0.5}, "Adadelta: rho must be in"),
    (optimizers.Adamax, {"beta_2": 2.0}, "Adamax: beta_2 must be in"),
    (optimizers.Nadam, {"beta_1": float("nan")}, "Nadam: beta_1"),
    (optimizers.Ftrl, {"learning_rate_power": 0.5}, "Ftrl: learning_rate_power must be <= 0"),
    (optimizers.Ftrl, {"l1_regularization_strength": -1}, "Ftrl: l1_regularization"),
    (optimizers.Ftrl, {"beta": -1}, "Ftrl: beta must be >= 0"),
    (optimizers.Lion, {"beta_1": 0.0}, r"Lion: beta_1 must be in \(0, 1\]"),
    (optimizers.Lamb, {"weight_decay": -0.1}, "Lamb: weight_decay must be >= 0"),
    (optimizers.Lamb, {"clipnorm": 0.0}, "Lamb: clipnorm must be > 0"),
    (optimizers.Adam, {"ema_momentum": 1.5, "use_ema": True}, "Adam: ema_momentum must be in"),
    (optimizers.Adam, {"ema_overwrite_frequency": 0}, "ema_overwrite_frequency must be an"),
    (optimizers.SGD, {"decay": -1.0}, "SGD: decay must be >= 0"),
]


@pytest.mark.parametrize(("cls", "kwargs", "match"), BAD)
def test_bad_arguments_name_the_optimizer_and_value(cls, kwargs, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ValueError, match=match):
            cls(**kwargs)


def test_a_non_number_and_unsupported_arguments_are_refused():
    with pytest.raises(TypeError, match="Adamax: beta_1 must be a number, got 'x'"):
        optimizers.Adamax(beta_1="x")
    with pytest.raises(NotImplementedError, match="gradient_accumulation_steps"):
        optimizers.Adam(gradient_accumulation_steps=2)
    with pytest.raises(TypeError, match="unexpected arguments"):
        optimizers.Lion(betas=(0.9, 0.99))
