"""Running one trial: build, train `executions_per_trial` times, keep the best epoch's weights.

The same code runs in the search's process and in a worker process, so a trial gives the same
result either way. KerasTuner's rules: the objective of an execution is its best epoch's value,
the trial's score is the mean over executions, and a Hyperband trial that continues another one
starts from that trial's best-epoch checkpoint.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

import rustgrad
from rustgrad.keras.callbacks.base import Callback
from rustgrad.tuner.errors import ObjectiveNotLoggedError
from rustgrad.tuner.objective import Objective

CHECKPOINT = "checkpoint.weights.h5"


class _BestWeights:
    """The best weights seen over a trial's executions, written once at its end."""

    def __init__(self, objective: Objective) -> None:
        self.objective, self.value, self.weights = objective, None, None

    def offer(self, model: Any, value: Any) -> None:
        if value is not None and self.objective.better(float(value), self.value):
            self.value, self.weights = float(value), model.get_weights()


class _SaveBestEpoch(Callback):
    """Snapshots the weights at each epoch that improves the objective."""

    def __init__(self, best: _BestWeights) -> None:
        super().__init__()
        self.best, self.seen = best, False

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = (logs or {}).get(self.best.objective.name)
        if value is not None:
            self.seen = True
            self.best.offer(self.model, value)


def input_shape_of(fit_args: tuple, fit_kwargs: dict) -> list | None:
    """The per-sample input shape of the training data, when it is one array.

    Args:
        fit_args: search's positional arguments.
        fit_kwargs: search's keyword arguments.

    Returns:
        A list of ints, or None.
    """
    x = fit_args[0] if fit_args else fit_kwargs.get("x")
    return list(np.shape(x)[1:]) if isinstance(x, np.ndarray) else None


def ensure_built(model: Any, input_shape: list | None) -> None:
    """Build `model` for `input_shape` when it has not been built yet (to load weights into it).

    Args:
        model: A Keras model.
        input_shape: Per-sample shape, or None.

    Raises:
        ValueError: the model is not built and the input shape is unknown.
    """
    if getattr(model, "built", True):
        return
    if input_shape is None:
        raise ValueError(
            "cannot load a checkpoint into a model that is not built: give its first layer an "
            "input_shape (or keras.Input), or search on an array x"
        )
    model(np.zeros((1, *input_shape), dtype=np.float32))


def _histories(result: Any, objective: Objective, first_epoch: int) -> dict:
    """Per-epoch metrics ({"epoch": [...], name: [...]}) from what HyperModel.fit returned."""
    if hasattr(result, "history") and isinstance(result.history, dict):
        logged = {k: [float(v) for v in vs] for k, vs in result.history.items()}
        n = max((len(v) for v in logged.values()), default=0)
        return {"epoch": list(range(first_epoch + 1, first_epoch + n + 1)), **logged}
    if isinstance(result, dict):
        return {"epoch": [first_epoch + 1], **{k: [float(v)] for k, v in result.items()}}
    if isinstance(result, (int, float, np.floating, np.integer)) and not isinstance(result, bool):
        return {"epoch": [first_epoch + 1], objective.name: [float(result)]}
    raise TypeError(
        "HyperModel.fit (or Tuner.run_trial) must return a History, a dict of metrics or a "
        f"float, got {type(result).__name__}"
    )


def _check_logged(history: dict, objective: Objective) -> None:
    if objective.name not in history:
        names = ", ".join(k for k in history if k != "epoch") or "none"
        raise ObjectiveNotLoggedError(
            f"objective '{objective.name}' is not among the metrics the model logs: {names}. "
            "A 'val_' metric needs validation_data or validation_split in search(), and a metric "
            "needs its name in compile(metrics=[...]); or pass kt.Objective(name, direction)."
        )


