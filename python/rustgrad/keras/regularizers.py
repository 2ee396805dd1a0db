"""keras.regularizers: L1, L2, L1L2 (Keras 3's defaults), their names and `get`. On Dense and
Conv2D the penalty is computed in Rust and added to the loss by the train step; on add_weight the
regularizer is called on the weight Tensor."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["L1", "L1L2", "L2", "Regularizer", "get", "l1", "l1_l2", "l2", "serialize"]


class Regularizer:
    """Base class: `reg(weight)` -> a scalar Tensor added to the training loss.

    As keras.regularizers.Regularizer; a subclass defines __call__(x). Built-in layers (Dense,
    Conv2D, ...) take only the L1/L2 family, computed in Rust; add_weight takes any.
    """

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __call__(x)")

    def get_config(self) -> dict:
        """The constructor arguments, as Keras saves them.

        Returns:
            dict: arguments from_config accepts.
        """
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Regularizer:
        """A regularizer from get_config's dict.

        Args:
            config: the constructor arguments.

        Returns:
            Regularizer: the new regularizer.
        """
        return cls(**config)


def _factor(cls: str, what: str, v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{cls}: {what} must be a number, got {v!r}") from None
    if not (f >= 0.0 and math.isfinite(f)):
        raise ValueError(f"{cls}: {what} must be a finite number >= 0, got {v!r}")
    return f


class L1L2(Regularizer):
    """l1 · Σ|x| + l2 · Σx², as keras.regularizers.L1L2.

    Args:
        l1: the L1 factor (finite, >= 0).
        l2: the L2 factor (finite, >= 0).

    Raises:
        ValueError: when a factor is negative, not finite or not a number.
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        name = type(self).__name__
        self.l1, self.l2 = _factor(name, "l1", l1), _factor(name, "l2", l2)

    def __call__(self, x: Any) -> Any:
        out = 0.0
        if self.l1:
            out = out + self.l1 * x.abs().sum()
        if self.l2:
            out = out + self.l2 * x.square().sum()
        return out if not isinstance(out, float) else x.sum() * 0.0

    def factors(self) -> tuple[float, float]:
        """(l1, l2), as the Rust layers take them."""
        return self.l1, self.l2

    def get_config(self) -> dict:
        """{"l1": ..., "l2": ...}, Keras 3's keys."""
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """l1 · Σ|x|, as keras.regularizers.L1.

    Args:
        l1: the factor (finite, >= 0).

    Raises:
        ValueError: when the factor is negative or not finite.
    """

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def get_config(self) -> dict:
        """{"l1": ...}, Keras 3's key."""
        return {"l1": self.l1}


class L2(L1L2):
    """l2 · Σx², as keras.regularizers.L2.

    Args:
        l2: the factor (finite, >= 0).

    Raises:
        ValueError: when the factor is negative or not finite.
    """

    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def get_config(self) -> dict:
        """{"l2": ...}, Keras 3's key."""
        return {"l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}
_BY_CLASS = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier: Any) -> Any:
    """None, a name ('l1', 'l2', 'l1_l2', 'L2'), a config dict, a Regularizer or a callable.

    Args:
        identifier: one of those; a Regularizer, a callable or None is returned as it is.

    Returns:
        The regularizer, or None.

    Raises:
        ValueError: for an unknown name or class.
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = _BY_CLASS.get(identifier["class_name"])
        if cls is None:
            raise ValueError(f"unknown regularizer {identifier['class_name']!r}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _BY_CLASS.get(identifier)
        if cls is None:
            raise ValueError(
                f"unknown regularizer {identifier!r}; valid names: ['l1', 'l2', 'l1_l2']"
            )
        return cls()
    if callable(identifier):
        return identifier
    raise ValueError(f"unknown regularizer {identifier!r}; valid names: ['l1', 'l2', 'l1_l2']")


def serialize(regularizer: Any) -> Any:
    """Keras 3's form {"module", "class_name", "config", "registered_name"}, or None.

    Args:
        regularizer: a Regularizer, or None.

    Returns:
        dict | None: the serialized form.
    """
    if regularizer is None:
        return None
    return {
        "module": "keras.regularizers",
        "class_name": type(regularizer).__name__,
        "config": regularizer.get_config(),
        "registered_name": None,
    }
