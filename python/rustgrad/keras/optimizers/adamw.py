"""AdamW: Adam with decoupled weight decay, w −= lr·weight_decay·w before the Adam step."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.optimizers.adam import Adam


class AdamW(Adam):
    """Adam plus decoupled weight decay (Keras' default 0.004).

    As keras.optimizers.AdamW.

    Args:
        learning_rate: a number >= 0, a LearningRateSchedule, or a callable of the step.
        weight_decay: the decoupled decay factor (>= 0).
        **kwargs: Optimizer's arguments and Adam's (beta_1, beta_2, epsilon, amsgrad, clipnorm, clipvalue, global_clipnorm,
            use_ema, ema_momentum, ema_overwrite_frequency, name).

    Raises:
        ValueError: when a number is out of its range.
    """

    core_name = "adamw"

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)
