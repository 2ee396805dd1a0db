"""FTRL-proximal (McMahan et al., 2013) with Keras' online L1/L2 and shrinkage-type L2.

n' = n + g²; z += g + 2λₛw − (n'^(−p) − n^(−p))/lr·w; w = (clip(z, ±λ₁) − z)/(n'^(−p)/lr + 2λ₂ + β/lr).
"""

from __future__ import annotations

from typing import Any

from rustgrad.keras.optimizers import _checks
from rustgrad.keras.optimizers.optimizer import Optimizer


class Ftrl(Optimizer):
    """Follow The Regularized Leader; Keras' defaults and argument checks.

    As keras.optimizers.Ftrl.

    Args:
        learning_rate: a number >= 0, a LearningRateSchedule, or a callable of the step.
        learning_rate_power: the power of the learning rate's decay (<= 0).
        initial_accumulator_value: the accumulators' starting value (>= 0).
        l1_regularization_strength: λ₁ (>= 0).
        l2_regularization_strength: λ₂ (>= 0).
        l2_shrinkage_regularization_strength: λₛ (>= 0).
        beta: β (>= 0).
        **kwargs: Optimizer's arguments (weight_decay, clipnorm, clipvalue, global_clipnorm,
            use_ema, ema_momentum, ema_overwrite_frequency, name).

    Raises:
        ValueError: when a number is out of its range.
    """

    core_name = "ftrl"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        n = _checks.number
        self.learning_rate_power = n(self, "learning_rate_power", learning_rate_power, hi=0)
        self.initial_accumulator_value = n(
            self, "initial_accumulator_value", initial_accumulator_value, lo=0
        )
        self.l1_regularization_strength = n(
            self, "l1_regularization_strength", l1_regularization_strength, lo=0
        )
        self.l2_regularization_strength = n(
            self, "l2_regularization_strength", l2_regularization_strength, lo=0
        )
        self.l2_shrinkage_regularization_strength = n(
            self,
            "l2_shrinkage_regularization_strength",
            l2_shrinkage_regularization_strength,
            lo=0,
        )
        self.beta = n(self, "beta", beta, lo=0)

    def core_kwargs(self) -> dict:
        keys = (
            "learning_rate_power",
            "initial_accumulator_value",
            "l1_regularization_strength",
            "l2_regularization_strength",
            "l2_shrinkage_regularization_strength",
            "beta",
        )
        return {**super().core_kwargs(), **{k: getattr(self, k) for k in keys}}
