"""The hyperparameter kinds (Int, Float, Choice, Boolean, Fixed) with KerasTuner's sampling rules.

Every kind maps a "cumulative probability" in [0, 1) to a value and back, as KerasTuner does: random
search draws the probability uniformly, Bayesian optimisation works in that unit cube, and the grid
walks the kind's `values`.
"""

from __future__ import annotations

import math
import random
from typing import Any

SAMPLINGS = ("linear", "log", "reverse_log")


def _prob_to_index(prob: float, n: int) -> int:
    return min(math.floor(prob * n), n - 1)


def _index_to_prob(index: float, n: int) -> float:
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


class _Numerical(HyperParameter):
    def __init__(self, name, min_value, max_value, step, sampling, default, conditions, cast):
        super().__init__(name, default, conditions)
        if sampling not in SAMPLINGS:
            raise ValueError(
                f"{self.kind} '{name}': sampling must be one of {', '.join(SAMPLINGS)}, "
                f"got {sampling!r}"
            )
        self.min_value, self.max_value = cast(min_value), cast(max_value)
        if not self.min_value <= self.max_value:
            raise ValueError(
                f"{self.kind} '{name}': min_value {min_value} is larger than max_value {max_value}"
            )
        if sampling != "linear" and self.min_value <= 0:
            raise ValueError(
                f"{self.kind} '{name}': sampling={sampling!r} needs min_value > 0, got {min_value}"
            )
        if step is not None:
            step = cast(step)
            if step <= 0 or (sampling != "linear" and step <= 1):
                need = "> 0" if sampling == "linear" else "> 1 (a factor between values)"
                raise ValueError(f"{self.kind} '{name}': step must be {need}, got {step}")
        self.step, self.sampling = step, sampling
        if default is not None and not self.min_value <= default <= self.max_value:
            raise ValueError(
                f"{self.kind} '{name}': default {default} is outside "
                f"[{self.min_value}, {self.max_value}]"
            )

    @property
    def default(self) -> Any:
        """The given default, else min_value (as KerasTuner)."""
        return self.min_value if self._default is None else self._default

    def _n_steps(self) -> int:
        if self.sampling == "linear":
            return int((self.max_value - self.min_value) / self.step + 1e-9) + 1
        return int(math.log(self.max_value / self.min_value, self.step) + 1e-9) + 1

    def _continuous(self, prob: float, top: float) -> float:
        lo = self.min_value
        if self.sampling == "linear":
            return lo + prob * (top - lo)
        if self.sampling == "log":
            return lo * math.pow(top / lo, prob)
        return top + lo - lo * math.pow(top / lo, 1 - prob)

    def _continuous_prob(self, value: float, top: float) -> float:
        lo = self.min_value
        if top == lo:
            return 0.5
        if self.sampling == "linear":
            return (value - lo) / (top - lo)
        if self.sampling == "log":
            return math.log(value / lo) / math.log(top / lo)
        return 1.0 - math.log((top + lo - value) / lo) / math.log(top / lo)

    def _stepped(self, prob: float) -> float:
        index = _prob_to_index(prob, self._n_steps())
        if self.sampling == "linear":
            return self.min_value + index * self.step
        if self.sampling == "log":
            return self.min_value * self.step**index
        return self.max_value + self.min_value - self.min_value * self.step**index

    def _stepped_prob(self, value: float) -> float:
        lo = self.min_value
        if self.sampling == "linear":
            index = round((value - lo) / self.step)
        elif self.sampling == "log":
            index = round(math.log(value / lo, self.step))
        else:
            index = round(math.log((self.max_value - value + lo) / lo, self.step))
        return _index_to_prob(index, self._n_steps())

    def get_config(self) -> dict:
        """The JSON-ready description (min_value, max_value, step, sampling, default, conditions).

        Returns:
            A dict, `from_config`'s input.
        """
        return {
            **super().get_config(),
            "min_value": self.min_value,
            "max_value": self.max_value,
            "step": self.step,
            "sampling": self.sampling,
        }


