"""keras.losses functions and Loss objects give Tensors with their gradient, against NumPy float64."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from core_helpers import FAST, numeric_grad
from hypothesis import given
from hypothesis import strategies as st
from keras_refs import bce, bce_logits, cce, cce_logits, lse, match_ranks
from rustgrad import keras
from rustgrad.keras import losses

seeds = st.integers(0, 2**32 - 1)
# y_pred shapes with a last (class / output) axis: (c,), (n, c), (n, m, c).
pred_shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


def mse(t, p):
    return np.mean((p - t) ** 2, -1)


def mae(t, p):
    return np.mean(np.abs(p - t), -1)


def huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.mean(np.where(e <= delta, 0.5 * e**2, delta * (e - 0.5 * delta)), -1)


def scce(t, x, from_logits):
    c = x.shape[-1]
    onehot = np.eye(c)[t.astype(int)]
    return cce_logits(onehot, x) if from_logits else cce(onehot, x)


def data(kind, shape, seed):
    """(y_true, y_pred) in float64 for one loss family, away from kinks and clip edges."""
    rng = np.random.default_rng(seed)
    if kind == "regression":
        t = rng.uniform(-2, 2, shape)
        # |p - t| stays in [0.2, 0.8] ∪ [1.2, 1.8]: away from MAE's 0 and Huber's delta of 1.
        gap = rng.uniform(0.2, 0.8, shape) + rng.integers(0, 2, shape)
        return t, t + gap * rng.choice([-1.0, 1.0], shape)
    if kind == "binary":
        return rng.integers(0, 2, shape).astype(np.float64), rng.uniform(0.05, 0.95, shape)
    if kind == "categorical":
        t = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
        return t, rng.uniform(0.05, 0.95, shape)
    if kind == "logits":
        return None, rng.uniform(-3, 3, shape)
    raise ValueError(kind)


def check(fn, ref, t, p, rtol=1e-4, atol=1e-5):
    """fn's per-sample Tensor and its gradient w.r.t. y_pred against ref in float64."""
    x = rg.tensor(p.astype(np.float32), requires_grad=True)
    out = fn(t.astype(np.float32), x)
    assert isinstance(out, rg.Tensor)
    want = ref(t, p)
    np.testing.assert_allclose(out.numpy(), want, rtol=rtol, atol=atol)
    assert out.shape == p.shape[:-1]
    w = np.random.default_rng(0).uniform(0.5, 1.5, np.shape(want))
    (out * rg.tensor(w.astype(np.float32))).sum().backward()
    g = numeric_grad(lambda pp: ref(t, pp), [p], 0, w)
    np.testing.assert_allclose(x.grad.numpy(), g, rtol=1e-3, atol=1e-4)


@given(shape=pred_shapes, seed=seeds)
@FAST
def test_regression_losses_per_sample_and_gradient(shape, seed):
    t, p = data("regression", shape, seed)
    check(losses.mean_squared_error, mse, t, p)
    check(losses.mse, mse, t, p)
    check(losses.mean_absolute_error, mae, t, p)
    check(losses.MAE, mae, t, p)
    check(losses.huber, huber, t, p)
    check(lambda a, b: losses.huber(a, b, delta=0.5), lambda a, b: huber(a, b, 0.5), t, p)


@given(shape=pred_shapes, seed=seeds, ls=st.sampled_from([0.0, 0.1, 0.3]))
@FAST
def test_binary_crossentropy_both_ways(shape, seed, ls):
    t, p = data("binary", shape, seed)
    f = losses.binary_crossentropy
    check(lambda a, b: f(a, b, label_smoothing=ls), lambda a, b: bce(a, b, ls), t, p)
    x = data("logits", shape, seed)[1]
    check(
        lambda a, b: f(a, b, from_logits=True, label_smoothing=ls),
        lambda a, b: bce_logits(a, b, ls),
        t,
        x,
    )


