"""What every hyperparameter kind shares: names, defaults, conditions, and KerasTuner's mapping
between a value and its "cumulative probability" in [0, 1) (random search draws the probability
uniformly, Bayesian optimisation works in that unit cube, the grid walks the kind's `values`)."""

from __future__ import annotations

import math
import random
from typing import Any


def prob_to_index(prob: float, n: int) -> int:
    """The 0-based index of the bucket holding `prob` when [0, 1) is cut into `n` buckets.

    Args:
        prob: A cumulative probability in [0, 1].
        n: Number of buckets.

    Returns:
        An int in [0, n).
    """
    return min(math.floor(prob * n), n - 1)


def index_to_prob(index: float, n: int) -> float:
    """The middle of bucket `index` when [0, 1) is cut into `n` buckets.

    Args:
        index: A bucket index.
        n: Number of buckets.

    Returns:
        A float in (0, 1).
    """
    return (index + 0.5) / n  # the middle of the index's bucket


class HyperParameter:
    """What every hyperparameter kind shares: a name, a default and the conditions that activate it.

    Args:
        name: Unique name of the hyperparameter in its search space.
        default: Value used before any search (and by the first grid trial).
        conditions: List of `(parent_name, parent_values)` pairs, all of which must hold for the
            hyperparameter to be active (set by `HyperParameters.conditional_scope`).
    """

    kind = "HyperParameter"

    def __init__(self, name: str, default: Any = None, conditions: list | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a hyperparameter needs a non-empty string name, got {name!r}")
        self.name = name
        self._default = default
        self.conditions = [(p, list(v)) for p, v in (conditions or [])]

    @property
    def default(self) -> Any:
        """The value used when no search has chosen one."""
        return self._default

    def random_sample(self, seed: int | None = None) -> Any:
        """A value drawn uniformly in probability space.

        Args:
            seed: Seed of the draw (None: unseeded).

        Returns:
            A value of this hyperparameter.
        """
        return self.prob_to_value(random.Random(seed).random())

    def get_config(self) -> dict:
        """The JSON-ready description, `from_config`'s input.

        Returns:
            A dict with the kind's arguments and `conditions`.
        """
        return {"default": self._default, "conditions": [list(c) for c in self.conditions]}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "conditions")
        return f"{self.kind}(name={self.name!r}, {args})"
