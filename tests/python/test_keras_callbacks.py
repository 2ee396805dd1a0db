"""Callbacks: EarlyStopping, ModelCheckpoint, TerminateOnNaN, LR scheduling, CSVLogger (RELIABILITY 19)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from rustgrad import keras
from rustgrad.keras import callbacks


def regression(n=64, seed=0):
    r = np.random.default_rng(seed)
    x = r.normal(size=(n, 3)).astype(np.float32)
    return x, x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3


def model(lr=0.05, optimizer=None):
    m = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    m.compile(optimizer or keras.optimizers.SGD(lr), "mse", metrics=["mae"])
    return m


class Scripted(callbacks.Callback):
    """Replaces the monitored value with a scripted sequence and records the weights per epoch."""

    def __init__(self, values):
        super().__init__()
        self.values, self.weights = list(values), []

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def test_early_stopping_stops_after_patience_and_restores_best():
    x, y = regression()
    m = model()
    script = Scripted([5.0, 3.0, 4.0, 4.5, 6.0, 1.0])
    stop = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    h = m.fit(x, y, epochs=6, verbose=0, callbacks=[script, stop])
    assert h.epoch == [0, 1, 2, 3] and stop.stopped_epoch == 3 and stop.best_epoch == 1
    for a, b in zip(script.weights[1], m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_restores_best_weights_when_epochs_run_out():
    x, y = regression()
    m = model()
    script = Scripted([3.0, 1.0, 2.0])
    stop = callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    m.fit(x, y, epochs=3, verbose=0, callbacks=[script, stop])
    assert stop.stopped_epoch == 0
    for a, b in zip(script.weights[1], m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_mode_auto_maximises_accuracy():
    assert callbacks.EarlyStopping(monitor="val_accuracy").mode == "max"
    assert callbacks.EarlyStopping(monitor="val_loss").mode == "min"


def test_19_terminate_on_nan_stops_after_the_batch_and_history_holds_nan(capsys):
    x, y = regression(64)
    x[40, 1] = np.nan
    m = model()
    h = m.fit(
        x,
        y,
        batch_size=8,
        epochs=3,
        shuffle=False,
        verbose=0,
        callbacks=[callbacks.TerminateOnNaN()],
    )
    assert h.epoch == [0] and np.isnan(h.history["loss"][0])
    assert "Batch 5: Invalid loss" in capsys.readouterr().out
    assert m.optimizer.iterations == 6  # batches 0..5, the sixth holding the NaN


def test_model_checkpoint_saves_every_epoch_or_only_the_best(tmp_path):
    x, y = regression()
    m = model()
    every = callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch:02d}.npz"), save_weights_only=True)
    m.fit(x, y, epochs=2, verbose=0, callbacks=[every])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w-01.npz", "w-02.npz"]
    best = tmp_path / "best.safetensors"
    script = Scripted([2.0, 1.0, 3.0])
    ckpt = callbacks.ModelCheckpoint(best, save_best_only=True, save_weights_only=True)
    m.fit(x, y, epochs=3, verbose=0, callbacks=[script, ckpt])
    m.load_weights(best)
    for a, b in zip(script.weights[1], m.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=".npz or .safetensors"):
        callbacks.ModelCheckpoint(tmp_path / "w.h5")


def test_learning_rate_scheduler_sets_rate_each_epoch_and_logs_it():
    x, y = regression()
    m = model(lr=0.1)
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    h = m.fit(x, y, epochs=3, verbose=0, callbacks=[sched])
    np.testing.assert_allclose(h.history["learning_rate"], [0.05, 0.025, 0.0125])
    assert m.optimizer.learning_rate == pytest.approx(0.0125)


def test_reduce_lr_on_plateau_cuts_the_rate_after_patience():
    x, y = regression()
    m = model(lr=0.1)
    script = Scripted([1.0, 1.0, 1.0, 1.0])
    reduce = callbacks.ReduceLROnPlateau(factor=0.5, patience=2)
    # History records the rate at each epoch's end, before a cut takes effect.
    h = m.fit(x, y, epochs=4, verbose=0, callbacks=[script, reduce])
    np.testing.assert_allclose(h.history["learning_rate"], [0.1, 0.1, 0.1, 0.05])
    assert m.optimizer.learning_rate == pytest.approx(0.05)


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    x, y = regression()
    path = tmp_path / "log.csv"
    model().fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    rows = list(csv.DictReader(path.open()))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"] and set(rows[0]) == {
        "epoch",
        "loss",
        "mae",
    }


def test_lambda_callback_and_stop_training_from_a_batch():
    x, y = regression()
    m = model()
    seen = []
    cb = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    m.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert seen == [0, 1]
