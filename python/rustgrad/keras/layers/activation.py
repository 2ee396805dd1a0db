"""Keras' activation layers: Softmax, ReLU, LeakyReLU, ELU (Rust ops, no weights) and PReLU (a
learned slope), as thin Python halves of Rust layers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras.layers.base import Layer
from rustgrad.keras.layers.variables import named_weight
from rustgrad.keras.layers.weight_options import WeightOptions

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


def _number(layer: str, what: str, v: Any, lo: float | None = 0.0) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{layer}: {what} must be a number, got {v!r}") from None
    if not math.isfinite(f) or (lo is not None and f < lo):
        bound = "finite" if lo is None else f"a finite number >= {lo:g}"
        raise ValueError(f"{layer}: {what} must be {bound}, got {v!r}")
    return f


class Softmax(Layer):
    """softmax(x) along `axis` (log-sum-exp stable); a final Softmax folds into cross-entropy.

    As keras.layers.Softmax.

    Args:
        axis: one axis (a tuple of axes is refused).
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        NotImplementedError: for a tuple of axes.
        ValueError: (at build) when axis is out of range.
    """

    def __init__(self, axis: int = -1, **kwargs):
        if isinstance(axis, (list, tuple)):
            raise NotImplementedError("Softmax: a tuple of axes is not supported; pass one int")
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _make_core(self, input_shape: tuple) -> Any:
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(
                f"Softmax layer '{self.name}': axis {self.axis} is out of range for input shape "
                f"{input_shape}"
            )
        return _core.Layer.softmax(self.axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class ReLU(Layer):
    """max_value if x >= max_value, x if threshold < x < max_value, else negative_slope·(x − threshold).

    As keras.layers.ReLU.

    Args:
        max_value: None, or the upper bound (>= 0).
        negative_slope: the slope below the threshold (>= 0).
        threshold: where the slope changes.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when a value is not a number or out of range.
    """

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else _number("ReLU", "max_value", max_value)
        self.negative_slope = _number("ReLU", "negative_slope", negative_slope)
        self.threshold = _number("ReLU", "threshold", threshold, lo=None)

    def _make_core(self, input_shape: tuple) -> Any:
        return _core.Layer.relu(self.max_value, self.negative_slope, self.threshold)

    def get_config(self) -> dict:
        keys = ("max_value", "negative_slope", "threshold")
        return {**super().get_config(), **{k: getattr(self, k) for k in keys}}


class LeakyReLU(Layer):
    """x for x >= 0, negative_slope·x below (Keras 3 default 0.3; tf.keras 2's `alpha` accepted).

    As keras.layers.LeakyReLU.

    Args:
        negative_slope: the slope below 0 (>= 0); tf.keras 2's `alpha=` is read too.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when negative_slope is not a number or negative.
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _number("LeakyReLU", "negative_slope", negative_slope)

    def _make_core(self, input_shape: tuple) -> Any:
        return _core.Layer.relu(None, self.negative_slope, 0.0)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """x for x > 0, alpha·(exp(x) − 1) below.

    As keras.layers.ELU.

    Args:
        alpha: the scale of the negative part.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when alpha is not a number.
    """

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _number("ELU", "alpha", alpha, lo=None)

    def _make_core(self, input_shape: tuple) -> Any:
        return _core.Layer.elu(self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """relu(x) + alpha·min(x, 0) with `alpha` learned, one per input value (shared over
    `shared_axes`, 1-based as in Keras); alpha starts at zeros.

    As keras.layers.PReLU.

    Args:
        alpha_initializer: an initializer name or object for alpha.
        alpha_regularizer: an l1/l2 regularizer of alpha, or None.
        alpha_constraint: a constraint on alpha, or None.
        shared_axes: axes (1-based) along which one alpha is shared, or None.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: (at build) when a shared axis is out of range or an axis is unknown.
    """

    _weight_spec = (("alpha", "zeros"),)

    _param_names = ("alpha",)
    alpha = named_weight("alpha")

    def __init__(
        self,
        alpha_initializer: Any = "zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: Any = None,
        **kwargs,
    ):
        kwargs.update(
            alpha_initializer=alpha_initializer,
            alpha_regularizer=alpha_regularizer,
            alpha_constraint=alpha_constraint,
        )
        self._weight_options = WeightOptions("PReLU", kwargs, weights=self._weight_spec)
        super().__init__(**kwargs)
        if shared_axes is None:
            shared_axes = []
        elif isinstance(shared_axes, (int, np.integer)):
            shared_axes = [shared_axes]
        self.shared_axes = [int(a) for a in shared_axes]

    def _make_core(self, input_shape: tuple) -> Any:
        shape = list(input_shape[1:])
        for a in self.shared_axes:
            if not 1 <= a <= len(shape):
                raise ValueError(
                    f"PReLU layer '{self.name}': shared axis {a} is out of range for input "
                    f"shape {input_shape}"
                )
            shape[a - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(
                f"PReLU layer '{self.name}': input shape {input_shape} has an unknown axis; "
                "share it with shared_axes"
            )
        # Zeros (the default); apply() writes any other initializer's values.
        core = _core.Layer.prelu(np.zeros(tuple(shape), np.float32))
        return self._weight_options.apply(core)

    @property
    def alpha_initializer(self) -> Any:
        """The initializer of alpha."""
        return self._weight_options.initializer("alpha")

    @property
    def alpha_regularizer(self) -> Any:
        """The regularizer of alpha, or None."""
        return self._weight_options.regs["alpha_regularizer"]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            **self._weight_options.config(activity_key=False),
            "shared_axes": self.shared_axes or None,
        }