@given(shape=pred_shapes, seed=seeds, ls=st.sampled_from([0.0, 0.2]))
@FAST
def test_categorical_crossentropies_both_ways(shape, seed, ls):
    t, p = data("categorical", shape, seed)
    f = losses.categorical_crossentropy
    check(lambda a, b: f(a, b, label_smoothing=ls), lambda a, b: cce(a, b, ls), t, p)
    x = data("logits", shape, seed)[1]
    check(
        lambda a, b: f(a, b, from_logits=True, label_smoothing=ls),
        lambda a, b: cce_logits(a, b, ls),
        t,
        x,
    )
    labels = t.argmax(-1).astype(np.float64)
    s = losses.sparse_categorical_crossentropy
    check(s, lambda a, b: scce(a, b, False), labels, p)
    check(lambda a, b: s(a, b, from_logits=True), lambda a, b: scce(a, b, True), labels, x)


def test_probabilities_are_clipped_as_keras():
    # A zero probability of the true class costs -log(1e-7), and clipping has zero slope.
    p = rg.tensor([[0.0, 1.0]], requires_grad=True)
    v = losses.categorical_crossentropy([[1.0, 0.0]], p)
    np.testing.assert_allclose(v.numpy(), [-np.log(1e-7)], rtol=1e-5)
    v = losses.binary_crossentropy([[1.0, 0.0]], p)
    top = 1.0 - float(np.float32(1 - 1e-7))  # the upper clip as float32 holds it
    np.testing.assert_allclose(v.numpy(), [-(np.log(1e-7) + np.log(top)) / 2], rtol=1e-5)
    v.sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [[0.0, 0.0]])
    # Extreme logits stay finite (log-softmax, not log of a softmax).
    x = rg.tensor([[1000.0, -1000.0]], requires_grad=True)
    v = losses.categorical_crossentropy([[0.0, 1.0]], x, from_logits=True)
    np.testing.assert_allclose(v.numpy(), [2000.0])
    v.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, -1.0]])


def test_functions_take_arrays_lists_and_tensors_and_match_keras_shapes():
    out = losses.mse(np.ones((4, 3)), np.zeros((4, 3)))
    assert isinstance(out, rg.Tensor) and out.shape == (4,) and not out.requires_grad
    np.testing.assert_allclose(out.numpy(), np.ones(4))
    assert losses.mae([1.0, 2.0], [1.0, 4.0]).shape == ()  # a 1-D y_pred is one sample
    # y_true (n,) against y_pred (n, 1): Keras matches the ranks.
    np.testing.assert_allclose(losses.mse(np.ones(3), np.zeros((3, 1))).numpy(), np.ones(3))
    y = rg.tensor([[0.5, 0.5]])
    np.testing.assert_allclose(losses.binary_crossentropy(y, y).numpy(), [np.log(2.0)], rtol=1e-6)


# ---- Loss objects: reductions and sample weights ------------------------------------------------
def reduce_ref(values, w, reduction):
    """Keras 3's reduce_weighted_values on float64 per-sample losses."""
    v, wm = match_ranks(values, np.asarray(1.0 if w is None else w, np.float64))
    prod = v * wm
    if reduction == "none":
        return prod
    if reduction == "sum":
        return prod.sum()
    if reduction == "mean_with_sample_weight" and w is not None:
        return prod.sum() / wm.sum()  # the weights as given, not broadcast
    return prod.sum() / prod.size


OBJECTS = [
    (keras.losses.MeanSquaredError, {}, "regression", mse),
    (keras.losses.MeanAbsoluteError, {}, "regression", mae),
    (keras.losses.Huber, {"delta": 0.7}, "regression", lambda t, p: huber(t, p, 0.7)),
    (
        keras.losses.BinaryCrossentropy,
        {"label_smoothing": 0.1},
        "binary",
        lambda t, p: bce(t, p, 0.1),
    ),
    (keras.losses.CategoricalCrossentropy, {"from_logits": True}, "categorical", cce_logits),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "none", "mean_with_sample_weight"]


