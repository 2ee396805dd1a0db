"""SGD: v = momentum·v − lr·g; w += v (nesterov: w += momentum·v − lr·g); plain w −= lr·g at momentum 0."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.optimizers import _checks
from rustgrad.keras.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum; Keras' defaults.

    As keras.optimizers.SGD.

    Args:
        learning_rate: a number >= 0, a LearningRateSchedule, or a callable of the step.
        momentum: the momentum factor, in [0, 1].
        nesterov: use Nesterov momentum.
        **kwargs: Optimizer's arguments (weight_decay, clipnorm, clipvalue, global_clipnorm,
            use_ema, ema_momentum, ema_overwrite_frequency, name).

    Raises:
        ValueError: when a number is out of its range.
    """

    core_name = "sgd"

    def __init__(
        self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = _checks.number(self, "momentum", momentum, 0, 1)
        self.nesterov = bool(nesterov)

    def core_kwargs(self) -> dict:
        return {**super().core_kwargs(), "momentum": self.momentum, "nesterov": self.nesterov}
