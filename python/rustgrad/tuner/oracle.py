"""Oracle: hands out trials, records their results, keeps the search's state on disk.

Subclasses say which values to try next (`populate_space`); the base class holds the trials, the
max_trials budget, collisions, consecutive failures, the best trials, and saving / reloading
(oracle.json beside the trial folders), so a search stopped at any moment resumes where it was:
finished trials are never run again, a trial that was running is run again with the same values.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from rustgrad.tuner.hyperparameters import HyperParameters
from rustgrad.tuner.objective import create_objective
from rustgrad.tuner.trial import Trial, TrialStatus, read_sealed, write_sealed

ORACLE_ARGS = ("seed", "hyperparameters", "tune_new_entries", "allow_new_entries",
               "max_retries_per_trial", "max_consecutive_failed_trials")  # fmt: skip


def split_oracle_kwargs(kwargs: dict) -> dict:
    """Take the Oracle's common arguments out of a tuner's keyword arguments.

    Args:
        kwargs: The tuner's **kwargs; the Oracle's entries are removed from it.

    Returns:
        The Oracle's arguments.
    """
    return {name: kwargs.pop(name) for name in ORACLE_ARGS if name in kwargs}


class Oracle:
    """The base search strategy: subclasses implement `populate_space(trial_id)`.

    Args:
        objective: Metric name, kt.Objective, or None (a fit returning one float to minimise).
        max_trials: Most trials to create (None: until the strategy stops).
        hyperparameters: A HyperParameters declaring (part of) the space in advance.
        allow_new_entries: Whether the hypermodel may declare hyperparameters not given here.
        tune_new_entries: Whether newly declared hyperparameters are searched.
        seed: Seed of the random choices.
        max_retries_per_trial: Times a failing trial is run again before it is FAILED.
        max_consecutive_failed_trials: Failed trials in a row that stop the search with an error.

    Raises:
        ValueError: max_trials <= 0, negative retries, max_consecutive_failed_trials < 1.
    """

    def __init__(self, objective=None, max_trials=None, hyperparameters=None,
                 allow_new_entries=True, tune_new_entries=True, seed=None,
                 max_retries_per_trial=0, max_consecutive_failed_trials=3) -> None:  # fmt: skip
        if max_trials is not None and (isinstance(max_trials, bool) or int(max_trials) <= 0):
            raise ValueError(f"max_trials must be a positive integer, got {max_trials!r}")
        if int(max_retries_per_trial) < 0:
            raise ValueError(f"max_retries_per_trial must be >= 0, got {max_retries_per_trial}")
        if int(max_consecutive_failed_trials) < 1:
            raise ValueError(
                f"max_consecutive_failed_trials must be >= 1, got {max_consecutive_failed_trials}"
            )
        self.objective = create_objective(objective)
        self.max_trials = None if max_trials is None else int(max_trials)
        self.hyperparameters = hyperparameters.copy() if hyperparameters else HyperParameters()
        self.hyperparameters.allow_new_entries = allow_new_entries
        self.hyperparameters.tune_new_entries = tune_new_entries
        self.seed = random.randint(1, 10_000) if seed is None else int(seed)
        self._seed_state = self.seed
        self.max_retries_per_trial = int(max_retries_per_trial)
        self.max_consecutive_failed_trials = int(max_consecutive_failed_trials)
        self.trials: dict[str, Trial] = {}
        self.start_order: list[str] = []
        self.ongoing: set[str] = set()
        self._tried: set[str] = set()
        self._resume: list[str] = []  # trials that were running when the search stopped
        self._max_collisions = 20
        self._folder: Path | None = None

    # -- the subclass's part -----------------------------------------------------------------
    def populate_space(self, trial_id: str) -> dict:
        """The next values to try.

        Args:
            trial_id: Id of the trial being created.

        Returns:
            {"status": "RUNNING", "values": {...}}, {"status": "IDLE"} (wait for a running
            trial) or {"status": "STOPPED"}.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement populate_space")

    def get_state(self) -> dict:
        """The subclass's state to save beside the base's (none here).

        Returns:
            A JSON-ready dict.
        """
        return {}

    def set_state(self, state: dict) -> None:
        """Restore what get_state returned.

        Args:
            state: The dict.
        """

    # -- trials ------------------------------------------------------------------------------
    def _id_width(self) -> int:
        return max(2, len(str((self.max_trials or 100) - 1)))

    def create_trial(self) -> Trial:
        """A new trial (status RUNNING), one that must be rerun, or an IDLE / STOPPED marker.

        Returns:
            A Trial; its status says which.
        """
        if self._resume:
            trial = self.trials[self._resume.pop(0)]
            trial.status = TrialStatus.RUNNING
            self.ongoing.add(trial.trial_id)
            return trial
        trial_id = str(len(self.trials)).zfill(self._id_width())
        if self.max_trials is not None and len(self.trials) >= self.max_trials:
            return Trial(self.hyperparameters.copy(), trial_id, TrialStatus.STOPPED)
        response = self.populate_space(trial_id)
        status = response["status"]
        if status != TrialStatus.RUNNING:
            return Trial(self.hyperparameters.copy(), trial_id, status)
        hps = self.hyperparameters.copy()
        hps.values = dict(response["values"])
        trial = Trial(hps, trial_id, TrialStatus.RUNNING)
        self._tried.add(self._key(hps.values))
        self.trials[trial_id] = trial
        self.start_order.append(trial_id)
        self.ongoing.add(trial_id)
        self.save()
        self.save_trial(trial)
        return trial

    def end_trial(self, trial: Trial, status: str = TrialStatus.COMPLETED,
                  message: str | None = None) -> None:  # fmt: skip
        """Record a trial's end, merge any hyperparameters it declared, and save it.

        Args:
            trial: The trial, its score and metrics filled in when COMPLETED.
            status: COMPLETED or FAILED.
            message: The error of a FAILED trial.
        """
        trial.status, trial.message = status, message
        self.ongoing.discard(trial.trial_id)
        self.hyperparameters.merge(trial.hyperparameters)
        self.save_trial(trial)
        self.save()

    def consecutive_failures(self) -> int:
        """Failed trials at the end of the start order, none completed after them.

        Returns:
            An int.
        """
        count = 0
        for trial_id in reversed(self.start_order):
            status = self.trials[trial_id].status
            if status == TrialStatus.FAILED:
                count += 1
            elif status == TrialStatus.COMPLETED:
                break
        return count

    def get_trial(self, trial_id: str) -> Trial:
        """The trial with this id.

        Args:
            trial_id: Its id.

        Returns:
            The Trial.
        """
        return self.trials[trial_id]

    def get_best_trials(self, num_trials: int = 1) -> list[Trial]:
        """The best completed trials, best first.

        Args:
            num_trials: How many at most.

        Returns:
            A list of Trial.
        """
        done = [t for t in self.trials.values() if t.status == TrialStatus.COMPLETED
                and t.score is not None and t.score == t.score]  # fmt: skip
        done.sort(key=lambda t: t.score, reverse=self.objective.direction == "max")
        return done[: int(num_trials)]

    def get_space(self) -> HyperParameters:
        """A copy of the search space.

        Returns:
            A HyperParameters.
        """
        return self.hyperparameters.copy()

    # -- drawing values ----------------------------------------------------------------------
    @staticmethod
    def _key(values: dict) -> str:
        text = json.dumps({k: v for k, v in values.items() if not k.startswith("tuner/")},
                          sort_keys=True)  # fmt: skip
        return hashlib.sha256(text.encode()).hexdigest()

    def _random_values(self) -> dict | None:
        """Random values for the active hyperparameters, not tried before; None after 20 draws
        that all collided with tried ones (the space is exhausted)."""
        for _ in range(self._max_collisions):
            hps = self.hyperparameters.copy()
            for hp in hps.space:
                if hps.is_active(hp):
                    self._seed_state += 1
                    hps.values[hp.name] = hp.random_sample(self._seed_state)
            values = hps.active_values()
            if self._key(values) not in self._tried:
                return values
        return None

    # -- files -------------------------------------------------------------------------------
    def set_folder(self, folder: Path) -> None:
        """Where oracle.json and the trial folders go.

        Args:
            folder: `<directory>/<project_name>`.
        """
        self._folder = Path(folder)

    def trial_dir(self, trial_id: str) -> Path:
        """The folder of one trial (trial.json, its checkpoint).

        Args:
            trial_id: Its id.

        Returns:
            A Path.
        """
        assert self._folder is not None, "set_folder first"
        return self._folder / f"trial_{trial_id}"

    def save_trial(self, trial: Trial) -> None:
        """Write the trial's trial.json.

        Args:
            trial: The trial.
        """
        if self._folder is not None:
            trial.save(self.trial_dir(trial.trial_id) / "trial.json")

    def save(self) -> None:
        """Write oracle.json: the space, seed state, order of trials and the subclass's state."""
        if self._folder is None:
            return
        write_sealed(self._folder / "oracle.json", {
            "kind": type(self).__name__,
            "hyperparameters": self.hyperparameters.get_config(),
            "seed": self.seed, "seed_state": self._seed_state,
            "start_order": self.start_order, "tried": sorted(self._tried),
            "objective": [self.objective.name, self.objective.direction],
            "state": self.get_state(),
        })  # fmt: skip

    def reload(self) -> bool:
        """Load a previous search from the folder, if there is one.

        Returns:
            True when a search was found and loaded.

        Raises:
            ValueError: a damaged file, or a search of another kind or objective there.
        """
        path = None if self._folder is None else self._folder / "oracle.json"
        if path is None or not path.exists():
            return False
        state = read_sealed(path)
        if state["kind"] != type(self).__name__ or state["objective"] != [
            self.objective.name, self.objective.direction]:  # fmt: skip
            raise ValueError(
                f"{path} holds a {state['kind']} search for {state['objective']}; use another "
                "project_name, or overwrite=True to start over"
            )
        self.hyperparameters.merge(HyperParameters.from_config(state["hyperparameters"]))
        self.seed, self._seed_state = state["seed"], state["seed_state"]
        self._tried = set(state["tried"])
        for trial_id in state["start_order"]:
            trial_file = self.trial_dir(trial_id) / "trial.json"
            if not trial_file.exists():
                continue  # created but never written: it is drawn again
            trial = Trial.load(trial_file)
            self.trials[trial_id] = trial
            self.start_order.append(trial_id)
            if trial.status == TrialStatus.RUNNING:
                self._resume.append(trial_id)
        self.set_state(state["state"])
        return True

    def trials_in(self, status: str) -> list[Trial]:
        """The trials with this status, in start order.

        Args:
            status: A TrialStatus.

        Returns:
            A list of Trial.
        """
        return [self.trials[i] for i in self.start_order if self.trials[i].status == status]
