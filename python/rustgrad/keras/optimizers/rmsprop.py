"""RMSprop: v = ρ·v + (1−ρ)·g²; step = lr·g/(√(v − mean_g²) + ε) when centered; optional momentum."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.optimizers import _checks
from rustgrad.keras.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop with Keras' defaults; the optimizer compile() uses when none is given.

    As keras.optimizers.RMSprop.

    Args:
        learning_rate: a number >= 0, a LearningRateSchedule, or a callable of the step.
        rho: the squared gradients' decay, in [0, 1].
        momentum: the momentum factor, in [0, 1].
        epsilon: added to the denominator (>= 0).
        centered: divide by the centred second moment (the gradient's variance).
        **kwargs: Optimizer's arguments (weight_decay, clipnorm, clipvalue, global_clipnorm,
            use_ema, ema_momentum, ema_overwrite_frequency, name).

    Raises:
        ValueError: when a number is out of its range.
    """

    core_name = "rmsprop"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = _checks.number(self, "rho", rho, 0, 1)
        self.momentum = _checks.number(self, "momentum", momentum, 0, 1)
        self.epsilon = _checks.number(self, "epsilon", epsilon, lo=0)
        self.centered = bool(centered)

    def core_kwargs(self) -> dict:
        return {
            **super().core_kwargs(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
