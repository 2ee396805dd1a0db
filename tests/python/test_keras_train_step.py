"""Keras' "Customizing what happens in fit()" (TensorFlow backend) on rustgrad: keras.Model
subclasses overriding train_step / test_step with `tf.GradientTape`, `self.compute_loss`,
`self.trainable_variables`, `self.optimizer.apply` and `self.metrics`, checked against NumPy:
the SGD update, History as Keras' running means, the default step through super(), evaluate and
validation through test_step."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras
from rustgrad.keras.eager import EagerEngine
from train_step_refs import (
    B0,
    LR,
    W0,
    CustomModel,
    CustomModelTF2,
    X,
    Y,
    close,
    f32,
    linear,
    mae,
    mse,
    rng,
    sgd,
    update_metrics,
)


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
