"""Nadam: Adam with Nesterov momentum and Keras' momentum schedule μₜ = β1·(1 − ½·0.96ᵗ).

m̂ = μₜ₊₁·m/(1 − μ₁⋯μₜ₊₁) + (1 − μₜ)·g/(1 − μ₁⋯μₜ); v̂ = v/(1 − β2ᵗ); w −= lr·m̂/(√v̂ + ε).
"""

from __future__ import annotations

from rustgrad.keras.optimizers._adam_like import AdamLike


class Nadam(AdamLike):
    """Nesterov Adam; Keras' defaults."""

    core_name = "nadam"
