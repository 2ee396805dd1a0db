"""Process-wide distribution state, importable without mpi4py: the strategy whose scope is open,
and whether this process writes files (only the chief does once a multi-rank strategy exists)."""

from __future__ import annotations

from typing import Any

_scopes: list[Any] = []
_writer = True


def current() -> Any:
    """The strategy whose `scope()` is open, or None."""
    return _scopes[-1] if _scopes else None


def writes_files() -> bool:
    """False on every rank but the chief of a multi-rank strategy: its saves are no-ops."""
    return _writer


def set_writer(value: bool) -> None:
    global _writer
    _writer = value


def strategy_of(model: Any) -> Any:
    """The strategy `model` was compiled under, else the one whose scope is open, else None."""
    return model.__dict__.get("_strategy") or current()
