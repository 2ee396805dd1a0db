"""What the custom train_step tests share: a one-Dense model with MSE, its NumPy references
(prediction, losses, gradients, one SGD step) and the Keras guide's custom models."""

from __future__ import annotations

import numpy as np
import rustgrad as tf
from rustgrad import keras

rng = np.random.default_rng(90)
LR = 0.1


def f32(*shape):
    return rng.normal(size=shape).astype(np.float32)


X, Y = f32(8, 3), f32(8, 2)
W0, B0 = (0.5 * f32(3, 2)).astype(np.float32), (0.1 * f32(2)).astype(np.float32)


# ---- NumPy references for the one-Dense model with MSE --------------------------------------------
def predict(w, b, x):
    return x.astype(np.float64) @ w + b


def mse(w, b, x, y, sw=None):
    per = ((predict(w, b, x) - y) ** 2).mean(1)
    return per.mean() if sw is None else (per * sw).sum() / len(per)


def mae(w, b, x, y, sw=None):
    per = np.abs(predict(w, b, x) - y).mean(1)
    return per.mean() if sw is None else (per * sw).sum() / np.sum(sw)


def mse_grads(w, b, x, y, sw=None):
    r = predict(w, b, x) - y
    if sw is not None:
        r = r * np.asarray(sw, np.float64)[:, None]
    scale = 2.0 / r.size
    return scale * x.astype(np.float64).T @ r, scale * r.sum(0)


def sgd(w, b, x, y, sw=None):
    gw, gb = mse_grads(w, b, x, y, sw)
    return w - LR * gw, b - LR * gb


def close(got, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=rtol, atol=atol)


# ---- the guide's models ------------------------------------------------------------------------
def update_metrics(model, loss, y, y_pred, sample_weight=None):
    for metric in model.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
        else:
            metric.update_state(y, y_pred, sample_weight=sample_weight)
    return {m.name: m.result() for m in model.metrics}


class CustomModel(keras.Model):
    """The guide's first example (Keras 3's optimizer.apply)."""

    def train_step(self, data):
        self.seen = [*getattr(self, "seen", []), data]
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        return update_metrics(self, loss, y, y_pred)


class CustomModelTF2(keras.Model):
    """The same with tf.keras 2's apply_gradients(zip(...))."""

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        return update_metrics(self, loss, y, y_pred)


def linear(cls, w=W0, b=B0):
    inputs = keras.Input(shape=(3,))
    outputs = keras.layers.Dense(2)(inputs)
    model = cls(inputs, outputs)
    model.set_weights([w, b])
    return model
