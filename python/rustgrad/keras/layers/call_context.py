"""Keras 3's training flag as a call context: a layer called without `training` inside another
layer's or model's call takes the outer call's value, so `self.dropout(x)` in a subclassed model's
`call` drops in fit and not in predict, as in Keras. Outside any call, None means inference."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_state = threading.local()


def resolve(training: Any) -> bool | None:
    """The training flag a call runs with: its own argument, else the enclosing call's."""
    if training is not None:
        return bool(training)
    return getattr(_state, "training", None)


@contextlib.contextmanager
def scope(training: bool | None) -> Iterator[None]:
    """Calls made inside see `training` as the enclosing call's flag."""
    outer = getattr(_state, "training", None)
    _state.training = outer if training is None else training
    try:
        yield
    finally:
        _state.training = outer
