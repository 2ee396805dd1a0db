"""Hyperband (Li et al. 2018) as KerasTuner runs it: brackets of successive halving.

A bracket starts many random trials for a few epochs, keeps the best 1/factor of them and trains
those further, round after round, up to max_epochs. Brackets go from the most aggressive (many
trials, one epoch) to plain random search (few trials, max_epochs). A trial of a later round has
the values of its best predecessor plus "tuner/trial_id", and starts from that trial's best-epoch
checkpoint (weights only, as KerasTuner: the optimizer state starts afresh) at
"tuner/initial_epoch", training up to "tuner/epochs".
"""

from __future__ import annotations

import math

from rustgrad.tuner.oracle import Oracle, split_oracle_kwargs
from rustgrad.tuner.trial import TrialStatus
from rustgrad.tuner.tuner import Tuner


class HyperbandOracle(Oracle):
    """Successive-halving brackets over random values.

    Args:
        objective: Metric name or kt.Objective.
        max_epochs: Most epochs one model is trained.
        factor: Reduction of trials (and growth of epochs) from one round to the next (>= 2).
        hyperband_iterations: Times the whole set of brackets is run.
        max_trials: Optional cap on trials (KerasTuner has none for Hyperband).
        **kwargs: The Oracle's other arguments.

    Raises:
        ValueError: max_epochs < 1, factor < 2 or hyperband_iterations < 1.
    """

    def __init__(self, objective=None, max_epochs=100, factor=3, hyperband_iterations=1,
                 max_trials=None, **kwargs) -> None:  # fmt: skip
        super().__init__(objective=objective, max_trials=max_trials, **kwargs)
        if int(max_epochs) < 1:
            raise ValueError(f"Hyperband: max_epochs must be >= 1, got {max_epochs}")
        if int(factor) < 2:
            raise ValueError(f"Hyperband: factor must be an integer >= 2, got {factor}")
        if int(hyperband_iterations) < 1:
            raise ValueError(
                f"Hyperband: hyperband_iterations must be >= 1, got {hyperband_iterations}"
            )
        self.max_epochs, self.factor = int(max_epochs), int(factor)
        self.hyperband_iterations = int(hyperband_iterations)
        self.min_epochs = 1
        self._iteration = 0
        self._bracket = self._num_brackets() - 1  # the most aggressive first
        self._brackets: list[dict] = []
        self._start_bracket()

    # KerasTuner's schedule: every bracket costs about the same number of epochs.
    def _num_brackets(self) -> int:
        epochs, n = float(self.max_epochs), 0
        while epochs >= self.min_epochs:
            epochs /= self.factor
            n += 1
        return n

    def _size(self, bracket: int, round_num: int) -> int:
        end = math.ceil(1 + math.log(self.max_epochs, self.factor)) / (bracket + 1)
        return math.ceil(end * self.factor ** (bracket - round_num))

    def _epochs(self, bracket: int, round_num: int) -> int:
        return math.ceil(self.max_epochs / self.factor ** (bracket - round_num))

    def _start_bracket(self) -> None:
        self._brackets.append({"bracket": self._bracket,
                               "rounds": [[] for _ in range(self._bracket + 1)]})  # fmt: skip

    def _next_bracket(self) -> None:
        self._bracket -= 1
        if self._bracket < 0:
            self._bracket = self._num_brackets() - 1
            self._iteration += 1

    def _finished(self, b: dict) -> bool:
        last = len(b["rounds"]) - 1
        return len(b["rounds"][last]) >= self._size(b["bracket"], last)

    def populate_space(self, trial_id: str) -> dict:
        """The next trial of an open bracket: a random one for its first round, or the best
        unpromoted trial of the round before; IDLE while promotions wait for running trials.

        Args:
            trial_id: Id of the trial being created.

        Returns:
            The oracle's response dict.
        """
        self._brackets = [b for b in self._brackets if not self._finished(b)]
        for b in self._brackets:
            num, rounds = b["bracket"], b["rounds"]
            if len(rounds[0]) < self._size(num, 0):
                return self._random_trial(trial_id, b)
            for r in range(1, len(rounds)):
                promoted = {info["past_id"] for info in rounds[r]}
                ready = [self.trials[i["id"]] for i in rounds[r - 1] if i["id"] not in promoted
                         and self.trials[i["id"]].status == TrialStatus.COMPLETED]  # fmt: skip
                # Promote once more trials are finished than the round will drop.
                if len(ready) > self._size(num, r - 1) - self._size(num, r):
                    best = sorted(ready, key=lambda t: t.score,
                                  reverse=self.objective.direction == "max")[0]  # fmt: skip
                    values = {k: v for k, v in best.hyperparameters.values.items()
                              if not k.startswith("tuner/")}  # fmt: skip
                    values.update({
                        "tuner/epochs": self._epochs(num, r),
                        "tuner/initial_epoch": self._epochs(num, r - 1),
                        "tuner/bracket": num, "tuner/round": r,
                        "tuner/trial_id": best.trial_id,
                    })  # fmt: skip
                    rounds[r].append({"past_id": best.trial_id, "id": trial_id})
                    return {"status": TrialStatus.RUNNING, "values": values}
        if self._bracket == 0 and self._iteration + 1 >= self.hyperband_iterations:
            return {"status": TrialStatus.IDLE if self.ongoing else TrialStatus.STOPPED}
        if any(not self._finished(b) for b in self._brackets) and self.ongoing:
            return {"status": TrialStatus.IDLE}
        self._next_bracket()
        self._start_bracket()
        return self._random_trial(trial_id, self._brackets[-1])

    def _random_trial(self, trial_id: str, b: dict) -> dict:
        values = self._random_values()
        if values is None:  # the space is exhausted (KerasTuner stops here too)
            return {"status": TrialStatus.IDLE if self.ongoing else TrialStatus.STOPPED}
        values.update({"tuner/epochs": self._epochs(b["bracket"], 0), "tuner/initial_epoch": 0,
                       "tuner/bracket": b["bracket"], "tuner/round": 0})  # fmt: skip
        b["rounds"][0].append({"past_id": None, "id": trial_id})
        return {"status": TrialStatus.RUNNING, "values": values}

    def get_state(self) -> dict:
        """Brackets, current bracket and iteration.

        Returns:
            A dict.
        """
        return {"brackets": self._brackets, "bracket": self._bracket, "iteration": self._iteration}

    def set_state(self, state: dict) -> None:
        """Restore what get_state returned.

        Args:
            state: The dict.
        """
        self._brackets, self._bracket = state["brackets"], state["bracket"]
        self._iteration = state["iteration"]


class Hyperband(Tuner):
    """Hyperband search: cheap first looks at many trials, more epochs for the promising ones.

    Args:
        hypermodel: A HyperModel or a function build_model(hp).
        objective: Metric name or kt.Objective.
        max_epochs: Most epochs one model is trained (search's `epochs` is replaced per trial).
        factor: Reduction factor between rounds (default 3).
        hyperband_iterations: Times the brackets are run (default 1).
        max_trials: Optional cap on the number of trials.
        **kwargs: The Oracle's seed, hyperparameters, tune_new_entries, allow_new_entries,
            max_retries_per_trial, max_consecutive_failed_trials (see Oracle), and the Tuner's
            directory, project_name, overwrite, executions_per_trial, max_parallel_trials.
    """

    def __init__(self, hypermodel=None, objective=None, max_epochs=100, factor=3,
                 hyperband_iterations=1, max_trials=None, **kwargs) -> None:  # fmt: skip
        oracle = HyperbandOracle(objective, max_epochs, factor, hyperband_iterations, max_trials,
                                 **split_oracle_kwargs(kwargs))  # fmt: skip
        super().__init__(oracle, hypermodel, **kwargs)
