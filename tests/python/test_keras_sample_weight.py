"""Keras' rules for sample_weight in every loss and metric, as objects and in fit/evaluate, against
NumPy forms of Keras' reductions and the values in Keras' docs."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from keras_refs import (
    bce,
    bce_logits,
    cce,
    cce_logits,
    keras_loss_reduce,
    keras_metric_reduce,
    keras_metric_stats,
    match_ranks,
    one_dense,
    onehot,
    probs,
    rng,
)
from rustgrad.keras import losses, metrics

LOSSES = {
    "mse": (losses.MeanSquaredError(), lambda t, p: np.mean((t - p) ** 2, -1), rng.normal),
    "mae": (losses.MeanAbsoluteError(), lambda t, p: np.mean(np.abs(t - p), -1), rng.normal),
    "huber": (
        losses.Huber(),
        lambda t, p: np.mean(
            np.where(np.abs(t - p) <= 1, 0.5 * (t - p) ** 2, np.abs(t - p) - 0.5), -1
        ),
        rng.normal,
    ),
    "bce": (losses.BinaryCrossentropy(), bce, probs),
    "bce_logits": (losses.BinaryCrossentropy(from_logits=True), bce_logits, rng.normal),
    "cce": (losses.CategoricalCrossentropy(), cce, probs),
    "cce_logits": (losses.CategoricalCrossentropy(from_logits=True), cce_logits, rng.normal),
}

# (prediction shape, weight shape): per sample, per sample with trailing 1s, per value, scalar.
WEIGHTS = [
    ((8, 3, 5), (8, 1)),
    ((8, 3, 5), (8, 1, 1)),
    ((8, 3, 5), (8, 3)),
    ((8, 3, 5), (8, 3, 1)),
    ((8, 3, 5), ()),
    ((8, 5), (8,)),
    ((8, 5), (8, 1)),
]


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("pshape, wshape", WEIGHTS)
def test_loss_objects_broadcast_sample_weight_as_keras(name, pshape, wshape):
    loss, ref, draw = LOSSES[name]
    p = draw(size=pshape).astype(np.float32)
    t = (onehot(pshape) if name.startswith("cce") else rng.uniform(0, 1, pshape)).astype(np.float32)
    w = rng.uniform(0.1, 2.0, size=wshape).astype(np.float32)
    values = ref(t.astype(np.float64), p.astype(np.float64))
    assert loss(t, p, sample_weight=w) == pytest.approx(keras_loss_reduce(values, w), rel=1e-5)


def test_issue_example_and_keras_reference():
    # RELIABILITY 16 (K): mse with per-sample weights [[1.2], [3.4]] is 767.8 / 6.
    y, p = [[1, 9, 2], [-5, -2, 6]], [[4, 8, 12], [8, 1, 3]]
    assert losses.MeanSquaredError()(y, p, sample_weight=[[1.2], [3.4]]) == pytest.approx(
        767.8 / 6, rel=1e-5
    )
    assert losses.MeanSquaredError()(y, p, sample_weight=[1.2, 3.4]) == pytest.approx(767.8 / 6)
    t, pr = rng.normal(size=(8, 3, 5)), rng.normal(size=(8, 3, 5))
    w = rng.uniform(size=(8, 1))
    expected = keras_loss_reduce(np.mean((t - pr) ** 2, -1), w)
    assert losses.MeanSquaredError()(t, pr, sample_weight=w) == pytest.approx(expected, rel=1e-5)


def test_per_sample_weight_without_trailing_axis_is_refused_as_keras():
    # Keras multiplies losses (8, 3) by weights (8,) and that does not broadcast; say how to fix it.
    t = p = np.zeros((8, 3, 5), np.float32)
    with pytest.raises(rg.ShapeError, match=r"\(8, 1\)"):
        losses.MeanSquaredError()(t, p, sample_weight=np.ones(8, np.float32))


@pytest.mark.parametrize("wshape", [(16, 1), (16, 3), (16, 3, 1), (16, 1, 1)])
def test_fit_and_evaluate_weight_nd_losses_and_their_gradient(wshape):
    x = rng.normal(size=(16, 3, 4)).astype(np.float32)
    y = rng.normal(size=(16, 3, 2)).astype(np.float32)
    w = rng.uniform(0.1, 2, size=wshape).astype(np.float32)
    m, k = one_dense((3, 4), 2)
    p = x.astype(np.float64) @ k
    expected = keras_loss_reduce(np.mean((p - y) ** 2, -1), w)
    assert m.evaluate(x, y, sample_weight=w, batch_size=16, verbose=0) == pytest.approx(expected)
    # One SGD step at rate 1 moves the kernel by minus the gradient of that weighted mean.
    wv = np.broadcast_to(match_ranks(np.zeros((16, 3)), w.astype(np.float64))[1], (16, 3))
    dp = 2 * (p - y) / 2 * wv[..., None] / (16 * 3)
    grad = np.einsum("nti,ntj->ij", x.astype(np.float64), dp)
    h = m.fit(x, y, sample_weight=w, batch_size=16, shuffle=False, verbose=0)
    assert h.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    np.testing.assert_allclose(m.get_weights()[0], k - grad, rtol=1e-4, atol=1e-5)


def test_fit_rejects_a_weight_per_sample_of_the_wrong_length():
    m, _ = one_dense((4,), 2)
    x, y = np.zeros((6, 4), np.float32), np.zeros((6, 2), np.float32)
    with pytest.raises(ValueError, match="6 samples"):
        m.fit(x, y, sample_weight=np.ones(5), verbose=0)


# ---- metrics ------------------------------------------------------------------------------------


def test_metric_objects_match_keras_docs():
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert m.result() == pytest.approx(0.75)
    m.reset_state()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    assert m.result() == pytest.approx(0.5)
    y, p = [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    assert metrics.CategoricalAccuracy()(y, p, sample_weight=[0.7, 0.3]) == pytest.approx(0.3)
    sparse = metrics.SparseCategoricalAccuracy()
    assert sparse([[2], [1]], p, sample_weight=[0.7, 0.3]) == pytest.approx(0.3)


METRIC_VALUES = {
    "mse": (metrics.MeanSquaredError, lambda t, p: np.mean((t - p) ** 2, -1)),
    "mae": (metrics.MeanAbsoluteError, lambda t, p: np.mean(np.abs(t - p), -1)),
    "binary_accuracy": (metrics.BinaryAccuracy, lambda t, p: np.mean(t == (p > 0.5), -1)),
    "categorical_accuracy": (
        metrics.CategoricalAccuracy,
        lambda t, p: (t.argmax(-1) == p.argmax(-1)).astype(float),
    ),
}


@pytest.mark.parametrize("name", sorted(METRIC_VALUES))
@pytest.mark.parametrize("wshape", [(8,), (8, 1), (8, 3), (8, 3, 1), ()])
def test_metric_objects_weight_as_keras_mean(name, wshape):
    cls, ref = METRIC_VALUES[name]
    p = rng.uniform(size=(8, 3, 4))
    t = onehot((8, 3, 4)) if "accuracy" in name else rng.normal(size=(8, 3, 4))
    w = rng.uniform(0.1, 2, size=wshape)
    m = cls()
    m.update_state(t, p, sample_weight=w)
    m.update_state(t[:4], p[:4])
    # Two batches, a weighted one and an unweighted half, add up as Keras' total / count.
    v = ref(t, p)
    (t1, c1), (t2, c2) = keras_metric_stats(v, w), keras_metric_stats(v[:4])
    assert m.result() == pytest.approx((t1 + t2) / (c1 + c2), rel=1e-5)


def test_sparse_accuracy_on_sequences():
    p = rng.uniform(size=(6, 3, 4))
    t = rng.integers(0, 4, size=(6, 3)).astype(float)
    w = rng.uniform(size=(6, 1))
    v = (t == p.argmax(-1)).astype(float)
    assert metrics.SparseCategoricalAccuracy()(t, p, w) == pytest.approx(keras_metric_reduce(v, w))
