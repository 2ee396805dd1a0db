"""Adadelta: a = ρ·a + (1−ρ)·g²; Δ = −√(d + ε)/√(a + ε)·g; d = ρ·d + (1−ρ)·Δ²; w += lr·Δ."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.optimizers import _checks
from rustgrad.keras.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta with Keras' defaults (use learning_rate=1.0 for the paper's form).

    As keras.optimizers.Adadelta.

    Args:
        learning_rate: a number >= 0, a LearningRateSchedule, or a callable of the step.
        rho: the decay rate, in [0, 1].
        epsilon: added inside the square roots (>= 0).
        **kwargs: Optimizer's arguments (weight_decay, clipnorm, clipvalue, global_clipnorm,
            use_ema, ema_momentum, ema_overwrite_frequency, name).

    Raises:
        ValueError: when a number is out of its range.
    """

    core_name = "adadelta"

    def __init__(
        self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = _checks.number(self, "rho", rho, 0, 1)
        self.epsilon = _checks.number(self, "epsilon", epsilon, lo=0)

    def core_kwargs(self) -> dict:
        return {**super().core_kwargs(), "rho": self.rho, "epsilon": self.epsilon}
