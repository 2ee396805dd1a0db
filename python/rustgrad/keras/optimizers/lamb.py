"""LAMB: Adam's bias-corrected step r = m̂/(√v̂ + ε), scaled per weight by the trust ratio ‖w‖/‖r‖."""

from __future__ import annotations

from rustgrad.keras.optimizers._adam_like import AdamLike


class Lamb(AdamLike):
    """Layer-wise adaptive moments; the ratio is 1 when either norm is 0. Keras' defaults."""

    core_name = "lamb"
