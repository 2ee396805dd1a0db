"""Custom train steps, continued (see test_keras_train_step.py): subclassed models with their own
call, a loss computed in the step, callbacks' batch logs, extra logs and sample weights."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras
from train_step_refs import (
    B0,
    LR,
    W0,
    CustomModel,
    X,
    Y,
    close,
    linear,
    mae,
    mse,
    mse_grads,
    rng,
    sgd,
    update_metrics,
)


class TwoLayer(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(4, activation="tanh")
        self.out = keras.layers.Dense(2)
        self.training_flags = []

    def call(self, inputs, training=None):
        self.training_flags.append(training)
        return self.out(self.hidden(inputs))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        return update_metrics(self, loss, y, y_pred)


def test_subclassed_model_with_own_call_one_step_matches_numpy():
    model = TwoLayer()
    model(X[:1])
    w1, b1, w2, b2 = (a.astype(np.float64) for a in model.get_weights())
    assert w1.shape == (3, 4) and w2.shape == (4, 2)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse", metrics=["mae"])
    model.training_flags.clear()
    history = model.fit(X, Y, batch_size=len(X), epochs=1, verbose=0).history
    assert True in model.training_flags
    x = X.astype(np.float64)
    h = np.tanh(x @ w1 + b1)
    r = h @ w2 + b2 - Y
    d = 2.0 * r / r.size
    dh = (d @ w2.T) * (1 - h**2)
    want = [w1 - LR * x.T @ dh, b1 - LR * dh.sum(0), w2 - LR * h.T @ d, b2 - LR * d.sum(0)]
    for got, w in zip(model.get_weights(), want):
        close(got, w)
    close(history["loss"], [(r**2).mean()])
    close(history["mae"], [np.abs(r).mean()])


# ---- a step computing its own loss (compile with an optimizer only) ----------------------------------
class OwnLoss(keras.Model):
    """The guide's "going lower-level": its own trackers listed in `metrics`, no compiled loss."""

    def __init__(self, *args, loss_fn=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = loss_fn

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
        trainable_vars = self.trainable_variables
        self.optimizer.apply(tape.gradient(loss, trainable_vars), trainable_vars)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def own_loss_model(loss_fn):
    inputs = keras.Input(shape=(3,))
    model = OwnLoss(inputs, keras.layers.Dense(2)(inputs), loss_fn=loss_fn)
    model.set_weights([W0, B0])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR))
    return model


def check_own_loss_training(model):
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    assert set(history) == {"loss", "mae"}
    w, b = W0.astype(np.float64), B0.astype(np.float64)
    for epoch in range(2):
        losses, maes = [], []
        for s in (slice(0, 4), slice(4, 8)):
            losses.append(mse(w, b, X[s], Y[s]))
            maes.append(mae(w, b, X[s], Y[s]))
            w, b = sgd(w, b, X[s], Y[s])
        # The trackers are reset at each epoch because `metrics` lists them.
        close(history["loss"][epoch], np.mean(losses))
        close(history["mae"][epoch], np.mean(maes))
    close(model.get_weights()[0], w)
    close(model.get_weights()[1], b)


@pytest.mark.parametrize(
    "loss_fn",
    [lambda y, p: ((p - y) ** 2).mean(), lambda y, p: tf.mean(tf.sum((p - y) * (p - y), 1)) / 2],
    ids=["tensor_ops", "functional"],
)
def test_step_with_its_own_loss_from_rustgrad_ops(loss_fn):
    check_own_loss_training(own_loss_model(loss_fn))


@pytest.mark.parametrize(
    "loss_fn",
    [
        keras.losses.MeanSquaredError(),
        lambda y, p: keras.losses.mean_squared_error(y, p).mean(),
    ],
    ids=["MeanSquaredError", "mean_squared_error"],
)
def test_step_with_its_own_keras_loss(loss_fn):
    check_own_loss_training(own_loss_model(loss_fn))


def test_fit_without_compiled_loss_needs_an_overridden_step():
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="loss"):
        model.fit(X, Y, verbose=0)