def summarise(histories: list[dict], objective: Objective) -> dict:
    """Score, best epoch and metrics at the best epoch (averaged over executions).

    Args:
        histories: One per-epoch metrics dict per execution.
        objective: The objective.

    Returns:
        {"score", "best_step", "metrics"}.
    """
    pick = np.nanargmin if objective.direction == "min" else np.nanargmax
    at_best, steps = [], []
    for h in histories:
        _check_logged(h, objective)
        values = np.asarray(h[objective.name], dtype=float)
        i = 0 if np.all(np.isnan(values)) else int(pick(values))
        steps.append(h["epoch"][i] - 1)
        at_best.append({k: v[i] for k, v in h.items() if k != "epoch" and i < len(v)})
    names = set.intersection(*(set(m) for m in at_best))
    metrics = {k: float(np.mean([m[k] for m in at_best])) for k in sorted(names)}
    scores = np.asarray([m[objective.name] for m in at_best], dtype=float)
    best = 0 if np.all(np.isnan(scores)) else int(pick(scores))
    return {"score": metrics[objective.name], "best_step": int(steps[best]), "metrics": metrics}


def run_trial(hypermodel: Any, hp: Any, objective: Objective, executions: int, fit_args: tuple,
              fit_kwargs: dict, trial_dir: Path, parent_checkpoint: Path | None, seed: int) -> dict:  # fmt: skip
    """Build and train one trial; write its best-epoch checkpoint into `trial_dir`.

    Args:
        hypermodel: A HyperModel.
        hp: The trial's HyperParameters (new declarations land in it).
        objective: The objective.
        executions: Models trained (from scratch) for this trial.
        fit_args: search's positional arguments, given to fit.
        fit_kwargs: search's keyword arguments, given to fit (callbacks are copied per execution).
        trial_dir: The trial's folder.
        parent_checkpoint: A checkpoint to start from (Hyperband's next round), or None.
        seed: Seeds rustgrad's and NumPy's generators before each execution (seed + its
            index), so a trial's initial weights and shuffles do not depend on which process runs
            it or on the trials before it.

    Returns:
        {"score", "best_step", "metrics", "history", "hyperparameters"}.

    Raises:
        ObjectiveNotLoggedError: the objective is not in what fit logged.
        TypeError: build returned no model, or fit returned something unusable.
    """
    kwargs = dict(fit_kwargs)
    values = hp.values
    if "tuner/epochs" in values:  # Hyperband: train from initial_epoch up to epochs
        kwargs["epochs"], kwargs["initial_epoch"] = (
            values["tuner/epochs"],
            values["tuner/initial_epoch"],
        )
    first_epoch = int(kwargs.get("initial_epoch", 0))
    shape = input_shape_of(fit_args, kwargs)
    best, histories = _BestWeights(objective), []
    for e in range(executions):
        rustgrad.manual_seed(seed + e)
        np.random.seed((seed + e) % 2**32)
        model = hypermodel.build(hp)
        if model is None or not hasattr(model, "fit"):
            raise TypeError(
                f"the hypermodel's build(hp) must return a compiled model, got {model!r}"
            )
        if parent_checkpoint is not None:
            ensure_built(model, shape)
            model.load_weights(str(parent_checkpoint))
        saver = _SaveBestEpoch(best)
        callbacks = [copy.deepcopy(c) for c in kwargs.get("callbacks") or []] + [saver]
        result = hypermodel.fit(hp, model, *fit_args, **{**kwargs, "callbacks": callbacks})
        history = _histories(result, objective, first_epoch)
        _check_logged(history, objective)
        histories.append(history)
        if not saver.seen:  # a fit that reports no epochs: keep the model it ends with
            best.offer(model, history[objective.name][-1])
    out = summarise(histories, objective)
    if best.weights is not None:
        model.set_weights(best.weights)
        trial_dir.mkdir(parents=True, exist_ok=True)
        model.save_weights(str(trial_dir / CHECKPOINT))
    return {**out, "history": histories, "hyperparameters": hp.get_config()}
