"""Label smoothing in the cross-entropies and BinaryAccuracy's threshold, as objects and inside the
Rust step, against NumPy forms of Keras' formulas."""

from __future__ import annotations

import numpy as np
import pytest
from keras_refs import (
    bce,
    bce_logits,
    cce,
    cce_logits,
    lse,
    one_dense,
    onehot,
    probs,
    rng,
)
from rustgrad.keras import losses, metrics, optimizers

# ---- BinaryAccuracy threshold -------------------------------------------------------------------


def test_binary_accuracy_threshold_object_and_fit():
    p = np.array([[0.6], [0.8], [0.3], [0.75]], np.float32)
    t = np.array([[0], [1], [0], [1]], np.float32)
    assert metrics.BinaryAccuracy(threshold=0.7)(t, p) == pytest.approx(1.0)
    assert metrics.BinaryAccuracy()(t, p) == pytest.approx(0.75)
    # In fit/evaluate the threshold is the Rust metric's.
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    m, _ = one_dense((3,), 1, "sigmoid", "binary_crossentropy")
    m.compile(
        optimizers.SGD(0.1),
        "binary_crossentropy",
        metrics=[metrics.BinaryAccuracy(threshold=0.7), "accuracy"],
    )
    m.set_weights([np.full((3, 1), 0.4, np.float32)])  # many predictions between 0.5 and 0.7
    _, acc07, acc05 = m.evaluate(x, y, batch_size=64, verbose=0)
    pr = m.predict(x)
    assert acc07 == pytest.approx(np.mean((pr > 0.7) == y))
    assert acc05 == pytest.approx(np.mean((pr > 0.5) == y))
    assert acc07 != acc05
    h = m.fit(x, y, epochs=1, batch_size=64, verbose=0)
    assert set(h.history) == {"loss", "binary_accuracy", "accuracy"}


@pytest.mark.parametrize("threshold", [0.0, 1.0, 1.5])
def test_binary_accuracy_threshold_outside_the_open_interval_is_refused(threshold):
    with pytest.raises(ValueError, match="threshold"):
        metrics.BinaryAccuracy(threshold=threshold)


# ---- label smoothing ----------------------------------------------------------------------------


@pytest.mark.parametrize("ls", [0.1, 0.3])
@pytest.mark.parametrize("from_logits", [False, True])
def test_label_smoothing_objects_match_keras_formula(ls, from_logits):
    t = onehot((6, 4)).astype(np.float32)
    p = (rng.normal(size=(6, 4)) if from_logits else probs((6, 4))).astype(np.float32)
    cat = losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=ls)
    ref = (cce_logits if from_logits else cce)(t.astype(np.float64), p.astype(np.float64), ls)
    assert cat(t, p) == pytest.approx(ref.mean(), rel=1e-5)
    tb = rng.integers(0, 2, size=(6, 4)).astype(np.float32)
    binary = losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=ls)
    ref = (bce_logits if from_logits else bce)(tb.astype(np.float64), p.astype(np.float64), ls)
    assert binary(tb, p) == pytest.approx(ref.mean(), rel=1e-5)
    # The per-sample function form takes it too.
    per_sample = losses.binary_crossentropy(tb, p, from_logits=from_logits, label_smoothing=ls)
    np.testing.assert_allclose(per_sample, ref, rtol=1e-5)


def test_label_smoothing_in_fit_value_and_gradient():
    # Softmax fused into the loss: the gradient wrt the logits is softmax(z) - smoothed y.
    ls, x = 0.1, rng.normal(size=(8, 3)).astype(np.float32)
    y = onehot((8, 4)).astype(np.float32)
    loss = losses.CategoricalCrossentropy(label_smoothing=ls)
    m, k = one_dense((3,), 4, "softmax", loss)
    z = x.astype(np.float64) @ k
    assert m.evaluate(x, y, batch_size=8, verbose=0) == pytest.approx(
        cce_logits(y.astype(np.float64), z, ls).mean(), rel=1e-5
    )
    soft = np.exp(z - lse(z))
    ys = y * (1 - ls) + ls / 4
    m.fit(x, y, batch_size=8, verbose=0)
    np.testing.assert_allclose(m.get_weights()[0], k - x.T @ (soft - ys) / 8, rtol=1e-4, atol=1e-5)
    # And binary: sigmoid fused, gradient (sigmoid(z) - smoothed y) / outputs per sample.
    yb = rng.integers(0, 2, size=(8, 2)).astype(np.float32)
    m, k = one_dense((3,), 2, "sigmoid", losses.BinaryCrossentropy(label_smoothing=0.2))
    z = x.astype(np.float64) @ k
    m.fit(x, yb, batch_size=8, verbose=0)
    d = (1 / (1 + np.exp(-z)) - (yb * 0.8 + 0.1)) / (2 * 8)
    np.testing.assert_allclose(m.get_weights()[0], k - x.T @ d, rtol=1e-4, atol=1e-5)


def test_label_smoothing_only_where_keras_has_it():
    with pytest.raises(TypeError):
        losses.SparseCategoricalCrossentropy(label_smoothing=0.1)
    with pytest.raises(TypeError):
        losses.MeanSquaredError(label_smoothing=0.1)
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.CategoricalCrossentropy(label_smoothing=1.5)
