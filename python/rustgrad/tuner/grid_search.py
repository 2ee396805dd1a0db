"""GridSearch: every combination of the space's values, in KerasTuner's order (defaults first,
the last declared hyperparameter changing fastest; conditional ones only where active)."""

from __future__ import annotations

from rustgrad.tuner.oracle import Oracle, split_oracle_kwargs
from rustgrad.tuner.trial import TrialStatus
from rustgrad.tuner.tuner import Tuner


class GridSearchOracle(Oracle):
    """Walks the grid like an odometer over each hyperparameter's `values`.

    Args:
        objective: Metric name or kt.Objective.
        max_trials: At most this many trials (None: the whole grid).
        **kwargs: The Oracle's other arguments.
    """

    def __init__(self, objective=None, max_trials=None, **kwargs) -> None:
        super().__init__(objective=objective, max_trials=max_trials, **kwargs)

    def _ordered(self, hp) -> list:
        values = [v for v in hp.values if v != hp.default]
        return [hp.default, *values]

    def _next(self, values: dict) -> dict | None:
        hps = self.hyperparameters.copy()
        hps.values = dict(values)
        for hp in reversed(hps.space):  # the last declared turns fastest
            if hps.is_active(hp):
                options = self._ordered(hp)
                current = hps.values.get(hp.name, hp.default)
                index = options.index(current) if current in options else len(options) - 1
                if index + 1 < len(options):
                    hps.values[hp.name] = options[index + 1]
                    return hps.active_values()
            hps.values[hp.name] = hp.default
        return None

    def _filled(self, values: dict) -> dict:
        hps = self.hyperparameters.copy()
        hps.values = dict(values)
        return hps.active_values()

    def populate_space(self, trial_id: str) -> dict:
        """The first grid point, in order, that no trial has taken, or STOPPED after the last.

        The walk starts from the defaults every time and compares with every trial's values
        (defaults filled in for what was declared after it started), so hyperparameters that
        trials declare late (in HyperModel.fit) and trials running in parallel neither skip
        nor repeat a point.

        Args:
            trial_id: Id of the trial being created.

        Returns:
            The oracle's response dict.
        """
        taken = {self._key(self._filled(t.hyperparameters.values)) for t in self.trials.values()}
        values = self.hyperparameters.copy().active_values()
        while values is not None and self._key(values) in taken:
            values = self._next(values)
        if values is None:
            return {"status": TrialStatus.IDLE if self.ongoing else TrialStatus.STOPPED}
        return {"status": TrialStatus.RUNNING, "values": values}


class GridSearch(Tuner):
    """Exhaustive search over the grid of the hypermodel's space. A Float without `step` (and a
    log Int without one) contributes 10 values spread over its range, as KerasTuner.

    Args:
        hypermodel: A HyperModel or a function build_model(hp).
        objective: Metric name or kt.Objective.
        max_trials: At most this many trials (None: the whole grid).
        **kwargs: The Oracle's seed, hyperparameters, tune_new_entries, allow_new_entries,
            max_retries_per_trial, max_consecutive_failed_trials (see Oracle), and the Tuner's
            directory, project_name, overwrite, executions_per_trial, max_parallel_trials.
    """

    def __init__(self, hypermodel=None, objective=None, max_trials=None, **kwargs) -> None:
        oracle = GridSearchOracle(objective, max_trials, **split_oracle_kwargs(kwargs))
        super().__init__(oracle, hypermodel, **kwargs)
