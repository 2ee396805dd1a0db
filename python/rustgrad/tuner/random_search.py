"""RandomSearch: values drawn at random from the space (KerasTuner's RandomSearch)."""

from __future__ import annotations

from rustgrad.tuner.oracle import Oracle
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
        seed: Seed of the draws.
        hyperparameters: A HyperParameters declaring part of the space in advance.
        tune_new_entries: Whether hyperparameters the hypermodel declares are searched.
        allow_new_entries: Whether the hypermodel may declare new hyperparameters.
        max_retries_per_trial: Reruns of a failing trial before it is FAILED.
        max_consecutive_failed_trials: Failed trials in a row that stop the search.
        **kwargs: The Tuner's arguments (directory, project_name, overwrite,
            executions_per_trial, max_parallel_trials).
    """

    def __init__(self, hypermodel=None, objective=None, max_trials=10, seed=None,
                 hyperparameters=None, tune_new_entries=True, allow_new_entries=True,
                 max_retries_per_trial=0, max_consecutive_failed_trials=3, **kwargs) -> None:  # fmt: skip
        oracle = RandomSearchOracle(
            objective=objective, max_trials=max_trials, seed=seed,
            hyperparameters=hyperparameters, tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries, max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )  # fmt: skip
        super().__init__(oracle, hypermodel, **kwargs)
