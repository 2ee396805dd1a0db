"""RMSprop: v = ρ·v + (1−ρ)·g²; step = lr·g/(√(v − mean_g²) + ε) when centered; optional momentum."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.optimizers import _checks
from rustgrad.keras.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop with Keras' defaults; the optimizer compile() uses when none is given."""

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
