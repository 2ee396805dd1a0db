"""Keras optimizers by class and by name; the update rules run in Rust, one file per optimizer here."""

from __future__ import annotations

from typing import Any

from rustgrad.keras._names import unknown_name
from rustgrad.keras.optimizers import schedules
from rustgrad.keras.optimizers.adadelta import Adadelta
from rustgrad.keras.optimizers.adagrad import Adagrad
from rustgrad.keras.optimizers.adam import Adam
from rustgrad.keras.optimizers.adamax import Adamax
from rustgrad.keras.optimizers.adamw import AdamW
from rustgrad.keras.optimizers.ftrl import Ftrl
from rustgrad.keras.optimizers.lamb import Lamb
from rustgrad.keras.optimizers.lion import Lion
from rustgrad.keras.optimizers.nadam import Nadam
from rustgrad.keras.optimizers.optimizer import Optimizer
from rustgrad.keras.optimizers.rmsprop import RMSprop
from rustgrad.keras.optimizers.sgd import SGD

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "get",
    "schedules",
]

_BY_NAME: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": AdamW,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "adamax": Adamax,
    "nadam": Nadam,
    "ftrl": Ftrl,
    "lion": Lion,
    "lamb": Lamb,
}


def get(identifier: Any) -> Optimizer:
    """An Optimizer from an instance, a class, or a name ('adam', 'SGD', 'rmsprop', ...).

    Args:
        identifier: an Optimizer instance or class, or a name.

    Returns:
        Optimizer: the optimizer (a new one with defaults for a name or class).

    Raises:
        ValueError: for an unknown name (the message lists the valid ones) or another type.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise unknown_name("optimizer", identifier, _BY_NAME)
        return cls()
    raise ValueError(f"Could not interpret optimizer {identifier!r}; use a name or an Optimizer")
