"""Learning-rate schedules with Keras' formulas, evaluated in Python once per step (step from 0)."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "CosineDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
]


class LearningRateSchedule:
    """A function of the step number giving the learning rate.

    As keras.optimizers.schedules.LearningRateSchedule: a subclass defines __call__(step) and
    get_config.
    """

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            dict: arguments from_config accepts.
        """
        return dict(vars(self))

    @classmethod
    def from_config(cls, config: dict) -> LearningRateSchedule:
        """A schedule from get_config's dict.

        Args:
            config: the constructor arguments.

        Returns:
            LearningRateSchedule: the new schedule.
        """
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


def _positive(value: float, name: str) -> float:
    if not float(value) > 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return float(value)


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate · decay_rate^(step / decay_steps); the exponent floored if staircase.

    As keras.optimizers.schedules.ExponentialDecay.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the steps per decay period (> 0).
        decay_rate: the decay factor.
        staircase: decay in whole periods (floor the exponent).
        name: the schedule's name (kept for get_config).

    Raises:
        ValueError: when decay_steps is not positive.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str | None = None,
    ):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive(decay_steps, "decay_steps")
        self.decay_rate, self.staircase, self.name = float(decay_rate), bool(staircase), name

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate**p


class InverseTimeDecay(LearningRateSchedule):
    """initial_learning_rate / (1 + decay_rate · step / decay_steps); the ratio floored if staircase.

    As keras.optimizers.schedules.InverseTimeDecay.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the steps per decay period (> 0).
        decay_rate: the decay factor.
        staircase: decay in whole periods (floor the exponent).
        name: the schedule's name (kept for get_config).

    Raises:
        ValueError: when decay_steps is not positive.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str | None = None,
    ):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive(decay_steps, "decay_steps")
        self.decay_rate, self.staircase, self.name = float(decay_rate), bool(staircase), name

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[i] while step <= boundaries[i], then values[-1].

    As keras.optimizers.schedules.PiecewiseConstantDecay.

    Args:
        boundaries: increasing step numbers.
        values: the rates, one more than boundaries.
        name: the schedule's name (kept for get_config).

    Raises:
        ValueError: when the lengths do not fit or the boundaries are not increasing.
    """

    def __init__(
        self, boundaries: Sequence[float], values: Sequence[float], name: str | None = None
    ):
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"PiecewiseConstantDecay needs one more value than boundaries, got "
                f"{len(boundaries)} boundaries and {len(values)} values"
            )
        if list(boundaries) != sorted(boundaries):
            raise ValueError(f"boundaries must be increasing, got {list(boundaries)}")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def __call__(self, step: int) -> float:
        for b, v in zip(self.boundaries, self.values):
            if step <= b:
                return float(v)
        return float(self.values[-1])


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup to warmup_target, then a half cosine from it down to alpha times it.

    As keras.optimizers.schedules.CosineDecay.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the steps of the cosine decay (> 0).
        alpha: the final rate as a fraction of the top rate.
        name: the schedule's name (kept for get_config).
        warmup_target: None (no warmup), or the rate the warmup reaches.
        warmup_steps: the steps of the linear warmup.

    Raises:
        ValueError: when decay_steps is not positive.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str | None = None,
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive(decay_steps, "decay_steps")
        self.alpha, self.name = float(alpha), name
        self.warmup_target, self.warmup_steps = warmup_target, int(warmup_steps)

    def __call__(self, step: int) -> float:
        start = self.initial_learning_rate
        if self.warmup_target is None:
            top = start
        else:
            top = float(self.warmup_target)
            if step < self.warmup_steps:
                return start + (top - start) * step / self.warmup_steps
        s = min(max(step - self.warmup_steps, 0), self.decay_steps)
        cosine = 0.5 * (1.0 + math.cos(math.pi * s / self.decay_steps))
        return top * ((1.0 - self.alpha) * cosine + self.alpha)
