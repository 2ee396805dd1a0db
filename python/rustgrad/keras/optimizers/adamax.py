"""Adamax: m = β1·m + (1−β1)·g; u = max(β2·u, ``|g|``); w −= lr/(1−β1ᵗ) · m/(u + ε)."""

from __future__ import annotations

from rustgrad.keras.optimizers._adam_like import AdamLike


class Adamax(AdamLike):
    """Adam with the infinity norm in place of v; Keras' defaults."""

    core_name = "adamax"
