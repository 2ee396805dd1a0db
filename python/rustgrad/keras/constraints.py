"""keras.constraints: MaxNorm, NonNeg, UnitNorm, MinMaxNorm (Keras 3's formulas and defaults), their
lowercase aliases, and get / serialize / deserialize. A built-in constraint is projected in Rust
(src/layers/constraint.rs): on a built-in layer's weights by the train step after each update, and
through `constraint(w)` (a new Tensor) where Keras calls it, e.g. `optimizer.apply_gradients`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rustgrad import _core

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
]


class Constraint:
    """Base class: `constraint(w)` -> the projected weight. Subclass and override `__call__`
    (with Tensor ops); such a constraint makes fit run on the eager engine."""

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict:
        """The constructor arguments, as Keras saves them.

        Returns:
            dict: arguments from_config accepts.
        """
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Constraint:
        """A constraint from get_config's dict.

        Args:
            config: the constructor arguments.

        Returns:
            Constraint: the new constraint.
        """
        return cls(**config)

    def core_spec(self) -> tuple | None:
        """(name, numbers, axes) for the Rust projection, or None for a Python constraint."""
        return None


def _number(cls: str, what: str, v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{cls}: {what} must be a number, got {v!r}") from None
    if not (f >= 0.0 and math.isfinite(f)):
        raise ValueError(f"{cls}: {what} must be a finite number >= 0, got {v!r}")
    return f


def _axis(cls: str, axis: Any) -> Any:
    """Keras' `axis`: an int or a list of ints (the axes the norm is taken over)."""
    items = axis if isinstance(axis, (list, tuple)) else [axis]
    if not items or any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in items):
        raise ValueError(f"{cls}: axis must be an int or a list of ints, got {axis!r}")
    return [int(a) for a in items] if isinstance(axis, (list, tuple)) else int(axis)


def _axes(axis: Any) -> list[int]:
    return list(axis) if isinstance(axis, list) else [axis]


class _Builtin(Constraint):
    _core_name = ""

    def _numbers(self) -> list[float]:
        return []

    def core_spec(self) -> tuple:
        return (self._core_name, self._numbers(), _axes(getattr(self, "axis", 0)))

    def __call__(self, w: Any) -> Any:
        t = w if isinstance(w, _core.Tensor) else _core.tensor(np.asarray(w, dtype=np.float32))
        name, numbers, axes = self.core_spec()
        return t._constrained(name, numbers, axes if t.shape else [])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(_Builtin):
    """w · clip(‖w‖, 0, max_value) / (epsilon + ‖w‖), the norm over `axis` (0: each column of a
    Dense kernel; [0, 1, 2]: each filter of a Conv2D kernel).

    As keras.constraints.MaxNorm.

    Args:
        max_value: the largest norm allowed (finite, >= 0).
        axis: an int or a list of ints, the axes the norm is taken over.

    Raises:
        ValueError: for a negative max_value or a malformed axis.
    """

    _core_name = "max_norm"

    def __init__(self, max_value: float = 2, axis: Any = 0):
        self.max_value = max_value
        _number("MaxNorm", "max_value", max_value)
        self.axis = _axis("MaxNorm", axis)

    def _numbers(self) -> list[float]:
        return [float(self.max_value)]

    def get_config(self) -> dict:
        """{"max_value", "axis"}, Keras 3's keys."""
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(_Builtin):
    """max(w, 0)."""

    _core_name = "non_neg"

    def core_spec(self) -> tuple:
        return ("non_neg", [], [])


class UnitNorm(_Builtin):
    """w / (epsilon + ‖w‖), the norm over `axis`.

    As keras.constraints.UnitNorm.

    Args:
        axis: an int or a list of ints, the axes the norm is taken over.

    Raises:
        ValueError: for a malformed axis.
    """

    _core_name = "unit_norm"

    def __init__(self, axis: Any = 0):
        self.axis = _axis("UnitNorm", axis)

    def get_config(self) -> dict:
        """{"axis"}, Keras 3's key."""
        return {"axis": self.axis}


class MinMaxNorm(_Builtin):
    """w · (rate · clip(‖w‖, min_value, max_value) + (1 − rate) · ‖w‖) / (epsilon + ‖w‖).

    As keras.constraints.MinMaxNorm.

    Args:
        min_value: the smallest norm (>= 0).
        max_value: the largest norm (>= min_value).
        rate: how far to move towards the clipped norm, in [0, 1].
        axis: an int or a list of ints, the axes the norm is taken over.

    Raises:
        ValueError: when a value is negative, min_value > max_value or rate > 1.
    """

    _core_name = "min_max_norm"

    def __init__(
        self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Any = 0
    ):
        lo = _number("MinMaxNorm", "min_value", min_value)
        hi = _number("MinMaxNorm", "max_value", max_value)
        r = _number("MinMaxNorm", "rate", rate)
        if lo > hi:
            raise ValueError(
                f"MinMaxNorm: min_value must be <= max_value, got {min_value!r} > {max_value!r}"
            )
        if r > 1.0:
            raise ValueError(f"MinMaxNorm: rate must be in [0, 1], got {rate!r}")
        self.min_value, self.max_value, self.rate = min_value, max_value, rate
        self.axis = _axis("MinMaxNorm", axis)

    def _numbers(self) -> list[float]:
        return [float(self.min_value), float(self.max_value), float(self.rate)]

    def get_config(self) -> dict:
        """{"min_value", "max_value", "rate", "axis"}, Keras 3's keys."""
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_BY_NAME = {
    "max_norm": MaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm,
}
_BY_CLASS = {cls.__name__: cls for cls in _BY_NAME.values()}
_VALID = sorted(_BY_NAME) + sorted(_BY_CLASS)


def _unknown(identifier: Any) -> ValueError:
    return ValueError(f"unknown constraint {identifier!r}; valid names: {_VALID}")


def deserialize(config: Any, custom_objects: dict | None = None) -> Constraint:
    """A constraint from {'class_name': ..., 'config': {...}} (or a bare name).

    Args:
        config: the serialized form, or a name.
        custom_objects: a dict of extra classes by name, tried first.

    Returns:
        Constraint: the constraint.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or "class_name" not in config:
        raise _unknown(config)
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _BY_CLASS.get(name) or _BY_NAME.get(name)
    if cls is None:
        raise _unknown(name)
    return cls.from_config(config.get("config") or {})


def get(identifier: Any) -> Any:
    """None, a name ('max_norm', 'MaxNorm'), a config dict, a Constraint or a callable.

    Args:
        identifier: one of those; a Constraint, a callable or None is returned as it is.

    Returns:
        The constraint, or None.

    Raises:
        ValueError: for an unknown name.
    """
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Constraint):
        return identifier()
    if callable(identifier):
        return identifier
    raise _unknown(identifier)


def serialize(constraint: Any) -> Any:
    """Keras 3's form {"module", "class_name", "config", "registered_name"}, or None.

    Args:
        constraint: a Constraint, or None.

    Returns:
        dict | None: the serialized form.
    """
    if constraint is None:
        return None
    return {
        "module": "keras.constraints",
        "class_name": type(constraint).__name__,
        "config": constraint.get_config(),
        "registered_name": None,
    }


def core_spec(constraint: Any) -> tuple | None:
    """The Rust spelling of a built-in constraint; None for None or a Python one."""
    return constraint.core_spec() if isinstance(constraint, Constraint) else None


def runs_in_python(constraint: Any) -> bool:
    return constraint is not None and core_spec(constraint) is None
