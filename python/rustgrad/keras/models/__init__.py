"""keras.models: Model (the base; `Model(inputs, outputs)` is a functional model) and Sequential.

model.py holds what every model shares, functional.py the graph built from KerasTensors (graph.py
traces it and lays it out for the core), sequential.py the chain case.
"""

from __future__ import annotations

from rustgrad.keras.models.cloning import clone_model, load_model, model_from_json, save_model
from rustgrad.keras.models.functional import Functional
from rustgrad.keras.models.model import Model
from rustgrad.keras.models.sequential import Sequential

__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]
