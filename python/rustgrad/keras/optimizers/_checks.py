"""Argument checks that name the optimizer and the value, and tf.keras 2's legacy `lr=`/`decay=`."""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any


def number(
    opt: Any,
    key: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """`value` as a float, refused unless finite and within [lo, hi] (ends open as asked)."""
    name = type(opt).__name__
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        and not hasattr(value, "__float__")
    ):
        raise TypeError(f"{name}: {key} must be a number, got {value!r}")
    v = float(value)
    ok = math.isfinite(v)
    ok = ok and (lo is None or (v > lo if lo_open else v >= lo))
    ok = ok and (hi is None or (v < hi if hi_open else v <= hi))
    if not ok:
        if lo is not None and hi is not None:
            what = f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        elif lo is not None:
            what = f"{'>' if lo_open else '>='} {lo:g}"
        elif hi is not None:
            what = f"{'<' if hi_open else '<='} {hi:g}"
        else:
            what = "finite"
        raise ValueError(f"{name}: {key} must be {what}, got {value}")
    return v


def overwrite_frequency(opt: Any, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"{type(opt).__name__}: ema_overwrite_frequency must be an integer >= 1 or None, "
            f"got {value!r}"
        )
    return int(value)


def warn_legacy(message: str) -> None:
    """A DeprecationWarning pointing at the user's line, outside rustgrad (as tf.keras did)."""
    level, frame = 1, sys._getframe(0)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("rustgrad"):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, DeprecationWarning, stacklevel=level)


class DecayedRate:
    """tf.keras 2's `decay=`: the rate (a number or a schedule) divided by 1 + decay·iterations.
    Callable, so the fit loop asks for every step's rate as it does for a schedule."""

    def __init__(self, base: Any, decay: float):
        self.base, self.decay = base, decay

    def __call__(self, step: int) -> float:
        rate = float(self.base(step)) if callable(self.base) else self.base
        return rate / (1.0 + self.decay * step)

    def __repr__(self) -> str:
        return f"DecayedRate({self.base!r}, decay={self.decay})"


class LearningRate(float):
    """`optimizer.learning_rate`: the rate as a float that also answers as Keras' rate Variable
    does, so that the callbacks of the TF 2 guides run: `.numpy()`, `.assign(v)` (sets the
    optimizer's rate), `shape` () for `keras.backend.get_value` / `set_value`.

    Args:
        value: the current rate.
        optimizer: the optimizer whose rate `assign` sets.
    """

    shape = ()
    dtype = "float32"

    def __new__(cls, value: float, optimizer: Any) -> Any:
        obj = super().__new__(cls, value)
        obj._optimizer = optimizer
        return obj

    def numpy(self) -> Any:
        """The rate as a NumPy float32 scalar."""
        import numpy as np

        return np.float32(self)

    def assign(self, value: Any) -> None:
        """Set the optimizer's rate (refused when it follows a schedule, as in Keras).

        Args:
            value: the new rate, a number >= 0 (or a 0-d array).
        """
        self._optimizer.learning_rate = float(value)
