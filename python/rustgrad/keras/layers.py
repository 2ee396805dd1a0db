"""Keras layers (Dense, Flatten, Activation, Dropout, Input) as thin Python halves of Rust layers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras._names import unknown_name
from rustgrad.keras.activations import NAMES as ACTIVATIONS

__all__ = [
    "Activation",
    "AveragePooling2D",
    "BatchNormalization",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "GlobalAveragePooling2D",
    "Input",
    "InputLayer",
    "Layer",
    "MaxPooling2D",
    "Reshape",
    "SpatialDropout2D",
]

_name_counts: dict[str, int] = {}


def _auto_name(base: str) -> str:
    """Keras' naming: dense, dense_1, dense_2, ... per class, for the life of the process."""
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def _snake(cls_name: str) -> str:
    out = []
    for i, ch in enumerate(cls_name):
        # Keras: MaxPooling2D -> max_pooling2d (no break after a digit or another capital).
        if ch.isupper() and i and not cls_name[i - 1].isupper() and not cls_name[i - 1].isdigit():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def resolve_activation(activation: Any) -> str:
    """An activation given as None, a name or a function (e.g. rustgrad.relu) -> its name."""
    if activation is None:
        return "linear"
    name = activation if isinstance(activation, str) else getattr(activation, "__name__", None)
    if name not in ACTIVATIONS:
        raise unknown_name("activation", activation, ACTIVATIONS)
    return name


def _shape_tuple(shape: Any, what: str) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        out = tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"{what} must be a tuple of ints, got {shape!r}") from None
    if any(d <= 0 for d in out):
        raise ValueError(f"{what} must hold positive sizes, got {out}")
    return out


class Layer:
    """Base class: a name, an optional input shape, and a Rust layer built once shapes are known."""

    def __init__(
        self, name: str | None = None, input_shape: Any = None, input_dim: Any = None, **kwargs
    ):
        kwargs.pop("dtype", None)  # float32 is the only dtype; accepted for Keras compatibility
        kwargs.pop("trainable", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(kwargs)}")
        self.name = name or _auto_name(_snake(type(self).__name__))
        if input_dim is not None:
            input_shape = (input_dim,)
        self.input_shape_arg = (
            None if input_shape is None else _shape_tuple(input_shape, "input_shape")
        )
        self.core: Any = None
        self.input_shape: tuple | None = None
        self.output_shape: tuple | None = None

    @property
    def built(self) -> bool:
        return self.core is not None

    def build(self, input_shape: tuple) -> tuple:
        """Create the Rust layer for inputs of `input_shape` (batch axis None); return the output shape."""
        self.input_shape = tuple(input_shape)
        self.core = self._make_core(self.input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        return self.output_shape

    def _make_core(self, input_shape: tuple) -> Any:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    @property
    def trainable_weights(self) -> list:
        return self.core.params() if self.built else []

    @property
    def non_trainable_weights(self) -> list:
        """Weights the layer updates itself (BatchNormalization's moving statistics)."""
        return self.core.state() if self.built else []

    @property
    def weights(self) -> list:
        """Trainable then non-trainable weights, Keras' order (e.g. gamma, beta, moving mean, var)."""
        return self.trainable_weights + self.non_trainable_weights

    def count_params(self) -> int:
        return sum(int(np.prod(w.numpy().shape)) for w in self.weights)

    def get_weights(self) -> list[np.ndarray]:
        return [w.numpy().copy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Write `weights` into the layer in place; every shape is checked before anything is written."""
        targets = [w.numpy() for w in self.weights]
        if len(weights) != len(targets):
            raise ValueError(
                f"layer '{self.name}' expects {len(targets)} weight arrays "
                f"(shapes {[t.shape for t in targets]}), got {len(weights)}"
            )
        values = [np.asarray(v, dtype=np.float32) for v in weights]
        for t, v in zip(targets, values):
            if t.shape != v.shape:
                raise ValueError(
                    f"layer '{self.name}': weight shape {v.shape} does not match the layer's {t.shape}"
                )
        for t, v in zip(targets, values):
            np.copyto(t, v)

    def __call__(self, x: Any, training: bool = False) -> Any:
        if not self.built:
            shape = np.shape(x.numpy() if hasattr(x, "numpy") else x)
            self.build((None, *shape[1:]))
        return self.core(x, training=training)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class InputLayer(Layer):
    """The input's shape (without the batch axis); what `Input(shape=...)` puts first in a model."""

    def __init__(self, shape: Any = None, batch_size: Any = None, name: str | None = None, **kw):
        shape = kw.pop("input_shape", shape)
        if shape is None:
            raise ValueError("Input needs a shape, e.g. Input(shape=(784,))")
        super().__init__(name=name or _auto_name("input"), input_shape=shape, **kw)

    def _make_core(self, input_shape: tuple) -> Any:
        return None

    @property
    def built(self) -> bool:
        return self.input_shape is not None


def Input(shape: Any = None, batch_size: Any = None, name: str | None = None, **kw) -> InputLayer:
    """Keras' `Input(shape=...)`: declares the input shape for a Sequential model."""
    return InputLayer(shape=shape, batch_size=batch_size, name=name, **kw)


class Dense(Layer):
    """act(x @ kernel + bias) over the last axis of any-rank input; glorot-uniform kernel, zero
    bias; the activation fused in Rust."""

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True, **kwargs):
        for key in ("kernel_initializer", "bias_initializer"):
            init = kwargs.pop(key, None)
            if init not in (None, "glorot_uniform", "zeros"):
                raise ValueError(f"Dense: {key}={init!r} is not supported yet")
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = resolve_activation(activation)
        self.use_bias = bool(use_bias)

    def _make_core(self, input_shape: tuple) -> Any:
        # Any rank, as Keras: the kernel acts on the last axis, the others are batch axes.
        if len(input_shape) < 2:
            raise ValueError(
                f"Dense layer '{self.name}' needs input with a batch axis and a feature axis, "
                f"got shape {input_shape}"
            )
        return _core.Layer.dense(int(input_shape[-1]), self.units, self.activation, self.use_bias)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], self.units)


class Flatten(Layer):
    """Reshape each sample to one axis: (batch, d1, d2, ...) -> (batch, d1*d2*...)."""

    def _make_core(self, input_shape: tuple) -> Any:
        return _core.Layer.flatten()

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], math.prod(input_shape[1:]))


class Activation(Layer):
    """An activation on its own: Activation('relu')."""

    def __init__(self, activation: Any, **kwargs):
        super().__init__(**kwargs)
        self.activation = resolve_activation(activation)

    def _make_core(self, input_shape: tuple) -> Any:
        return _core.Layer.activation(self.activation)


class Dropout(Layer):
    """Inverted dropout: zero a `rate` fraction while training, scale the rest; identity at inference."""

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if noise_shape is not None:
            raise ValueError("Dropout: noise_shape is not supported")
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        # Without a seed, draw one from NumPy's global state so np.random.seed makes runs repeatable.
        self.seed = int(np.random.randint(0, 2**31 - 1)) if seed is None else int(seed)

    def _make_core(self, input_shape: tuple) -> Any:
        return _core.Layer.dropout(self.rate, self.seed)


# The convolutional layers live in their own module; they are part of this namespace, as in Keras.
from rustgrad.keras.layers_conv import (
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    GlobalAveragePooling2D,
    MaxPooling2D,
    Reshape,
    SpatialDropout2D,
)
