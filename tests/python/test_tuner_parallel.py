"""Parallel trials in worker processes: results equal to one process's, each worker with its
share of the threads, a dead worker's trial retried once and FAILED after a second death. Each
search runs in a subprocess with a timeout, so no fault can hang the test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PYTHON = Path(__file__).resolve().parents[2] / "python"

SCRIPT = textwrap.dedent(
    """
    import json, multiprocessing, os, sys
    from pathlib import Path
    import numpy as np
    import rustgrad
    from rustgrad import keras
    from rustgrad import tuner as kt

    OUT = Path(sys.argv[1])
    MODE = sys.argv[2]

    def build_model(hp):
        units = hp.Choice("units", [2, 4, 6, 8])
        marker = OUT / f"built-{units}-{os.getpid()}"
        worker = multiprocessing.parent_process() is not None
        if MODE == "die" and worker and units in (4, 8) and not list(OUT.glob(f"died-{units}-*")):
            (OUT / f"died-{units}-{os.getpid()}").touch()
            os._exit(7)  # the worker dies mid-trial, once for 4 and 8
        if MODE == "die" and worker and units == 6:
            os._exit(9)  # always: its trial is FAILED after the retry
        marker.write_text(str(rustgrad.get_num_threads()))
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation="relu"),
                                  keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    if __name__ == "__main__":
        rng = np.random.default_rng(0)
        x = rng.normal(size=(96, 4)).astype("float32")
        y = keras.utils.to_categorical((x[:, 0] > 0).astype(int), 2)
        workers = int(sys.argv[3])
        tuner = kt.GridSearch(build_model, objective="val_loss", max_parallel_trials=workers,
                              directory=OUT, project_name="p", max_consecutive_failed_trials=5, seed=1)
        rustgrad.manual_seed(0)
        np.random.seed(0)
        tuner.search(x, y, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
        result = {t.trial_id: [t.hyperparameters["units"], t.status, t.score, t.message]
                  for t in tuner.oracle.trials.values()}
        result["main"] = os.getpid()
        (OUT / "result.json").write_text(json.dumps(result))
    """
)


def run(tmp_path: Path, mode: str, workers: int) -> tuple:
    script = tmp_path / "search.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(PYTHON)}
    proc = subprocess.run([sys.executable, str(script), str(tmp_path), mode, str(workers)],
                          capture_output=True, text=True, timeout=240, env=env, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    return result.pop("main"), result


def test_parallel_trials_run_in_workers_with_their_share_of_threads(tmp_path):
    main, result = run(tmp_path, "ok", 2)
    assert sorted(v[0] for v in result.values()) == [2, 4, 6, 8]
    assert all(v[1] == "COMPLETED" for v in result.values())
    # The search's process only declared the space; the trials were built in two workers, each
    # with half the cores' threads.
    in_workers = [p for p in tmp_path.glob("built-*") if p.name.split("-")[2] != str(main)]
    assert len(in_workers) == 4 and len({p.name.split("-")[2] for p in in_workers}) == 2
    cores = os.cpu_count() or 1
    assert {int(p.read_text()) for p in in_workers} == {max(1, cores // 2)}

    # The same grid in one process gives the same scores (same seeds, same data, no shuffle).
    other = tmp_path / "one"
    other.mkdir()
    _, alone = run(other, "ok", 1)
    assert {v[0]: v[2] for v in alone.values()} == {v[0]: v[2] for v in result.values()}


def test_a_dead_worker_is_replaced_and_its_trial_retried_once(tmp_path):
    _, result = run(tmp_path, "die", 2)
    by_units = {v[0]: v for v in result.values()}
    assert len(result) == 4
    # 4 and 8 died once each, then completed in a fresh worker.
    assert by_units[4][1] == by_units[8][1] == by_units[2][1] == "COMPLETED"
    assert len(list(tmp_path.glob("died-*"))) == 2
    # 6 kills every worker that runs it: retried once, then FAILED with the reason.
    assert by_units[6][1] == "FAILED" and "died 2 times" in by_units[6][3]
    assert "exit code 9" in by_units[6][3]


def _model(hp):
    from rustgrad import keras

    act = hp.Choice("activation", ["linear", "relu"])
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation=act)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_a_hypermodel_that_cannot_be_pickled(tmp_path, monkeypatch):
    import numpy as np
    import pytest
    from rustgrad import tuner as kt

    x, y = np.zeros((8, 2), "float32"), np.zeros((8, 1), "float32")
    local = lambda hp: _model(hp)  # a lambda cannot be sent to a worker
    asked = kt.GridSearch(local, objective="val_loss", max_parallel_trials=2, directory=tmp_path)
    with pytest.raises(TypeError, match="cannot be pickled.*max_parallel_trials=1"):
        asked.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    # Parallel only by default (4 cores -> 2 workers): a warning, then the trials run here.
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    default = kt.GridSearch(local, objective="val_loss", directory=tmp_path, project_name="d")
    assert default.max_parallel_trials == 2
    with pytest.warns(UserWarning, match="one at a time in this process"):
        default.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    assert [t.status for t in default.oracle.trials.values()] == ["COMPLETED"] * 2
