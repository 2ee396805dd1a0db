"""Lion: w −= lr·sign(β1·m + (1−β1)·g), then m = β2·m + (1−β2)·g."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.optimizers import _checks
from rustgrad.keras.optimizers.optimizer import Optimizer


class Lion(Optimizer):
    """The sign-momentum optimizer of Chen et al. (2023); Keras' defaults and its beta_1 check.

    As keras.optimizers.Lion.

    Args:
        learning_rate: a number >= 0, a LearningRateSchedule, or a callable of the step.
        beta_1: the interpolation factor, in (0, 1].
        beta_2: the momentum decay, in [0, 1].
        **kwargs: Optimizer's arguments (weight_decay, clipnorm, clipvalue, global_clipnorm,
            use_ema, ema_momentum, ema_overwrite_frequency, name).

    Raises:
        ValueError: when a number is out of its range.
    """

    core_name = "lion"

    def __init__(
        self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs
    ):
        kwargs.setdefault("name", "lion")
        super().__init__(learning_rate=learning_rate, **kwargs)
        # beta_1 = 0 degenerates to SignSGD, which Keras refuses too.
        self.beta_1 = _checks.number(self, "beta_1", beta_1, 0, 1, lo_open=True)
        self.beta_2 = _checks.number(self, "beta_2", beta_2, 0, 1)

    def core_kwargs(self) -> dict:
        return {**super().core_kwargs(), "beta_1": self.beta_1, "beta_2": self.beta_2}