# ---- callbacks and extra logs --------------------------------------------------------------------
class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches, self.epochs = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append((batch, dict(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append((epoch, dict(logs)))


def test_callbacks_get_per_batch_running_logs():
    model = linear(CustomModel)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse", metrics=["mae"])
    rec = Recorder()
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, callbacks=[rec], verbose=0)
    assert [b for b, _ in rec.batches] == [0, 1, 0, 1]
    w, b = W0.astype(np.float64), B0.astype(np.float64)
    i = 0
    for _ in range(2):
        losses, maes = [], []
        for s in (slice(0, 4), slice(4, 8)):
            losses.append(mse(w, b, X[s], Y[s]))
            maes.append(mae(w, b, X[s], Y[s]))
            w, b = sgd(w, b, X[s], Y[s])
            logs = rec.batches[i][1]
            assert set(logs) == {"loss", "mae"}
            close(logs["loss"], np.mean(losses))
            close(logs["mae"], np.mean(maes))
            i += 1
    assert [e for e, _ in rec.epochs] == [0, 1]
    for epoch, logs in rec.epochs:
        assert logs == {k: v[epoch] for k, v in history.history.items()}


class ExtraLogs(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            loss = self.compute_loss(y=y, y_pred=self(x, training=True))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        norm = sum(float((g * g).sum().item()) for g in grads) ** 0.5
        return {"loss": loss, "grad_norm": norm}


def test_returned_dict_reaches_history_as_floats():
    model = linear(ExtraLogs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse")
    history = model.fit(X, Y, batch_size=len(X), epochs=1, verbose=0).history
    assert set(history) == {"loss", "grad_norm"}
    assert all(isinstance(v[0], float) for v in history.values())
    gw, gb = mse_grads(W0, B0, X, Y)
    close(history["loss"], [mse(W0, B0, X, Y)])
    close(history["grad_norm"], [np.sqrt((gw**2).sum() + (gb**2).sum())])


# ---- sample_weight as the third element of data ---------------------------------------------------
class Weighted(keras.Model):
    def train_step(self, data):
        self.lengths = [*getattr(self, "lengths", []), len(data)]
        if len(data) == 3:
            x, y, sample_weight = data
        else:
            sample_weight = None
            x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        trainable_vars = self.trainable_variables
        self.optimizer.apply(tape.gradient(loss, trainable_vars), trainable_vars)
        return update_metrics(self, loss, y, y_pred, sample_weight)


def test_sample_weight_is_the_third_element_of_data():
    sw = rng.uniform(0.1, 2.0, size=len(X)).astype(np.float32)
    model = linear(Weighted)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse", metrics=["mae"])
    history = model.fit(X, Y, sample_weight=sw, batch_size=len(X), epochs=1, verbose=0).history
    assert model.lengths == [3]
    w1, b1 = sgd(W0, B0, X, Y, sw)
    close(model.get_weights()[0], w1)
    close(model.get_weights()[1], b1)
    close(history["loss"], [mse(W0, B0, X, Y, sw)])
    close(history["mae"], [mae(W0, B0, X, Y, sw)])
    # The weights do matter: the unweighted step is elsewhere.
    assert not np.allclose(sgd(W0, B0, X, Y)[0], w1, rtol=1e-3)


def test_without_sample_weight_data_has_two_elements():
    model = linear(Weighted)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse")
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert model.lengths == [2, 2]
    w, b = W0.astype(np.float64), B0.astype(np.float64)
    for s in (slice(0, 4), slice(4, 8)):
        w, b = sgd(w, b, X[s], Y[s])
    close(model.get_weights()[0], w)
    close(model.get_weights()[1], b)


def test_a_dataset_element_reaches_train_step_in_its_own_structure():
    # Keras passes each element as it is: images alone (a GAN's dataset), (x,), (x, y).
    seen = []

    class Probe(keras.Model):
        def train_step(self, data):
            seen.append(type(data).__name__ if not isinstance(data, tuple) else len(data))
            return {}

        def test_step(self, data):
            seen.append(("test", type(data).__name__ if not isinstance(data, tuple) else len(data)))
            return {}

    inp = keras.Input((4,))
    m = Probe(inp, keras.layers.Dense(1)(inp))
    m.compile(optimizer="sgd")
    x = np.random.rand(8, 4).astype("float32")
    y = np.random.rand(8, 1).astype("float32")
    ds = tf.data.Dataset
    m.fit(ds.from_tensor_slices(x).batch(4), epochs=1, verbose=0)
    m.fit(ds.from_tensor_slices((x,)).batch(4), epochs=1, verbose=0)
    m.fit(ds.from_tensor_slices((x, y)).batch(4), epochs=1, verbose=0)
    m.evaluate(ds.from_tensor_slices(x).batch(4), verbose=0)
    assert seen == ["Tensor", "Tensor", 1, 1, 2, 2, ("test", "Tensor"), ("test", "Tensor")]