@pytest.mark.parametrize("cls,kw,kind,ref", OBJECTS, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", ["none", "per_sample", "per_sample_col", "scalar"])
def test_loss_objects_reduce_and_weight_as_keras(cls, kw, kind, ref, reduction, weight):
    rng = np.random.default_rng(7)
    t, p = data(kind, (5, 3), 3)
    w = {
        "none": None,
        "per_sample": rng.uniform(0, 2, 5),
        "per_sample_col": rng.uniform(0, 2, (5, 1)),
        "scalar": 2.5,
    }[weight]
    loss = cls(reduction=reduction, **kw)
    x = rg.tensor(p.astype(np.float32), requires_grad=True)
    w32 = None if w is None else np.asarray(w, np.float32)
    out = loss(t.astype(np.float32), x, sample_weight=w32)
    assert isinstance(out, rg.Tensor)
    want = reduce_ref(ref(t, p), w, reduction)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-4, atol=1e-6)
    out.sum().backward()
    g = numeric_grad(lambda pp: reduce_ref(ref(t, pp), w, reduction), [p], 0, 1.0)
    np.testing.assert_allclose(x.grad.numpy(), g, rtol=1e-3, atol=1e-5)
    # NumPy inputs give a Tensor too (no graph): a 0-d one for a reduced loss.
    plain = loss(t, p, sample_weight=w)
    assert isinstance(plain, rg.Tensor) and not plain.requires_grad
    assert plain.shape == np.shape(want)
    np.testing.assert_allclose(plain.numpy(), want, rtol=1e-4, atol=1e-6)


def test_loss_object_results_convert_like_keras_tensors():
    out = keras.losses.SparseCategoricalCrossentropy()([1, 0], [[0.3, 0.7], [0.6, 0.4]])
    want = -(np.log(0.7) + np.log(0.6)) / 2
    assert out.shape == ()
    assert abs(float(out) - want) < 1e-6 and abs(out.numpy() - want) < 1e-6
    assert f"{out:.4f}" == f"{want:.4f}"
    assert keras.losses.MeanSquaredError(reduction=None).reduction == "none"
    assert losses.Reduction.SUM == "sum"
    assert keras.losses.MeanSquaredError("sum")([[1.0, 3.0]], [[0.0, 0.0]]).item() == 5.0
    with pytest.raises(ValueError, match="reduction"):
        keras.losses.MeanSquaredError(reduction="avg")
    assert keras.losses.Huber().get_config()["reduction"] == "sum_over_batch_size"


def test_compile_refuses_a_reduction_fit_would_ignore():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="reduction"):
        model.compile("sgd", keras.losses.MeanSquaredError(reduction="sum"))


# ---- a custom loop: loss_fn(y, logits) -> backward -> gradient equals NumPy's ------------------
def test_custom_loop_with_loss_object_and_function_matches_numpy():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(16, 4))
    labels = rng.integers(0, 3, 16)
    w0 = rng.normal(size=(4, 3)) * 0.5
    loss_obj = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    lr, wn = 0.5, w0.copy()
    for _ in range(4):
        w = rg.tensor(wn.astype(np.float32), requires_grad=True)
        for fn in ("object", "function"):
            logits = rg.tensor(x.astype(np.float32)) @ w
            if fn == "object":
                loss = loss_obj(labels, logits)
            else:
                loss = losses.sparse_categorical_crossentropy(labels, logits, True).mean()
            w.grad = None
            loss.backward()
            z = x @ wn
            prob = np.exp(z - lse(z))
            want = -np.mean((z - lse(z))[np.arange(16), labels])
            np.testing.assert_allclose(float(loss), want, rtol=1e-5)
            g = x.T @ (prob - np.eye(3)[labels]) / 16
            np.testing.assert_allclose(w.grad.numpy(), g, rtol=1e-4, atol=1e-6)
        wn -= lr * g


def test_custom_loop_through_a_model_and_gradient_tape():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(8, 3)).astype(np.float32), rng.normal(size=(8, 2)).astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, use_bias=False)])
    k = rng.normal(size=(3, 2)).astype(np.float32)
    model.set_weights([k])
    for loss_fn in (keras.losses.MeanSquaredError(), lambda a, b: losses.mse(a, b).mean()):
        with rg.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        (g,) = tape.gradient(loss, model.trainable_variables)
        want = 2 * x.astype(np.float64).T @ (x @ k.astype(np.float64) - y) / y.size
        np.testing.assert_allclose(np.asarray(g), want, rtol=1e-4, atol=1e-6)
