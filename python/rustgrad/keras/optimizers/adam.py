"""Adam: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; w −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m/(√v + ε)."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.optimizers import _checks
from rustgrad.keras.optimizers.optimizer import Optimizer


class Adam(Optimizer):
    """Adam with Keras' defaults (epsilon 1e-7), optionally AMSGrad (max of past v).

    As keras.optimizers.Adam.

    Args:
        learning_rate: a number >= 0, a LearningRateSchedule, or a callable of the step.
        beta_1: the first moments' decay, in [0, 1].
        beta_2: the second moments' decay, in [0, 1].
        epsilon: added to the denominator (>= 0).
        amsgrad: use the maximum of past second moments (AMSGrad).
        **kwargs: Optimizer's arguments (weight_decay, clipnorm, clipvalue, global_clipnorm,
            use_ema, ema_momentum, ema_overwrite_frequency, name).

    Raises:
        ValueError: when a number is out of its range.
    """

    core_name = "adam"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = _checks.number(self, "beta_1", beta_1, 0, 1, hi_open=True)
        self.beta_2 = _checks.number(self, "beta_2", beta_2, 0, 1, hi_open=True)
        self.epsilon = _checks.number(self, "epsilon", epsilon, lo=0)
        self.amsgrad = bool(amsgrad)

    def core_kwargs(self) -> dict:
        return {
            **super().core_kwargs(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }
