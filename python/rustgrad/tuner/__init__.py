"""rustgrad.tuner: hyperparameter search with KerasTuner's API.

Code written for `import keras_tuner as kt` runs with `from rustgrad import tuner as kt`:
HyperParameters (Int, Float, Choice, Boolean, Fixed, conditional_scope), HyperModel, Objective, and
the GridSearch, RandomSearch, Hyperband and BayesianOptimization tuners with search,
search_space_summary, results_summary, get_best_hyperparameters, get_best_models and
oracle.get_best_trials. rustgrad adds parallel trials in worker processes (max_parallel_trials) and
tuner.plot(path).
"""

from __future__ import annotations

from rustgrad.tuner import errors
from rustgrad.tuner.bayesian import BayesianOptimization, BayesianOptimizationOracle
from rustgrad.tuner.grid_search import GridSearch, GridSearchOracle
from rustgrad.tuner.hyperband import Hyperband, HyperbandOracle
from rustgrad.tuner.hypermodel import HyperModel
from rustgrad.tuner.hyperparameters import HyperParameters
from rustgrad.tuner.objective import Objective
from rustgrad.tuner.oracle import Oracle
from rustgrad.tuner.random_search import RandomSearch, RandomSearchOracle
from rustgrad.tuner.trial import Trial, TrialStatus
from rustgrad.tuner.tuner import Tuner

__all__ = [
    "BayesianOptimization",
    "BayesianOptimizationOracle",
    "GridSearch",
    "GridSearchOracle",
    "HyperModel",
    "HyperParameters",
    "Hyperband",
    "HyperbandOracle",
    "Objective",
    "Oracle",
    "RandomSearch",
    "RandomSearchOracle",
    "Trial",
    "TrialStatus",
    "Tuner",
    "errors",
]
