"""RandomSearch: values drawn at random from the space (KerasTuner's RandomSearch)."""

from __future__ import annotations

from rustgrad.tuner.oracle import Oracle, split_oracle_kwargs
from rustgrad.tuner.trial import TrialStatus
from rustgrad.tuner.tuner import Tuner


class RandomSearchOracle(Oracle):
    """Draws every trial's values uniformly (in each hyperparameter's sampling), never twice.

    Args:
        objective: Metric name or kt.Objective.
        max_trials: Trials to run (default 10).
        **kwargs: The Oracle's other arguments (seed, hyperparameters, ...).
    """

    def __init__(self, objective=None, max_trials=10, **kwargs) -> None:
        super().__init__(objective=objective, max_trials=max_trials, **kwargs)

    def populate_space(self, trial_id: str) -> dict:
        """Random values not tried before, or STOPPED when the space is exhausted.

        Args:
            trial_id: Id of the trial being created.

        Returns:
            The oracle's response dict.
        """
        values = self._random_values()
        if values is None:
            return {"status": TrialStatus.STOPPED}
        return {"status": TrialStatus.RUNNING, "values": values}


class RandomSearch(Tuner):
    """Random search over the hypermodel's space.

    Args:
        hypermodel: A HyperModel or a function build_model(hp).
        objective: Metric name ("val_accuracy", ...) or kt.Objective.
        max_trials: Trials to run (default 10).
        **kwargs: The Oracle's seed, hyperparameters, tune_new_entries, allow_new_entries,
            max_retries_per_trial, max_consecutive_failed_trials (see Oracle), and the Tuner's
            directory, project_name, overwrite, executions_per_trial, max_parallel_trials.
    """

    def __init__(self, hypermodel=None, objective=None, max_trials=10, **kwargs) -> None:
        oracle = RandomSearchOracle(objective, max_trials, **split_oracle_kwargs(kwargs))
        super().__init__(oracle, hypermodel, **kwargs)