class Int(_Numerical):
    """An integer in [min_value, max_value], both included (KerasTuner's `hp.Int`).

    Args:
        name: Unique name.
        min_value: Smallest value.
        max_value: Largest value (included).
        step: Distance between values (linear) or factor between them (log); None: any integer.
        sampling: "linear", "log" or "reverse_log".
        default: Default value (None: min_value).
        conditions: Activation conditions (see HyperParameter).

    Raises:
        ValueError: min_value > max_value, an unknown sampling, a bad step or default.
    """

    kind = "Int"

    def __init__(self, name, min_value, max_value, step=None, sampling="linear", default=None,
                 conditions=None):  # fmt: skip
        for arg, v in (("min_value", min_value), ("max_value", max_value), ("step", step)):
            if v is not None and (isinstance(v, bool) or int(v) != v):
                raise ValueError(f"Int '{name}': {arg} must be an integer, got {v!r}")
        if step is None and sampling == "linear":
            step = 1
        super().__init__(name, min_value, max_value, step, sampling, default, conditions, int)

    def prob_to_value(self, prob: float) -> int:
        """The integer at cumulative probability `prob`.

        Args:
            prob: A float in [0, 1).

        Returns:
            An int in [min_value, max_value].
        """
        if self.step is None:
            return min(int(self._continuous(prob, self.max_value + 1)), self.max_value)
        return round(self._stepped(prob))

    def value_to_prob(self, value: int) -> float:
        """The cumulative probability of `value` (the middle of its bucket).

        Args:
            value: An int of this hyperparameter.

        Returns:
            A float in [0, 1).
        """
        if self.step is None:
            return self._continuous_prob(value + 0.5, self.max_value + 1)
        return self._stepped_prob(value)

    @property
    def values(self) -> list[int]:
        """Every value (the grid); 10 spread values when a log range has no step, as KerasTuner."""
        if self.step is None:
            return sorted({self.prob_to_value(i / 9 * 0.999999) for i in range(10)})
        return sorted({self.prob_to_value(_index_to_prob(i, self._n_steps()))
                       for i in range(self._n_steps())})  # fmt: skip


class Float(_Numerical):
    """A float in [min_value, max_value] (KerasTuner's `hp.Float`).

    Args:
        name: Unique name.
        min_value: Smallest value.
        max_value: Largest value.
        step: Distance (linear) or factor (log) between values; None: any float in the range.
        sampling: "linear", "log" or "reverse_log".
        default: Default value (None: min_value).
        conditions: Activation conditions (see HyperParameter).

    Raises:
        ValueError: min_value > max_value, an unknown sampling, a bad step or default.
    """

    kind = "Float"

    def __init__(self, name, min_value, max_value, step=None, sampling="linear", default=None,
                 conditions=None):  # fmt: skip
        super().__init__(name, min_value, max_value, step, sampling, default, conditions, float)

    def prob_to_value(self, prob: float) -> float:
        """The float at cumulative probability `prob`.

        Args:
            prob: A float in [0, 1].

        Returns:
            A float in [min_value, max_value].
        """
        if self.step is None:
            return float(self._continuous(prob, self.max_value))
        return float(self._stepped(prob))

    def value_to_prob(self, value: float) -> float:
        """The cumulative probability of `value`.

        Args:
            value: A float in the range.

        Returns:
            A float in [0, 1].
        """
        if self.step is None:
            return self._continuous_prob(value, self.max_value)
        return self._stepped_prob(value)

    @property
    def values(self) -> list[float]:
        """The grid: every step when there is one, else 10 values from min_value to max_value."""
        if self.step is None:
            return [self.prob_to_value(i / 9) for i in range(10)]
        n = self._n_steps()
        return [self.prob_to_value(_index_to_prob(i, n)) for i in range(n)]


