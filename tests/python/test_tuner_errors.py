"""Bad input and faults in a search: each gives a clear error or is recorded, as KerasTuner does;
an interrupted search resumes without repeating a finished trial; damaged trial files are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rustgrad import keras
from rustgrad import tuner as kt
from rustgrad.keras import layers
from rustgrad.tuner.errors import ObjectiveNotLoggedError, TooManyFailedTrialsError


def data(n=128):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, keras.utils.to_categorical((x[:, 0] > 0).astype(int), 2)


def build(hp, fail_when=None):
    units = hp.Int("units", 2, 8, step=2)
    if fail_when is not None and fail_when(units):
        raise ValueError(f"no model with {units} units")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(units, activation="relu"),
                              layers.Dense(2, activation="softmax")])  # fmt: skip
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_unknown_objective_names_the_logged_metrics(tmp_path):
    x, y = data()
    tuner = kt.RandomSearch(build, objective="val_acc", max_trials=3, directory=tmp_path)
    with pytest.raises(ObjectiveNotLoggedError) as err:
        tuner.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    message = str(err.value)
    assert "'val_acc'" in message
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert name in message
    # It stops at once: a setup mistake, not three failed trials.
    assert len(tuner.oracle.trials) == 1
    # Without validation data the val_ metrics are missing, and the message says why.
    t2 = kt.RandomSearch(build, objective="val_loss", max_trials=2, directory=tmp_path,
                         project_name="noval")  # fmt: skip
    with pytest.raises(ObjectiveNotLoggedError, match="validation_data or validation_split"):
        t2.search(x, y, epochs=1, verbose=0)


def test_empty_search_space_and_bad_budgets(tmp_path):
    def fixed_model(hp):
        return build(kt.HyperParameters())

    tuner = kt.RandomSearch(fixed_model, objective="val_loss", directory=tmp_path)
    with pytest.raises(ValueError, match="search space is empty"):
        tuner.search(*data(), epochs=1, validation_split=0.25, verbose=0)
    for bad in (0, -1):
        with pytest.raises(ValueError, match="max_trials must be a positive integer"):
            kt.RandomSearch(build, objective="val_loss", max_trials=bad, directory=tmp_path)
    with pytest.raises(ValueError, match="executions_per_trial"):
        kt.RandomSearch(build, objective="val_loss", executions_per_trial=0, directory=tmp_path)
    with pytest.raises(ValueError, match="max_consecutive_failed_trials"):
        kt.GridSearch(build, objective="val_loss", max_consecutive_failed_trials=0,
                      directory=tmp_path)  # fmt: skip
    with pytest.raises(ValueError, match="factor"):
        kt.Hyperband(build, objective="val_loss", max_epochs=3, factor=1, directory=tmp_path)
    with pytest.raises(NotImplementedError, match="distribution_strategy"):
        kt.RandomSearch(build, objective="val_loss", distribution_strategy=object(),
                        directory=tmp_path)  # fmt: skip
    with pytest.raises(TypeError, match="unknown argument"):
        kt.RandomSearch(build, objective="val_loss", max_trails=3, directory=tmp_path)
    with pytest.raises(ValueError, match="give a hypermodel"):
        kt.RandomSearch(objective="val_loss", directory=tmp_path)
    with pytest.raises(TypeError, match="hypermodel must be"):
        kt.RandomSearch(42, objective="val_loss", directory=tmp_path)


def test_a_failing_trial_is_recorded_and_the_search_goes_on(tmp_path, capsys):
    x, y = data()
    grid = kt.GridSearch(lambda hp: build(hp, fail_when=lambda u: u == 4), objective="val_loss",
                         directory=tmp_path, project_name="grid")  # fmt: skip
    grid.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    trials = [grid.oracle.trials[i] for i in grid.oracle.start_order]
    assert [t.hyperparameters["units"] for t in trials] == [2, 4, 6, 8]
    assert [t.status for t in trials] == ["COMPLETED", "FAILED", "COMPLETED", "COMPLETED"]
    assert "ValueError: no model with 4 units" in trials[1].message
    grid.results_summary()
    out = capsys.readouterr().out
    assert "1 trial(s) failed" in out and "no model with 4 units" in out
    # The failure is in its trial.json too.
    saved = json.loads(
        (tmp_path / "grid" / f"trial_{trials[1].trial_id}" / "trial.json").read_text()
    )
    assert saved["content"]["status"] == "FAILED"


def test_too_many_consecutive_failures_stop_the_search(tmp_path):
    x, y = data()

    class Diverging(kt.HyperModel):
        def build(self, hp):
            return build(hp)

        def fit(self, hp, model, *args, **kwargs):
            raise FloatingPointError("the loss diverged")

    tuner = kt.RandomSearch(Diverging(), objective="val_loss", max_trials=10,
                            max_consecutive_failed_trials=3, directory=tmp_path)  # fmt: skip
    with pytest.raises(TooManyFailedTrialsError, match="3 trials failed in a row") as err:
        tuner.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    assert "FloatingPointError: the loss diverged" in str(err.value)
    assert [t.status for t in tuner.oracle.trials.values()] == ["FAILED"] * 3
    # max_retries_per_trial runs a failing trial again before marking it FAILED.
    calls = []

    def flaky(hp):
        calls.append(1)
        return build(hp, fail_when=lambda u: len(calls) == 2)

    t2 = kt.RandomSearch(flaky, objective="val_loss", max_trials=1, max_retries_per_trial=1,
                         directory=tmp_path, project_name="retry", seed=0)  # fmt: skip
    t2.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    assert [t.status for t in t2.oracle.trials.values()] == ["COMPLETED"]


def test_an_interrupted_search_resumes_without_repeating_trials(tmp_path):
    x, y = data()
    runs = []

    def build_and_maybe_stop(hp):
        model = build(hp)
        runs.append(dict(hp.values))
        if len(runs) == 3 + 1:  # one build declares the space; the 3rd trial is interrupted
            raise KeyboardInterrupt
        return model

    def tuner():
        return kt.RandomSearch(build_and_maybe_stop, objective="val_loss", max_trials=4, seed=9,
                               directory=tmp_path, project_name="resume")  # fmt: skip

    first = tuner()
    with pytest.raises(KeyboardInterrupt):
        first.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    statuses = {i: t.status for i, t in first.oracle.trials.items()}
    assert statuses == {"00": "COMPLETED", "01": "COMPLETED", "02": "RUNNING"}
    interrupted = dict(first.oracle.trials["02"].hyperparameters.values)
    done_before = {i: first.oracle.trials[i].score for i in ("00", "01")}
    runs.clear()
    second = tuner()  # overwrite=False: reload, as KerasTuner
    second.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    trials = second.oracle.trials
    assert sorted(trials) == ["00", "01", "02", "03"]
    assert all(t.status == "COMPLETED" for t in trials.values())
    assert {i: trials[i].score for i in ("00", "01")} == done_before  # not run again
    # One build declares the space, then trial 02 with its values again, then trial 03.
    assert len(runs) == 3 and runs[1] == interrupted
    # overwrite=True starts over.
    fresh = kt.RandomSearch(build, objective="val_loss", max_trials=1, overwrite=True,
                            directory=tmp_path, project_name="resume")  # fmt: skip
    assert fresh.oracle.trials == {}


def test_a_changed_trial_file_is_refused(tmp_path):
    x, y = data()
    kt.RandomSearch(build, objective="val_loss", max_trials=1, directory=tmp_path,
                    project_name="seal").search(x, y, epochs=1, validation_split=0.25, verbose=0)  # fmt: skip
    path = tmp_path / "seal" / "trial_00" / "trial.json"
    raw = bytearray(path.read_bytes())
    for i in (len(raw) // 2, 5):
        changed = bytearray(raw)
        changed[i] = ord(" ") if changed[i] != ord(" ") else ord("\n")
        path.write_bytes(bytes(changed))
        with pytest.raises(ValueError, match="trial.json"):
            kt.RandomSearch(build, objective="val_loss", max_trials=1, directory=tmp_path,
                            project_name="seal")  # fmt: skip
    path.write_bytes(bytes(raw))
    again = kt.RandomSearch(build, objective="val_loss", max_trials=1, directory=tmp_path,
                            project_name="seal")  # fmt: skip
    assert again.oracle.trials["00"].status == "COMPLETED"
    with pytest.raises(ValueError, match="holds a RandomSearchOracle search"):
        kt.GridSearch(build, objective="val_loss", directory=tmp_path, project_name="seal")
    (tmp_path / "seal" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="files a search did not write"):
        kt.RandomSearch(build, objective="val_loss", overwrite=True, directory=tmp_path,
                        project_name="seal")  # fmt: skip
