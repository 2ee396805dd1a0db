"""AdamW: Adam with decoupled weight decay, w −= lr·weight_decay·w before the Adam step."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.optimizers.adam import Adam


class AdamW(Adam):
    """Adam plus decoupled weight decay (Keras' default 0.004)."""

    core_name = "adamw"

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)
