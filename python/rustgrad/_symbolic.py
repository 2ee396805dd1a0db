"""Ops that also take Keras' symbolic tensors: `symbolic_aware(fn)` calls `fn` on data as before,
and on KerasTensors (a functional model being built) records the op as a layer instead
(keras/layers/symbolic_ops.py). Kept outside rustgrad.keras, which registers its KerasTensor class
here when it loads, so that `import rustgrad` does not load Keras; until then nothing is symbolic."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

_TYPES: tuple = ()  # the symbolic tensor classes (keras.layers.node.KerasTensor once loaded)


def register(cls: type) -> None:
    """Count instances of `cls` as symbolic from now on."""
    global _TYPES
    if cls not in _TYPES:
        _TYPES = (*_TYPES, cls)


def _any(values: Any) -> bool:
    # Called on every op's arguments: kept to plain loops and isinstance checks (~0.2 µs).
    for v in values:
        if isinstance(v, _TYPES):
            return True
        if isinstance(v, (list, tuple)):
            if v and _any(v):
                return True
        elif isinstance(v, dict) and _any(v.values()):
            return True
    return False


def has_symbolic(value: Any) -> bool:
    """Whether `value` is a symbolic tensor or a list, tuple or dict holding one."""
    return bool(_TYPES) and _any((value,))


class SymbolicValue(TypeError):
    """Raised when a symbolic tensor is asked for values (its `__array__`): an op that meets one
    on the way in is recorded as a layer instead (see `symbolic_aware`)."""


def symbolic_aware(fn: Callable, name: str | None = None) -> Callable:
    """`fn`, which also takes KerasTensors: called on any, it records an op layer instead."""
    op = name or getattr(fn, "__name__", "op")

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # The op is tried first and KerasTensors are looked for only when it meets one: a
        # search of every call's arguments cost 1.3 µs per op, the try nothing.
        try:
            return fn(*args, **kwargs)
        except SymbolicValue:
            if not (_any(args) or _any(kwargs.values())):
                raise
        from rustgrad.keras.layers.symbolic_ops import op_layer

        return op_layer(fn, args, kwargs, op)

    wrapper._symbolic_aware = True  # type: ignore[attr-defined]
    return wrapper


def wrap_module(namespace: dict, names: Any = None) -> None:
    """Make a module's public functions symbolic-aware, in place: `names`, or else every public
    function defined in that module (not those it imports)."""
    if names is None:
        mod = namespace.get("__name__")
        names = [
            n
            for n, f in namespace.items()
            if not n.startswith("_") and getattr(f, "__module__", None) == mod
        ]
    for n in names:
        f = namespace.get(n)
        if callable(f) and not isinstance(f, type) and not getattr(f, "_symbolic_aware", False):
            namespace[n] = symbolic_aware(f, n)
