"""The numerical hyperparameters, Int and Float, with KerasTuner's linear, log and reverse_log
sampling (a step is a distance for linear sampling and a factor for the log ones)."""

from __future__ import annotations

import math
from typing import Any

from rustgrad.tuner.hp_base import HyperParameter, index_to_prob, prob_to_index

SAMPLINGS = ("linear", "log", "reverse_log")


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
        index = prob_to_index(prob, self._n_steps())
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
        return index_to_prob(index, self._n_steps())

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
        return sorted({self.prob_to_value(index_to_prob(i, self._n_steps()))
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
        return [self.prob_to_value(index_to_prob(i, n)) for i in range(n)]
