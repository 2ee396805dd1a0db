"""Process-wide distribution state, importable without mpi4py: the strategy whose scope is open,
whether this process writes files (only the chief does once a multi-rank strategy exists), and
the gradient reducer a distributed fit sets around each call of an overridden train_step."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

_scopes: list[Any] = []
_writer = True
_step = threading.local()  # the fit thread's reducer, only while its train_step runs


def current() -> Any:
    """The strategy whose `scope()` is open, or None."""
    return _scopes[-1] if _scopes else None


def writes_files() -> bool:
    """False on every rank but the chief of a multi-rank strategy: its saves are no-ops."""
    return _writer


def set_writer(value: bool) -> None:
    """Whether this process writes files (MPIStrategy sets it False off the chief)."""
    global _writer
    _writer = value


def strategy_of(model: Any) -> Any:
    """The strategy `model` was compiled under, else the one whose scope is open, else None."""
    return model.__dict__.get("_strategy") or current()


@contextlib.contextmanager
def reducing(reducer: Callable[[list], list]) -> Iterator[None]:
    """While open, `reduce_gradients` on this thread hands its pairs to `reducer`.

    Args:
        reducer: takes and returns a list of (gradient, variable) pairs.
    """
    previous = getattr(_step, "reducer", None)
    _step.reducer = reducer
    try:
        yield
    finally:
        _step.reducer = previous


def reduce_gradients(pairs: list) -> list:
    """The (gradient, variable) pairs averaged across ranks when a distributed fit's train_step
    is running on this thread (Optimizer.apply_gradients calls this), else unchanged.

    Args:
        pairs: (gradient or None, variable) pairs.

    Returns:
        The pairs to apply.
    """
    reducer = getattr(_step, "reducer", None)
    return pairs if reducer is None else reducer(pairs)
