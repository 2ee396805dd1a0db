"""Keras losses (values from Keras' own docs), optimizers and schedules: RELIABILITY 10-18."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rustgrad import keras
from rustgrad.keras import losses, optimizers
from rustgrad.keras.optimizers import schedules

I3 = np.eye(3, dtype=np.float32)


def one_step(kernel, x, y, loss, activation=None, optimizer=None):
    """Weights after one step of a bias-free Dense(kernel) on (x, y); with SGD(lr=1) the change is
    exactly minus the gradient."""
    kernel = np.asarray(kernel, dtype=np.float32)
    m = keras.Sequential(
        [
            keras.layers.Dense(
                kernel.shape[1], activation, use_bias=False, input_shape=kernel.shape[:1]
            )
        ]
    )
    m.set_weights([kernel])
    m.compile(optimizer or optimizers.SGD(learning_rate=1.0), loss)
    h = m.fit(np.asarray(x, np.float32), np.asarray(y, np.float32), batch_size=len(x), verbose=0)
    return h.history["loss"][0], m.get_weights()[0]


def test_10_categorical_crossentropy_on_a_zero_probability_is_finite():
    y, p = [[0, 1, 0]], [[1, 0, 0]]
    assert losses.CategoricalCrossentropy()(y, p) == pytest.approx(-math.log(1e-7), rel=1e-4)
    loss, w = one_step(np.eye(3), [[1, 0, 0]], y, "categorical_crossentropy")
    assert loss == pytest.approx(16.118, rel=1e-3) and np.all(np.isfinite(w))


def test_11_categorical_crossentropy_from_logits_keras_values():
    logits = [[8, 1, 1], [0, 9, 1], [2, 3, 5]]
    assert losses.CategoricalCrossentropy(from_logits=True)(I3, logits) == pytest.approx(
        0.0573, abs=1e-4
    )
    per = losses.categorical_crossentropy(I3, logits, from_logits=True)
    np.testing.assert_allclose(per, [0.001822, 0.000459, 0.169846], rtol=1e-3)


@pytest.mark.parametrize(
    "loss, activation",
    [
        (losses.CategoricalCrossentropy(from_logits=True), None),
        ("categorical_crossentropy", "softmax"),
    ],
)
def test_12_extreme_logits_give_loss_200_and_gradient_softmax_minus_y(loss, activation):
    loss_value, w = one_step([[100, -100, -100]], [[1]], [[0, 1, 0]], loss, activation)
    assert loss_value == pytest.approx(200.0, rel=1e-5)
    np.testing.assert_allclose(w, [[99, -99, -100]], atol=1e-4)  # minus the gradient [1, -1, 0]


def test_13_binary_crossentropy_from_logits_keras_value():
    y = [[1, 0, 1], [0, 1, 1]]
    logits = [[10, -10, 10], [10, 10, -10]]
    assert losses.BinaryCrossentropy(from_logits=True)(y, logits) == pytest.approx(3.3333, abs=1e-4)


@pytest.mark.parametrize("activation", [None, "sigmoid"])
@pytest.mark.parametrize("logit, label, grad", [(100.0, 0.0, 1.0), (-100.0, 1.0, -1.0)])
def test_14_binary_crossentropy_gradient_at_saturated_logits(activation, logit, label, grad):
    loss = losses.BinaryCrossentropy(from_logits=activation is None)
    _, w = one_step([[logit]], [[1]], [[label]], loss, activation)
    assert w[0, 0] == pytest.approx(logit - grad, abs=1e-4)


def test_15_binary_crossentropy_on_probabilities_keras_value():
    assert losses.BinaryCrossentropy()([[1, 0], [1, 0]], [[1, 1], [1, 0]]) == pytest.approx(
        3.98559, abs=1e-3
    )


def test_16_mse_with_and_without_sample_weight():
    y, p = [[1, 9, 2], [-5, -2, 6]], [[4, 8, 12], [8, 1, 3]]
    assert losses.MeanSquaredError()(y, p) == pytest.approx(49.5)
    assert losses.MeanSquaredError()(y, p, sample_weight=[[1.2], [3.4]]) == pytest.approx(767.8 / 6)
    assert losses.get("mse")(y, p) == pytest.approx(49.5)
    np.testing.assert_allclose(losses.mse(y, p), [110 / 3, 187 / 3])


def test_loss_registry_names_and_classes():
    assert losses.get("mae").core_name == "mean_absolute_error"
    assert losses.get(losses.huber).core_name == "huber"
    assert losses.get("MeanSquaredError").core_name == "mean_squared_error"
    assert losses.Huber(delta=2.0)([[0.0]], [[3.0]]) == pytest.approx(2.0 * (3.0 - 1.0))


ALL_OPTIMIZERS = [
    optimizers.SGD(0.1),
    optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    optimizers.Adam(0.1),
    optimizers.Adam(0.1, amsgrad=True),
    optimizers.AdamW(0.1),
    optimizers.RMSprop(0.1),
    optimizers.RMSprop(0.1, momentum=0.5, centered=True),
    optimizers.Adagrad(0.1),
]


def test_17_adam_with_zero_gradients_leaves_weights_unchanged():
    m = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    m.compile(optimizers.Adam(0.1), "mse")
    before = m.get_weights()
    # Zero inputs and zero targets against zero bias: every gradient is exactly 0.
    m.fit(np.zeros((4, 3)), np.zeros((4, 2)), batch_size=4, epochs=10, verbose=0)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("opt", ALL_OPTIMIZERS, ids=lambda o: repr(o))
def test_17_tiny_gradients_keep_every_parameter_finite(opt):
    m = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    m.compile(opt, "mse")
    m.set_weights([np.zeros((3, 2)), np.zeros(2)])
    m.fit(np.ones((4, 3)), np.full((4, 2), 1e-30), batch_size=4, epochs=10, verbose=0)
    assert all(np.all(np.isfinite(w)) for w in m.get_weights())


def test_18_sgd_at_huge_learning_rate_diverges_and_clipnorm_bounds_the_step():
    x = np.linspace(-3, 3, 64, dtype=np.float32).reshape(-1, 1)
    y = 50 * x + 20
    m = keras.Sequential([keras.layers.Dense(1, input_shape=(1,))])
    m.compile(optimizers.SGD(learning_rate=1e6), "mse")
    with np.errstate(all="ignore"):
        h = m.fit(x, y, batch_size=64, epochs=3, verbose=0)
    assert not h.history["loss"][-1] < 1e6  # inf or NaN also count as diverged

    m = keras.Sequential([keras.layers.Dense(1, input_shape=(1,))])
    m.compile(optimizers.SGD(learning_rate=1.0, clipnorm=1.0), "mse")
    before = m.get_weights()
    m.fit(x, y, batch_size=64, epochs=1, verbose=0)
    for a, b in zip(before, m.get_weights()):  # per-tensor norms of the applied gradient
        assert np.linalg.norm(b - a) <= 1.0 + 1e-5
    m.compile(optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0), "mse")
    before = m.get_weights()
    m.fit(x, y, batch_size=64, epochs=1, verbose=0)
    total = math.sqrt(sum(np.sum((b - a) ** 2) for a, b in zip(before, m.get_weights())))
    assert 0.9 < total <= 1.0 + 1e-5


def test_optimizer_names_defaults_and_learning_rate_setter():
    assert isinstance(optimizers.get("Adam"), optimizers.Adam)
    assert optimizers.get("sgd").learning_rate == pytest.approx(0.01)
    assert optimizers.get("rmsprop").learning_rate == pytest.approx(0.001)
    assert optimizers.AdamW().weight_decay == pytest.approx(0.004)
    opt = optimizers.Adam()
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5 and opt.lr == 0.5
    with pytest.raises(ValueError):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)


def test_schedules_follow_keras_formulas():
    e = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert (
        e(0) == pytest.approx(0.1)
        and e(10) == pytest.approx(0.05)
        and e(5) == pytest.approx(0.1 * 0.5**0.5)
    )
    assert schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)(15) == pytest.approx(0.05)
    p = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [p(0), p(10), p(11), p(20), p(21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    c = schedules.CosineDecay(1.0, decay_steps=100, alpha=0.1)
    assert (
        c(0) == pytest.approx(1.0) and c(50) == pytest.approx(0.55) and c(200) == pytest.approx(0.1)
    )
    w = schedules.CosineDecay(0.0, 100, warmup_target=1.0, warmup_steps=10)
    assert w(5) == pytest.approx(0.5) and w(10) == pytest.approx(1.0)
    i = schedules.InverseTimeDecay(1.0, decay_steps=10, decay_rate=1.0)
    assert i(10) == pytest.approx(0.5)


def test_schedule_sets_the_learning_rate_of_each_step():
    # lr 1 for steps 0 and 1, then 0: weights change in the first two batches only.
    opt = optimizers.SGD(learning_rate=schedules.PiecewiseConstantDecay([1], [1.0, 0.0]))
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(self.model.get_weights()[0].copy())

    x = np.ones((5, 1), np.float32)
    m = keras.Sequential([keras.layers.Dense(1, input_shape=(1,))])
    m.compile(opt, "mse")
    m.fit(x, 3 * x, batch_size=1, epochs=1, verbose=0, shuffle=False, callbacks=[Record()])
    assert opt.iterations == 5 and opt.learning_rate == 0.0
    assert not np.array_equal(seen[0], seen[1])
    assert all(np.array_equal(seen[1], s) for s in seen[2:])
    with pytest.raises(TypeError):
        opt.learning_rate = 0.1
