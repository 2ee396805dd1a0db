"""Keras callbacks: hooks into fit for stopping early, checkpoints, learning rates and logs."""

from __future__ import annotations

from rustgrad.keras.callbacks.base import Callback, CallbackList, History
from rustgrad.keras.callbacks.monitor import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from rustgrad.keras.callbacks.progress import ProgbarLogger
from rustgrad.keras.callbacks.simple import (
    CSVLogger,
    LambdaCallback,
    LearningRateScheduler,
    TerminateOnNaN,
)

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]
