"""Keras callbacks: hooks into fit, evaluate and predict for stopping early, checkpoints and
backups, learning rates, logs and TensorBoard."""

from __future__ import annotations

from rustgrad.keras.callbacks.base import Callback, CallbackList, History
from rustgrad.keras.callbacks.checkpoint import BackupAndRestore, ModelCheckpoint
from rustgrad.keras.callbacks.monitor import EarlyStopping, ReduceLROnPlateau
from rustgrad.keras.callbacks.optuna_pruning import OptunaPruning
from rustgrad.keras.callbacks.progress import ProgbarLogger
from rustgrad.keras.callbacks.simple import (
    CSVLogger,
    LambdaCallback,
    LearningRateScheduler,
    TerminateOnNaN,
)
from rustgrad.keras.callbacks.tensorboard import TensorBoard

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "OptunaPruning",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]
