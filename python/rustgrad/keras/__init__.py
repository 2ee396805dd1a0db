"""rustgrad.keras: the tf.keras API (Sequential, layers, losses, optimizers, ...) on the Rust engine."""

from __future__ import annotations

from rustgrad.keras import (
    activations,
    callbacks,
    datasets,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    utils,
)
from rustgrad.keras.layers import Input
from rustgrad.keras.models import Sequential

__all__ = [
    "Input",
    "Sequential",
    "activations",
    "callbacks",
    "datasets",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "utils",
]