class Choice(HyperParameter):
    """One of a list of values of one type: int, float, str or bool (KerasTuner's `hp.Choice`).

    Args:
        name: Unique name.
        values: The non-empty list of candidates.
        ordered: Whether the values are ordered (default: True for numbers).
        default: Default value (None: the first value).
        conditions: Activation conditions (see HyperParameter).

    Raises:
        ValueError: empty values, mixed types, or a default that is not among them.
    """

    kind = "Choice"

    def __init__(self, name, values, ordered=None, default=None, conditions=None) -> None:
        super().__init__(name, default, conditions)
        values = list(values) if values is not None else []
        if not values:
            raise ValueError(f"Choice '{name}': values must be a non-empty list")
        kinds = {type(v) for v in values}
        if not (kinds <= {int, float} or len(kinds) == 1) or not kinds <= {int, float, str, bool}:
            raise ValueError(
                f"Choice '{name}': values must all be int/float, all str or all bool, got "
                f"{sorted(k.__name__ for k in kinds)}"
            )
        if kinds == {int, float}:
            values = [float(v) for v in values]
        if default is not None and default not in values:
            raise ValueError(f"Choice '{name}': default {default!r} is not one of {values}")
        self.values = values
        numeric = kinds <= {int, float} and bool not in kinds
        self.ordered = numeric if ordered is None else bool(ordered)

    @property
    def default(self) -> Any:
        """The given default, else the first value."""
        return self.values[0] if self._default is None else self._default

    def prob_to_value(self, prob: float) -> Any:
        """The value whose bucket holds `prob`.

        Args:
            prob: A float in [0, 1).

        Returns:
            One of `values`.
        """
        return self.values[_prob_to_index(prob, len(self.values))]

    def value_to_prob(self, value: Any) -> float:
        """The middle of `value`'s bucket.

        Args:
            value: One of `values`.

        Returns:
            A float in (0, 1).
        """
        return _index_to_prob(self.values.index(value), len(self.values))

    def get_config(self) -> dict:
        """The JSON-ready description (values, ordered, default, conditions).

        Returns:
            A dict, `from_config`'s input.
        """
        return {**super().get_config(), "values": list(self.values), "ordered": self.ordered}


class Boolean(Choice):
    """True or False (KerasTuner's `hp.Boolean`).

    Args:
        name: Unique name.
        default: Default value (False unless given).
        conditions: Activation conditions (see HyperParameter).

    Raises:
        ValueError: a default that is not a bool.
    """

    kind = "Boolean"

    def __init__(self, name, default=False, conditions=None) -> None:
        if not isinstance(default, bool):
            raise TypeError(f"Boolean '{name}': default must be True or False, got {default!r}")
        super().__init__(name, [False, True], ordered=False, default=default,
                         conditions=conditions)  # fmt: skip

    def get_config(self) -> dict:
        """The JSON-ready description (default, conditions).

        Returns:
            A dict, `from_config`'s input.
        """
        return HyperParameter.get_config(self)


class Fixed(HyperParameter):
    """A value that is not searched, recorded with the trial (KerasTuner's `hp.Fixed`).

    Args:
        name: Unique name.
        value: The value (int, float, str or bool).
        conditions: Activation conditions (see HyperParameter).

    Raises:
        ValueError: a value of another type.
    """

    kind = "Fixed"

    def __init__(self, name, value, conditions=None) -> None:
        if not isinstance(value, (int, float, str, bool)):
            raise TypeError(
                f"Fixed '{name}': value must be an int, float, str or bool, got {value!r}"
            )
        super().__init__(name, value, conditions)
        self.value = value
        self.values = [value]

    def prob_to_value(self, prob: float) -> Any:
        """The value, whatever `prob`.

        Args:
            prob: Ignored by design: a Fixed hyperparameter has one value.

        Returns:
            The value.
        """
        return self.value

    def value_to_prob(self, value: Any) -> float:
        """0.5, the middle of the single bucket.

        Args:
            value: The value.

        Returns:
            0.5.
        """
        return 0.5

    def get_config(self) -> dict:
        """The JSON-ready description (value, conditions).

        Returns:
            A dict, `from_config`'s input.
        """
        return {"value": self.value, "conditions": [list(c) for c in self.conditions]}


KINDS = {k.kind: k for k in (Int, Float, Choice, Boolean, Fixed)}


def from_config(kind: str, name: str, config: dict) -> HyperParameter:
    """Rebuild a hyperparameter from `get_config()` output.

    Args:
        kind: The class name ("Int", "Float", ...).
        name: Its name.
        config: What its get_config returned.

    Returns:
        The hyperparameter.

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown hyperparameter kind {kind!r}; known: {', '.join(KINDS)}")
    return KINDS[kind](name, **config)
