"""keras.callbacks.OptunaPruning against Optuna itself: every epoch is reported as the trial's
intermediate value, a pruned trial stops its fit early, a missing metric is named."""

from __future__ import annotations

import numpy as np
import pytest
from rustgrad import keras

optuna = pytest.importorskip(
    "optuna", reason="OptunaPruning needs optuna: pip install rustgrad[tune]"
)


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype("float32")
    return x, keras.utils.to_categorical((x[:, 0] > 0).astype(int), 2)


def model(lr):
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(2, activation="softmax")])  # fmt: skip
    m.compile(optimizer=keras.optimizers.SGD(lr), loss="categorical_crossentropy",
              metrics=["accuracy"])  # fmt: skip
    return m


def test_reports_every_epoch_and_prunes_bad_trials():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    x, y = data()
    epochs_run = {}

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-6, 1.0, log=True)
        history = model(lr).fit(
            x, y, epochs=6, validation_split=0.25, verbose=0,
            callbacks=[keras.callbacks.OptunaPruning(trial, monitor="val_loss")],
        )  # fmt: skip
        epochs_run[trial.number] = len(history.history["val_loss"])
        return history.history["val_loss"][-1]

    study = optuna.create_study(
        direction="minimize", sampler=optuna.samplers.TPESampler(seed=0),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0),
    )  # fmt: skip
    study.optimize(objective, n_trials=10)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert done and pruned
    for t in done:  # one intermediate value per epoch, steps 0..5, the last equal to the value
        assert sorted(t.intermediate_values) == list(range(6))
        assert t.intermediate_values[5] == pytest.approx(t.value)
    for t in pruned:
        assert t.number not in epochs_run  # fit raised TrialPruned: it stopped at that epoch
        # MedianPruner's rule: its best value so far is worse than the median of the earlier
        # completed trials' values at the step where it stopped.
        step = max(t.intermediate_values)
        earlier = [u.intermediate_values[step] for u in done if u.number < t.number]
        assert min(t.intermediate_values.values()) > np.median(earlier)


def test_missing_monitor_is_named():
    x, y = data()
    study = optuna.create_study()
    trial = study.ask()
    cb = keras.callbacks.OptunaPruning(trial, monitor="val_acc")
    with pytest.raises(ValueError, match="'val_acc' is not among the metrics logged") as err:
        model(0.1).fit(x, y, epochs=1, validation_split=0.25, verbose=0, callbacks=[cb])
    assert "val_accuracy" in str(err.value)
    with pytest.raises(TypeError, match="monitor must be a metric name"):
        keras.callbacks.OptunaPruning(trial, monitor=None)
