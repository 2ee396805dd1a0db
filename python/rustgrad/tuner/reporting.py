"""What the tuner prints: the search space, each trial's end, and the results summary, in
KerasTuner's layout."""

from __future__ import annotations

import time
from typing import Any

from rustgrad.tuner.trial import TrialStatus


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600:02d}h {s % 3600 // 60:02d}m {s % 60:02d}s"


def search_space_summary(tuner: Any) -> None:
    """Print each hyperparameter of the space with its kind and settings.

    Args:
        tuner: The Tuner.
    """
    space = tuner.oracle.hyperparameters.space
    print("Search space summary")
    print(f"Default search space size: {len(space)}")
    for hp in space:
        print(f"{hp.name} ({hp.kind})")
        print(hp.get_config())


def print_trial_end(tuner: Any, trial: Any) -> None:
    """Print a finished trial's objective, the best so far and the time spent.

    Args:
        tuner: The Tuner.
        trial: The completed Trial.
    """
    name = tuner.oracle.objective.name
    best = tuner.oracle.get_best_trials(1)
    print(f"\nTrial {int(trial.trial_id) + 1} Complete [{_clock(trial.seconds or 0.0)}]")
    print(f"{name}: {trial.score}")
    if best:
        print(f"\nBest {name} So Far: {best[0].score}")
    print(f"Total elapsed time: {_clock(time.perf_counter() - tuner._start)}", flush=True)


def results_summary(tuner: Any, num_trials: int = 10) -> None:
    """Print the best `num_trials` trials, best first, then the failed ones with their error.

    Args:
        tuner: The Tuner.
        num_trials: How many of the best to show.
    """
    oracle = tuner.oracle
    best = oracle.get_best_trials(num_trials)
    print("Results summary")
    print(f"Results in {tuner.project_dir}")
    print(f"Showing {len(best)} best trials")
    print(oracle.objective)
    for trial in best:
        print()
        print(trial.summary())
    failed = oracle.trials_in(TrialStatus.FAILED)
    if failed:
        print(f"\n{len(failed)} trial(s) failed:")
        for trial in failed:
            last = (trial.message or "").strip().splitlines()[-1:] or [""]
            print(f"Trial {trial.trial_id}: {last[0]}")
