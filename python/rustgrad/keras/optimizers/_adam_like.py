"""The (beta_1, beta_2, epsilon) settings that Adamax, Nadam and Lamb share with their checks."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.optimizers import _checks
from rustgrad.keras.optimizers.optimizer import Optimizer


class AdamLike(Optimizer):
    """An optimizer configured by two moment decay rates in [0, 1) and an epsilon >= 0.

    Args:
        learning_rate: a number >= 0, a LearningRateSchedule, or a callable of the step.
        beta_1: the first moments' decay, in [0, 1).
        beta_2: the second moments' decay, in [0, 1).
        epsilon: added to the denominator (>= 0).
        **kwargs: Optimizer's arguments (weight_decay, clipnorm, clipvalue, global_clipnorm,
            use_ema, ema_momentum, ema_overwrite_frequency, name).

    Raises:
        ValueError: when a number is out of its range.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = _checks.number(self, "beta_1", beta_1, 0, 1, hi_open=True)
        self.beta_2 = _checks.number(self, "beta_2", beta_2, 0, 1, hi_open=True)
        self.epsilon = _checks.number(self, "epsilon", epsilon, lo=0)

    def core_kwargs(self) -> dict:
        return {
            **super().core_kwargs(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
