"""rustgrad.keras: the tf.keras API (Sequential, Model, layers, losses, optimizers, ...) on the Rust engine."""

from __future__ import annotations

from rustgrad._core import Variable
from rustgrad.keras import (
    activations,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    saving,
    utils,
)
from rustgrad.keras.layers import Input, Layer
from rustgrad.keras.losses import Loss
from rustgrad.keras.metrics import Metric
from rustgrad.keras.models import Model, Sequential
from rustgrad.keras.optimizers import Optimizer

__all__ = [
    "Input",
    "Layer",
    "Loss",
    "Metric",
    "Model",
    "Optimizer",
    "Sequential",
    "Variable",
    "activations",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "utils",
]
