"""keras.config (Keras 3): the backend's name, floatx / epsilon / image data format (the same
settings as keras.backend), and the switch that lets saved Lambda code load."""

from __future__ import annotations

from rustgrad.keras.backend import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from rustgrad.keras.saving import serialization

__all__ = [
    "backend",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]


def backend() -> str:
    """The name of the engine running the ops: "rustgrad" (Keras 3 says "tensorflow", "jax",
    "torch" or "numpy" for its own).

    Returns:
        str: "rustgrad".
    """
    return "rustgrad"


def enable_unsafe_deserialization() -> None:
    """Let every later load turn a saved Python lambda (a Lambda layer's function) back into code,
    as `safe_mode=False` does for one load; only for files from a source you trust."""
    serialization.allow_unsafe()
