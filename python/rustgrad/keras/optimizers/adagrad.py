"""Adagrad: a += g²; w −= lr·g/(√a + ε), with a starting at initial_accumulator_value."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.optimizers import _checks
from rustgrad.keras.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad with Keras' defaults."""

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
