"""Tuner: the search loop shared by the four tuners (KerasTuner's `Tuner` surface).

search() declares the space (one build with default values, each choice tried once so conditional
hyperparameters are seen), then asks the oracle for trials until it stops, running each here or in
worker processes (rustgrad.tuner.workers). A failing trial is recorded as FAILED with its error and
the search goes on until `max_consecutive_failed_trials` fail in a row.
"""

from __future__ import annotations

import os
import shutil
import time
import traceback
from pathlib import Path
from typing import Any

from rustgrad.tuner import execution
from rustgrad.tuner.errors import (
    FailedTrialError,
    FatalError,
    ObjectiveNotLoggedError,
    TooManyFailedTrialsError,
)
from rustgrad.tuner.hp_types import Boolean, Choice
from rustgrad.tuner.hypermodel import HyperModel, as_hypermodel
from rustgrad.tuner.trial import Trial, TrialStatus
from rustgrad.tuner.tuner_results import TunerResults

_UNSUPPORTED = ("max_model_size", "optimizer", "loss", "metrics", "distribution_strategy", "logger")


class Tuner(TunerResults):
    """A search driven by `oracle` over the models `hypermodel` builds.

    Args:
        oracle: The Oracle choosing the values.
        hypermodel: A HyperModel or a function `build_model(hp)` (None when run_trial is
            overridden).
        executions_per_trial: Models trained per trial; its score is their mean.
        directory: Folder of the project folder (default: the current folder).
        project_name: Name of the folder holding trial_*/trial.json and oracle.json.
        overwrite: Start over (delete that folder) instead of resuming the search found there.
        max_parallel_trials: Trials run at once in worker processes, each with its share of the
            cores (RUSTGRAD_NUM_THREADS); None: one per two cores. 1 runs trials in this process.
        tuner_id: Name of this tuner (recorded only).
        **kwargs: KerasTuner's max_model_size, optimizer, loss, metrics, distribution_strategy
            and logger are refused (not supported).

    Raises:
        NotImplementedError: one of the unsupported KerasTuner arguments.
        TypeError: an unknown keyword argument.
        ValueError: executions_per_trial or max_parallel_trials < 1, no hypermodel.
    """

    def __init__(self, oracle, hypermodel=None, executions_per_trial=1, directory=None,
                 project_name=None, overwrite=False, max_parallel_trials=None, tuner_id=None,
                 **kwargs) -> None:  # fmt: skip
        for name in _UNSUPPORTED:
            if kwargs.pop(name, None) is not None:
                raise NotImplementedError(f"{type(self).__name__}: {name}= is not supported")
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unknown argument(s) {', '.join(kwargs)}")
        self.oracle = oracle
        self.hypermodel = as_hypermodel(hypermodel)
        if self.hypermodel is None and not self._run_trial_overridden():
            raise ValueError(
                "give a hypermodel (a function build_model(hp) or a kt.HyperModel), or subclass "
                "the tuner and override run_trial"
            )
        if int(executions_per_trial) < 1:
            raise ValueError(f"executions_per_trial must be >= 1, got {executions_per_trial}")
        self.executions_per_trial = int(executions_per_trial)
        if max_parallel_trials is not None and int(max_parallel_trials) < 1:
            raise ValueError(f"max_parallel_trials must be >= 1, got {max_parallel_trials}")
        self._parallel_asked = max_parallel_trials is not None
        self.max_parallel_trials = (
            max(1, (os.cpu_count() or 1) // 2) if max_parallel_trials is None
            else int(max_parallel_trials)
        )  # fmt: skip
        self.tuner_id = tuner_id or "tuner0"
        self.directory = Path(directory if directory is not None else ".")
        self.project_name = project_name or "untitled_project"
        self.project_dir = self.directory / self.project_name
        if overwrite:
            _remove_project(self.project_dir)
        self.oracle.set_folder(self.project_dir)
        self.input_shape: list | None = None
        self.verbose: Any = 1
        if not overwrite and self.oracle.reload():
            print(f"Reloading Tuner from {self.project_dir}")
        self._populate_initial_space()

    # -- search ------------------------------------------------------------------------------
    def search(self, *fit_args: Any, **fit_kwargs: Any) -> None:
        """Run trials until the oracle stops: each builds a model and trains it with `fit_args`
        and `fit_kwargs` (x, y, epochs, validation_data or validation_split, callbacks, ...).

        Args:
            *fit_args: Given to fit (HyperModel.fit) in every trial.
            **fit_kwargs: Given to fit; `verbose` also sets how much the search prints.

        Raises:
            ValueError: an empty search space.
            ObjectiveNotLoggedError: the objective is not among the metrics the model logs.
            TooManyFailedTrialsError: max_consecutive_failed_trials trials failed in a row.
            FatalError: a hypermodel raised it.
        """
        self.verbose = fit_kwargs.get("verbose", 1)
        self.input_shape = execution.input_shape_of(fit_args, fit_kwargs) or self.input_shape
        self._check_space_declared(before_search=True)
        self._start = time.perf_counter()
        if self._use_workers(fit_args, fit_kwargs):
            from rustgrad.tuner import workers

            workers.search(self, fit_args, fit_kwargs)
        else:
            self._search_here(fit_args, fit_kwargs)

    def _search_here(self, fit_args: tuple, fit_kwargs: dict) -> None:
        while True:
            trial = self.oracle.create_trial()
            if trial.status in (TrialStatus.STOPPED, TrialStatus.IDLE):
                break  # IDLE with nothing running here: nothing left to wait for
            self.on_trial_begin(trial)
            began, last = time.perf_counter(), None
            for _ in range(self.oracle.max_retries_per_trial + 1):
                try:
                    result = self.run_trial(trial, *fit_args, **fit_kwargs)
                except (ObjectiveNotLoggedError, FatalError) as e:
                    self._fail(trial, e)
                    raise
                except Exception as e:  # noqa: BLE001 - recorded as the trial's error; the search goes on
                    last = e
                    if isinstance(e, FailedTrialError):
                        break
                    continue
                self._complete(trial, self._as_result(result), time.perf_counter() - began)
                break
            if trial.status != TrialStatus.COMPLETED:
                self._fail(trial, last)
            self.on_trial_end(trial)
            self._check_space_declared()

    def run_trial(self, trial: Trial, *fit_args: Any, **fit_kwargs: Any) -> Any:
        """Build and train the trial's model(s); override to search anything (return a float to
        minimise or a dict of metrics).

        Args:
            trial: The Trial (its `hyperparameters` hold the values).
            *fit_args: search's positional arguments.
            **fit_kwargs: search's keyword arguments.

        Returns:
            A result dict (score, best_step, metrics, history), or in an override a float, a dict
            of metrics, or a History.
        """
        parent = trial.hyperparameters.values.get("tuner/trial_id")
        checkpoint = None if parent is None else self._checkpoint(parent)
        return execution.run_trial(
            self.hypermodel, trial.hyperparameters, self.oracle.objective,
            self.executions_per_trial, fit_args, fit_kwargs,
            self.oracle.trial_dir(trial.trial_id), checkpoint, self.trial_seed(trial),
        )  # fmt: skip

    def _as_result(self, result: Any) -> dict:
        if isinstance(result, dict) and "history" in result and "score" in result:
            return result
        history = execution._histories(result, self.oracle.objective, 0)
        return {**execution.summarise([history], self.oracle.objective), "history": [history]}

    def _complete(self, trial: Trial, result: dict, seconds: float) -> None:
        for key in ("score", "best_step", "metrics", "history"):
            setattr(trial, key, result[key])
        trial.seconds = seconds
        if "hyperparameters" in result:
            from rustgrad.tuner.hyperparameters import HyperParameters

            declared = HyperParameters.from_config(result["hyperparameters"])
            trial.hyperparameters.merge(declared)
            trial.hyperparameters.values.update(declared.values)
        self.oracle.end_trial(trial, TrialStatus.COMPLETED)

    def _fail(self, trial: Trial, error: BaseException | str) -> None:
        message = error if isinstance(error, str) else "".join(
            traceback.format_exception(type(error), error, error.__traceback__))  # fmt: skip
        self.oracle.end_trial(trial, TrialStatus.FAILED, message)
        if self.verbose:
            print(f"Trial {trial.trial_id} FAILED:\n{message.strip().splitlines()[-1]}")
        limit = self.oracle.max_consecutive_failed_trials
        if self.oracle.consecutive_failures() >= limit and not isinstance(
            error, (ObjectiveNotLoggedError, FatalError)):  # fmt: skip
            raise TooManyFailedTrialsError(
                f"{limit} trials failed in a row (max_consecutive_failed_trials={limit}); the "
                f"last one, trial {trial.trial_id}, raised:\n{message}"
            )

    def trial_seed(self, trial: Trial) -> int:
        """The seed of a trial's executions, from the oracle's seed and the trial's values: the
        same values start from the same weights in whichever order or process they run (values
        declared only in HyperModel.fit are not known to a trial that starts before the first
        one finishes, so declare them in build too when parallel runs must match one process).

        Args:
            trial: The trial.

        Returns:
            An int below 2**31.
        """
        digest = self.oracle._key(trial.hyperparameters.values)
        return (self.oracle.seed * 1_000_003 + int(digest[:8], 16)) % 2**31

    def _checkpoint(self, trial_id: str) -> Path:
        return self.oracle.trial_dir(trial_id) / execution.CHECKPOINT

    # -- the search space --------------------------------------------------------------------
    def _run_trial_overridden(self) -> bool:
        return type(self).run_trial is not Tuner.run_trial

    def _fit_overridden(self) -> bool:
        return type(self.hypermodel).fit is not HyperModel.fit

    def _populate_initial_space(self) -> None:
        """Declare the space: build once with defaults, then with each value of every Choice
        and Boolean, so hyperparameters under conditional scopes are declared too."""
        if self.hypermodel is None:
            return
        hp = self.oracle.hyperparameters
        self.hypermodel.declare_hyperparameters(hp)
        self.hypermodel.build(hp)
        done: set = set()
        while True:
            todo = [(p, v) for p in hp.space if isinstance(p, (Choice, Boolean))
                    for v in p.values if (p.name, repr(v)) not in done]  # fmt: skip
            if not todo:
                break
            for p, v in todo:
                done.add((p.name, repr(v)))
                trial_hp = hp.copy()
                trial_hp.values[p.name] = v
                if trial_hp.is_active(p):
                    self.hypermodel.build(trial_hp)
                    hp.merge(trial_hp)

    def _check_space_declared(self, before_search: bool = False) -> None:
        if self.oracle.hyperparameters.space:
            return
        late = self._run_trial_overridden() or (self.hypermodel and self._fit_overridden())
        if before_search and late:
            return  # fit or run_trial may declare them in the first trial
        raise ValueError(
            "the search space is empty: the hypermodel declared no hyperparameters (use hp.Int, "
            "hp.Float, hp.Choice, hp.Boolean in build(hp) or fit(hp, ...))"
        )

    def _use_workers(self, fit_args: tuple, fit_kwargs: dict) -> bool:
        if self.max_parallel_trials <= 1:
            return False
        if self._run_trial_overridden():
            if self._parallel_asked:
                raise ValueError(
                    "max_parallel_trials > 1 runs HyperModel trials in worker processes; a tuner "
                    "with an overridden run_trial runs in this process (max_parallel_trials=1)"
                )
            return False
        return True


def _remove_project(folder: Path) -> None:
    """Delete a previous search; refuse a folder holding anything else."""
    if not folder.exists():
        return
    ours = {"oracle.json"}
    strangers = [p.name for p in folder.iterdir() if p.name not in ours
                 and not p.name.startswith(("trial_", ".rustgrad-tmp-"))]  # fmt: skip
    if strangers:
        raise ValueError(
            f"overwrite=True would delete {folder}, which holds files a search did not write "
            f"({', '.join(sorted(strangers)[:5])}); choose another directory/project_name"
        )
    shutil.rmtree(folder)
