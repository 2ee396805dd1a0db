"""TF 2's custom train_step API (`compiled_loss`, `compiled_metrics`, and
keras.utils.unpack_x_y_sample_weight) gives what the Keras 3 one (`compute_loss`, `metrics`) does."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

rng = np.random.default_rng(11)
X = rng.normal(size=(96, 6)).astype(np.float32)
Y = rng.normal(size=(96, 1)).astype(np.float32)


class TF2Step(keras.Model):
    def train_step(self, data):
        x, y, sw = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, sw, regularization_losses=self.losses)
        tv = self.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, tv), tv))
        self.compiled_metrics.update_state(y, y_pred, sw)
        return {m.name: m.result() for m in self.metrics}


class Keras3Step(keras.Model):
    def train_step(self, data):
        return super().train_step(data)


def _fit(cls):
    keras.utils.set_random_seed(0)
    inp = keras.Input((6,))
    hidden = keras.layers.Dense(8, activation="relu", kernel_regularizer="l2")(inp)
    model = cls(inp, keras.layers.Dense(1)(hidden))
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    hist = model.fit(X, Y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    return model, hist.history


def test_tf2_step_trains_as_the_builtin_step():
    m2, h2 = _fit(TF2Step)
    m3, h3 = _fit(Keras3Step)
    assert set(h2) == set(h3) == {"loss", "mae"}
    for k in h2:
        np.testing.assert_allclose(h2[k], h3[k], rtol=1e-5)
    for a, b in zip(m2.get_weights(), m3.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_compiled_loss_adds_only_the_regularization_losses_passed():
    model, _ = _fit(TF2Step)
    y_pred = model(X[:8])
    plain = model.compiled_loss(Y[:8], y_pred).item()
    reg = [r.item() for r in model.losses]
    assert len(reg) == 1 and reg[0] > 0
    with_reg = model.compiled_loss(Y[:8], y_pred, regularization_losses=model.losses).item()
    np.testing.assert_allclose(with_reg, plain + reg[0], rtol=1e-5)
    np.testing.assert_allclose(plain, np.mean((Y[:8] - y_pred.numpy()) ** 2), rtol=1e-5)
    # Keras 3's compute_loss counts the layers' regularizers of a functional model too.
    np.testing.assert_allclose(model.compute_loss(X[:8], Y[:8], y_pred).item(), with_reg, rtol=1e-5)
    assert [m.name for m in model.compiled_metrics.metrics] == ["mae"]
    model.compiled_metrics.reset_state()
    model.compiled_metrics.update_state(Y[:8], y_pred)
    mae = np.mean(np.abs(Y[:8] - y_pred.numpy()))
    np.testing.assert_allclose(float(model.metrics[1].result()), mae, rtol=1e-5)
    uncompiled = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compile"):
        uncompiled.compiled_loss(np.zeros((1, 1)), uncompiled(np.zeros((1, 2))))


def test_unpack_and_pack_batches():
    u, p = keras.utils.unpack_x_y_sample_weight, keras.utils.pack_x_y_sample_weight
    assert u("x") == ("x", None, None)
    assert u(("x",)) == ("x", None, None)
    assert u(["x", "y"]) == ("x", "y", None)
    assert u(("x", "y", "w")) == ("x", "y", "w")
    with pytest.raises(ValueError, match="4 items"):
        u((1, 2, 3, 4))
    assert p("x") == ("x",) and p("x", "y") == ("x", "y") and p("x", "y", "w") == ("x", "y", "w")
