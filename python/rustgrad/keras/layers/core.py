"""Keras' core layers (Dense, Flatten, Activation, Dropout) as thin Python halves of Rust layers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras._names import unknown_name
from rustgrad.keras.layers.base import Layer
from rustgrad.keras.layers.variables import named_weight
from rustgrad.keras.layers.weight_options import KERNEL_BIAS, WeightOptions

__all__ = ["ACTIVATIONS", "Activation", "Dense", "Dropout", "Flatten", "resolve_activation"]

from rustgrad.keras.activations import NAMES as ACTIVATIONS


class ActivationName(str):
    """A layer's activation: its name (what configs and the core take) that can also be called on
    a tensor and has `__name__`, as the function Keras keeps in `layer.activation`."""

    @property
    def __name__(self) -> str:  # type: ignore[override]
        return str(self)

    def __call__(self, x: Any) -> Any:
        """The activation applied to `x` (keras.activations.get(name)(x)).

        Args:
            x: a Tensor, or anything convert_to_tensor accepts.

        Returns:
            Tensor: the activated values.
        """
        from rustgrad.keras import activations

        return activations.get(str(self))(x)


def resolve_activation(activation: Any) -> str:
    """An activation given as None, a name or a function (e.g. rustgrad.relu) -> its name.

    Args:
        activation: None, a name, or a function whose __name__ is a known activation.

    Returns:
        str: the name ("linear" for None).

    Raises:
        ValueError: for an unknown activation (the message lists the valid ones).
    """
    if activation is None:
        return ActivationName("linear")
    name = activation if isinstance(activation, str) else getattr(activation, "__name__", None)
    if name not in ACTIVATIONS:
        raise unknown_name("activation", activation, ACTIVATIONS)
    return ActivationName(name)


class Dense(Layer):
    """act(x @ kernel + bias) over the last axis of any-rank input; glorot-uniform kernel, zero
    bias unless ``kernel_initializer``/``bias_initializer`` say otherwise; the activation fused in Rust.

    As keras.layers.Dense.

    Args:
        units: the output size (a positive int).
        activation: None (linear), an activation name or a keras.activations function.
        use_bias: whether to add a bias.
        **kwargs: ``kernel_``/``bias_`` initializer, regularizer (l1/l2) and constraint,
            activity_regularizer, and Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when units is not a positive int or the activation is unknown.
    """

    _weight_spec = KERNEL_BIAS

    _param_names = ("kernel", "bias")
    kernel = named_weight("kernel")
    bias = named_weight("bias")

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True, **kwargs):
        self._weight_options = WeightOptions("Dense", kwargs)
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
        core = _core.Layer.dense(int(input_shape[-1]), self.units, self.activation, self.use_bias)
        return self._weight_options.apply(core)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation,
            "use_bias": self.use_bias,
            **self._weight_options.config(activity_key=False),
            "quantization_config": None,
        }

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], self.units)


class Flatten(Layer):
    """Reshape each sample to one axis: (batch, d1, d2, ...) -> (batch, d1*d2*...).

    As keras.layers.Flatten (channels_last only).

    Args:
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).
    """

    def _make_core(self, input_shape: tuple) -> Any:
        return _core.Layer.flatten()

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": "channels_last"}

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))


class Activation(Layer):
    """An activation on its own: Activation('relu').

    As keras.layers.Activation.

    Args:
        activation: None (linear), an activation name or a keras.activations function.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when the activation is unknown.
    """

    def __init__(self, activation: Any, **kwargs):
        super().__init__(**kwargs)
        self.activation = resolve_activation(activation)

    def _make_core(self, input_shape: tuple) -> Any:
        return _core.Layer.activation(self.activation)

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": self.activation}


class Dropout(Layer):
    """Inverted dropout: zero a `rate` fraction while training, scale the rest; identity at inference.

    As keras.layers.Dropout.

    Args:
        rate: the fraction to drop, in [0, 1).
        noise_shape: only None (a broadcast mask is not supported).
        seed: an int for repeatable masks; None draws one from NumPy's global state.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when rate is outside [0, 1) or noise_shape is given.
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if noise_shape is not None:
            raise ValueError("Dropout: noise_shape is not supported")
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        # Without a seed, draw one from NumPy's global state so np.random.seed makes runs repeatable.
        self.seed = int(np.random.randint(0, 2**31 - 1)) if seed is None else int(seed)
        self._seed_arg = seed  # what get_config reports, as Keras (None: not seeded)

    def _make_core(self, input_shape: tuple) -> Any:
        return _core.Layer.dropout(self.rate, self.seed)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self._seed_arg,
            "noise_shape": None,
        }
