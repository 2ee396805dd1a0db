"""Keras' "Customizing what happens in fit()" (TensorFlow backend) on rustgrad: keras.Model
subclasses overriding train_step / test_step with `tf.GradientTape`, `self.compute_loss`,
`self.trainable_variables`, `self.optimizer.apply` and `self.metrics`, checked against NumPy:
the SGD update, History as Keras' running means, the default step through super(), evaluate and
validation through test_step, subclassed models, a loss computed in the step, callbacks' batch
logs and sample weights."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras
from rustgrad.keras.eager import EagerEngine

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


@pytest.mark.parametrize("cls", [CustomModel, CustomModelTF2])
def test_one_fit_step_with_sgd_is_the_numpy_update(cls):
    model = linear(cls)
    assert isinstance(model, cls) and isinstance(model, keras.Model)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse", metrics=["mae"])
    model.fit(X, Y, batch_size=len(X), epochs=1, verbose=0)
    w1, b1 = sgd(W0, B0, X, Y)
    got = model.get_weights()
    close(got[0], w1)
    close(got[1], b1)
    if cls is CustomModel:
        assert len(model.seen) == 1


def test_step_gets_tensors_of_each_batch():
    model = linear(CustomModel)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse")
    model.fit(X[:7], Y[:7], batch_size=3, epochs=2, shuffle=False, verbose=0)
    assert len(model.seen) == 6  # ceil(7 / 3) batches, two epochs
    sizes = [len(d[0]) for d in model.seen]
    assert sizes == [3, 3, 1, 3, 3, 1]
    for x, y in model.seen:
        assert isinstance(x, tf.Tensor) and isinstance(y, tf.Tensor)
    np.testing.assert_array_equal(model.seen[1][0].numpy(), X[3:6])
    np.testing.assert_array_equal(model.seen[2][1].numpy(), Y[6:7])


def test_history_is_the_numpy_loss_of_each_epoch():
    model = linear(CustomModel)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse", metrics=["mae"])
    history = model.fit(X, Y, batch_size=len(X), epochs=3, verbose=0)
    assert set(history.history) == {"loss", "mae"}
    w, b = W0.astype(np.float64), B0.astype(np.float64)
    want_loss, want_mae = [], []
    for _ in range(3):
        # The metrics read the predictions made before this batch's update.
        want_loss.append(mse(w, b, X, Y))
        want_mae.append(mae(w, b, X, Y))
        w, b = sgd(w, b, X, Y)
    close(history.history["loss"], want_loss)
    close(history.history["mae"], want_mae)
    close(model.get_weights()[0], w)


def test_history_with_two_batches_is_the_running_mean_reset_each_epoch():
    model = linear(CustomModel)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse", metrics=["mae"])
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    w, b = W0.astype(np.float64), B0.astype(np.float64)
    for epoch in range(2):
        losses, maes = [], []
        for s in (slice(0, 4), slice(4, 8)):
            losses.append(mse(w, b, X[s], Y[s]))
            maes.append(mae(w, b, X[s], Y[s]))
            w, b = sgd(w, b, X[s], Y[s])
        close(history.history["loss"][epoch], np.mean(losses))
        close(history.history["mae"][epoch], np.mean(maes))


def test_classification_metric_names_and_values():
    x, labels = f32(6, 3), np.array([0, 2, 1, 1, 0, 2])
    w, b = f32(3, 3), f32(3)
    inputs = keras.Input(shape=(3,))
    model = CustomModel(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    model.set_weights([w, b])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=LR),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x, labels, batch_size=6, epochs=1, verbose=0)
    assert [m.name for m in model.metrics] == ["loss", "accuracy"]
    assert set(history.history) == {"loss", "accuracy"}
    z = x.astype(np.float64) @ w + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    close(history.history["loss"][0], -np.log(p[np.arange(6), labels]).mean())
    close(history.history["accuracy"][0], np.mean(p.argmax(1) == labels))


# ---- the default steps through super() -------------------------------------------------------------
class SuperStep(keras.Model):
    def train_step(self, data):
        self.train_calls = getattr(self, "train_calls", 0) + 1
        return super().train_step(data)

    def test_step(self, data):
        self.test_calls = getattr(self, "test_calls", 0) + 1
        return super().test_step(data)


def mlp(cls):
    inputs = keras.Input(shape=(3,))
    h = keras.layers.Dense(5, activation="tanh")(inputs)
    return cls(inputs, keras.layers.Dense(2)(h))


@pytest.mark.parametrize("weighted", [False, True])
def test_super_train_step_trains_like_plain_fit_on_the_graph_engine(weighted):
    custom, plain = mlp(SuperStep), mlp(keras.Model)
    plain.set_weights(custom.get_weights())
    sw = rng.uniform(0.2, 2.0, size=len(X)).astype(np.float32) if weighted else None
    for m in (custom, plain):
        m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    h_custom = custom.fit(
        X, Y, sample_weight=sw, batch_size=3, epochs=4, shuffle=False, verbose=0
    ).history
    h_plain = plain.fit(X, Y, sample_weight=sw, batch_size=3, epochs=4, shuffle=False, verbose=0)
    assert not isinstance(plain._engine(), EagerEngine)
    assert custom.train_calls == 12
    for a, b in zip(custom.get_weights(), plain.get_weights()):
        close(a, b, rtol=1e-4, atol=1e-6)
    assert set(h_custom) == set(h_plain.history) == {"loss", "mae"}
    close(h_custom["mae"], h_plain.history["mae"], rtol=1e-4)


@pytest.mark.parametrize("batch_size", [4, 3])
def test_super_train_step_loss_history_equals_plain_fit(batch_size):
    """With 8 rows and batch_size=3 the last batch has 2 rows: Keras' default train_step feeds
    its loss tracker with sample_weight=batch size, so the epoch's loss is the row-weighted mean,
    as plain fit reports it."""
    custom, plain = mlp(SuperStep), mlp(keras.Model)
    plain.set_weights(custom.get_weights())
    for m in (custom, plain):
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse", metrics=["mae"])
    kw = {"batch_size": batch_size, "epochs": 2, "shuffle": False, "verbose": 0}
    h_custom = custom.fit(X, Y, **kw).history
    h_plain = plain.fit(X, Y, **kw).history
    close(h_custom["loss"], h_plain["loss"], rtol=1e-5)
    close(h_custom["mae"], h_plain["mae"], rtol=1e-5)


def test_super_train_step_one_batch_history_equals_plain_fit():
    custom, plain = mlp(SuperStep), mlp(keras.Model)
    plain.set_weights(custom.get_weights())
    for m in (custom, plain):
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse", metrics=["mae"])
    h_custom = custom.fit(X, Y, batch_size=len(X), epochs=3, verbose=0).history
    h_plain = plain.fit(X, Y, batch_size=len(X), epochs=3, verbose=0).history
    close(h_custom["loss"], h_plain["loss"], rtol=1e-5)
    close(h_custom["mae"], h_plain["mae"], rtol=1e-5)
    for a, b in zip(custom.get_weights(), plain.get_weights()):
        close(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch_size", [4, 3])
def test_super_test_step_evaluates_like_plain_evaluate(batch_size):
    custom, plain = mlp(SuperStep), mlp(keras.Model)
    plain.set_weights(custom.get_weights())
    for m in (custom, plain):
        m.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    got = custom.evaluate(X, Y, batch_size=batch_size, verbose=0, return_dict=True)
    want = plain.evaluate(X, Y, batch_size=batch_size, verbose=0, return_dict=True)
    assert custom.test_calls == -(-len(X) // batch_size)
    assert set(got) == set(want) == {"loss", "mae"}
    close(got["loss"], want["loss"], rtol=1e-5)
    close(got["mae"], want["mae"], rtol=1e-5)


# ---- an overridden test_step -----------------------------------------------------------------------
class CustomEval(CustomModel):
    def test_step(self, data):
        self.test_calls = getattr(self, "test_calls", 0) + 1
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        return update_metrics(self, loss, y, y_pred)


def test_overridden_test_step_is_used_by_evaluate():
    model = linear(CustomEval)
    model.compile(loss="mse", metrics=["mae"])  # no optimizer, as in the guide
    logs = model.evaluate(X, Y, batch_size=4, verbose=0, return_dict=True)
    assert model.test_calls == 2
    assert set(logs) == {"loss", "mae"}
    # Two batches of 4: the mean of the batch losses is the mean over all rows.
    close(logs["loss"], mse(W0, B0, X, Y))
    close(logs["mae"], mae(W0, B0, X, Y))
    # evaluate starts from reset metrics: a second call gives the same numbers.
    again = model.evaluate(X, Y, batch_size=4, verbose=0)
    close(again, [logs["loss"], logs["mae"]])
    assert model.test_calls == 4


def test_overridden_test_step_is_used_by_fit_validation():
    xv, yv = f32(6, 3), f32(6, 2)
    model = linear(CustomEval)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse", metrics=["mae"])
    history = model.fit(
        X,
        Y,
        batch_size=len(X),
        epochs=2,
        validation_data=(xv, yv),
        validation_batch_size=3,
        verbose=0,
    ).history
    assert set(history) == {"loss", "mae", "val_loss", "val_mae"}
    assert model.test_calls == 4  # two validation batches per epoch
    w, b = W0.astype(np.float64), B0.astype(np.float64)
    for epoch in range(2):
        close(history["loss"][epoch], mse(w, b, X, Y))
        w, b = sgd(w, b, X, Y)
        # Validation runs after the epoch's update.
        close(history["val_loss"][epoch], mse(w, b, xv, yv))
        close(history["val_mae"][epoch], mae(w, b, xv, yv))


# ---- a subclassed model with its own call ----------------------------------------------------------
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


FUNCTION_GIVES_ARRAY = pytest.mark.xfail(
    strict=True,
    reason="not yet: keras.losses.mean_squared_error(y, p) returns the core's per-sample values as "
    "a NumPy array, without a graph, so it cannot be differentiated inside GradientTape "
    "(the Loss objects return a Tensor that can)",
)


@pytest.mark.parametrize(
    "loss_fn",
    [
        keras.losses.MeanSquaredError(),
        pytest.param(
            lambda y, p: keras.losses.mean_squared_error(y, p).mean(), marks=FUNCTION_GIVES_ARRAY
        ),
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
