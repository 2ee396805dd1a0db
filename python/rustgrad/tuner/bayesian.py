"""BayesianOptimization: a Gaussian process over past trials picks the next values by the upper
confidence bound, with KerasTuner's defaults (num_initial_points = 3 x dimensions, alpha 1e-4,
beta 2.6).

Values live in the unit cube of each hyperparameter's cumulative probability. KerasTuner minimises
the acquisition with SciPy's L-BFGS-B from random starts; rustgrad keeps SciPy out of its
dependencies and minimises it over 2000 random points plus a local refinement around the best
ones, which finds the same basins in the few dimensions a tuner searches.
"""

from __future__ import annotations

import numpy as np

from rustgrad.tuner.gaussian_process import GaussianProcess
from rustgrad.tuner.hp_types import Fixed
from rustgrad.tuner.oracle import Oracle, split_oracle_kwargs
from rustgrad.tuner.trial import TrialStatus
from rustgrad.tuner.tuner import Tuner


class BayesianOptimizationOracle(Oracle):
    """Random trials first, then the minimiser of mu - beta * sigma of a GP on the scores
    (scores of a "max" objective are negated).

    Args:
        objective: Metric name or kt.Objective.
        max_trials: Trials to run (default 10).
        num_initial_points: Random trials before the GP (None: 3 per searched hyperparameter).
        alpha: Noise added to the GP kernel's diagonal.
        beta: Weight of the uncertainty in the acquisition (exploration).
        **kwargs: The Oracle's other arguments.

    Raises:
        ValueError: alpha <= 0, beta < 0 or num_initial_points < 1.
    """

    def __init__(self, objective=None, max_trials=10, num_initial_points=None, alpha=1e-4,
                 beta=2.6, **kwargs) -> None:  # fmt: skip
        super().__init__(objective=objective, max_trials=max_trials, **kwargs)
        if num_initial_points is not None and int(num_initial_points) < 1:
            raise ValueError(f"num_initial_points must be >= 1, got {num_initial_points}")
        if float(alpha) <= 0 or float(beta) < 0:
            raise ValueError(f"need alpha > 0 and beta >= 0, got alpha={alpha}, beta={beta}")
        self.num_initial_points, self.alpha, self.beta = (
            num_initial_points,
            float(alpha),
            float(beta),
        )

    def _searched(self) -> list:
        return [hp for hp in self.hyperparameters.space if not isinstance(hp, Fixed)]

    def _encode(self, values: dict) -> np.ndarray:
        return np.array([hp.value_to_prob(values.get(hp.name, hp.default))
                         for hp in self._searched()])  # fmt: skip

    def _decode(self, point: np.ndarray) -> dict:
        hps = self.hyperparameters.copy()
        for hp, p in zip(self._searched(), point):
            hps.values[hp.name] = hp.prob_to_value(float(np.clip(p, 0.0, 1.0 - 1e-9)))
        return hps.active_values()

    def populate_space(self, trial_id: str) -> dict:
        """Random values for the first num_initial_points trials, then the GP's choice.

        Args:
            trial_id: Id of the trial being created.

        Returns:
            The oracle's response dict.
        """
        searched = self._searched()
        done = [t for t in self.trials.values() if t.status == TrialStatus.COMPLETED
                and t.score is not None and np.isfinite(t.score)]  # fmt: skip
        needed = self.num_initial_points or max(3 * len(searched), 3)
        if len(done) < needed or not searched:
            values = self._random_values()
        else:
            values = self._suggest(done)
        if values is None:
            return {"status": TrialStatus.STOPPED}
        return {"status": TrialStatus.RUNNING, "values": values}

    def _suggest(self, done: list) -> dict | None:
        x = np.stack([self._encode(t.hyperparameters.values) for t in done])
        sign = -1.0 if self.objective.direction == "max" else 1.0
        gp = GaussianProcess(self.alpha).fit(x, sign * np.array([t.score for t in done]))
        rng = np.random.default_rng(self._seed_state)
        self._seed_state += 1

        def acquisition(points):
            mu, sigma = gp.predict(points)
            return mu - self.beta * sigma

        candidates = rng.random((2000, x.shape[1]))
        scores = acquisition(candidates)
        for _ in range(3):  # refine around the five best points at a shrinking radius
            best = candidates[np.argsort(scores)[:5]]
            local = np.clip(best[:, None, :] + rng.normal(0, 0.05, (5, 100, x.shape[1])), 0, 1)
            candidates = np.concatenate([candidates, local.reshape(-1, x.shape[1])])
            scores = acquisition(candidates)
        for index in np.argsort(scores):
            values = self._decode(candidates[index])
            if self._key(values) not in self._tried:
                return values
        return self._random_values()

    def get_state(self) -> dict:
        """The GP settings.

        Returns:
            A dict.
        """
        return {"num_initial_points": self.num_initial_points, "alpha": self.alpha,
                "beta": self.beta}  # fmt: skip


class BayesianOptimization(Tuner):
    """Bayesian optimisation with a Gaussian process (KerasTuner's BayesianOptimization).

    Args:
        hypermodel: A HyperModel or a function build_model(hp).
        objective: Metric name or kt.Objective.
        max_trials: Trials to run (default 10).
        num_initial_points: Random trials before the GP (None: 3 per searched hyperparameter).
        alpha: Noise added to the GP kernel's diagonal (default 1e-4).
        beta: Exploration weight of the upper confidence bound (default 2.6).
        **kwargs: The Oracle's seed, hyperparameters, tune_new_entries, allow_new_entries,
            max_retries_per_trial, max_consecutive_failed_trials (see Oracle), and the Tuner's
            directory, project_name, overwrite, executions_per_trial, max_parallel_trials.
    """

    def __init__(self, hypermodel=None, objective=None, max_trials=10, num_initial_points=None,
                 alpha=1e-4, beta=2.6, **kwargs) -> None:  # fmt: skip
        oracle = BayesianOptimizationOracle(objective, max_trials, num_initial_points, alpha, beta,
                                            **split_oracle_kwargs(kwargs))  # fmt: skip
        super().__init__(oracle, hypermodel, **kwargs)
