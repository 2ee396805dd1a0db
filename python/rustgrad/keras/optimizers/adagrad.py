"""Adagrad: a += g²; w −= lr·g/(√a + ε), with a starting at initial_accumulator_value."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.optimizers import _checks
from rustgrad.keras.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad with Keras' defaults.

    As keras.optimizers.Adagrad.

    Args:
        learning_rate: a number >= 0, a LearningRateSchedule, or a callable of the step.
        initial_accumulator_value: the accumulators' starting value (>= 0).
        epsilon: added to the denominator (>= 0).
        **kwargs: Optimizer's arguments (weight_decay, clipnorm, clipvalue, global_clipnorm,
            use_ema, ema_momentum, ema_overwrite_frequency, name).

    Raises:
        ValueError: when a number is out of its range.
    """

    core_name = "adagrad"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = _checks.number(
            self, "initial_accumulator_value", initial_accumulator_value, lo=0
        )
        self.epsilon = _checks.number(self, "epsilon", epsilon, lo=0)

    def core_kwargs(self) -> dict:
        return {
            **super().core_kwargs(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
