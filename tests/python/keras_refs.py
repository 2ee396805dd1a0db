"""NumPy forms of Keras' formulas for the loss, metric and smoothing tests: its rank matching,
its loss and metric reductions, the cross-entropies, and a one-Dense model with a known kernel."""

from __future__ import annotations

import numpy as np
from rustgrad import keras
from rustgrad.keras import optimizers

rng = np.random.default_rng(1919)
EPS = 1e-7


def match_ranks(a, b):
    """Keras' squeeze_or_expand_to_same_rank on two arrays."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        return (a, b[..., None]) if b.ndim == 1 else (a[..., 0], b)
    if b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        return (a[..., None], b) if a.ndim == 1 else (a, b[..., 0])
    return a, b


def keras_loss_reduce(values, w):
    """Keras' reduce_weighted_values with sum_over_batch_size."""
    v, w = match_ranks(values, np.asarray(w, np.float64))
    prod = v * w
    return prod.sum() / prod.size


def keras_metric_stats(values, w=None):
    """Keras' reduce_to_samplewise_values: what one batch adds to a Mean's (total, count)."""
    if w is None:
        return values.reshape(len(values), -1).mean(1).sum(), len(values)
    v, w = match_ranks(values, np.asarray(w, np.float64))
    if v.ndim > w.ndim:
        v = v.mean(axis=tuple(range(w.ndim, v.ndim)))
    w = np.broadcast_to(w, v.shape)
    v = v * w
    if w.ndim > 1:
        w = w.mean(axis=tuple(range(1, w.ndim)))
    if v.ndim > 1:
        v = v.mean(axis=tuple(range(1, v.ndim)))
    return v.sum(), w.sum()


def keras_metric_reduce(values, w):
    total, count = keras_metric_stats(values, w)
    return total / count


def lse(x):
    m = x.max(-1, keepdims=True)
    return m + np.log(np.exp(x - m).sum(-1, keepdims=True))


# Per-value losses (the last axis reduced) in NumPy, as Keras' loss functions define them.
def bce(t, p, ls=0.0):
    t = t * (1 - ls) + 0.5 * ls
    q = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(t * np.log(q) + (1 - t) * np.log(1 - q)), -1)


def bce_logits(t, x, ls=0.0):
    t = t * (1 - ls) + 0.5 * ls
    return np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))), -1)


def cce(t, p, ls=0.0):
    t = t * (1 - ls) + ls / t.shape[-1]
    return -np.sum(t * np.log(np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)), -1)


def cce_logits(t, x, ls=0.0):
    t = t * (1 - ls) + ls / t.shape[-1]
    return -np.sum(t * (x - lse(x)), -1)


def probs(size):
    return rng.uniform(0.05, 0.95, size=size)


def onehot(shape):
    return np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])]


def one_dense(input_shape, units, activation=None, loss="mse", **compile_kw):
    """A bias-free Dense with a random kernel under SGD at rate 1, so one step moves the kernel by
    minus the gradient; returns the model and the kernel."""
    m = keras.Sequential(
        [keras.Input(input_shape), keras.layers.Dense(units, activation, use_bias=False)]
    )
    kernel = rng.normal(size=(input_shape[-1], units)).astype(np.float32)
    m.set_weights([kernel])
    m.compile(optimizers.SGD(learning_rate=1.0), loss, **compile_kw)
    return m, kernel.astype(np.float64)
