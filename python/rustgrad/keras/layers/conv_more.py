"""Keras' Conv1D, MaxPooling1D, AveragePooling1D, UpSampling2D, ZeroPadding2D and Cropping2D: thin
Python halves of Rust layers (src/layers/spatial.rs), channels-last only."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras.layers.base import Layer
from rustgrad.keras.layers.conv import _pair, _spatial_out
from rustgrad.keras.layers.core import resolve_activation
from rustgrad.keras.layers.variables import named_weight
from rustgrad.keras.layers.weight_options import KERNEL_BIAS, WeightOptions

__all__ = [
    "AveragePooling1D",
    "Conv1D",
    "Cropping2D",
    "MaxPooling1D",
    "UpSampling2D",
    "ZeroPadding2D",
]


def _channels_last(data_format: Any, layer: str) -> None:
    if data_format not in (None, "channels_last"):
        raise NotImplementedError(
            f"{layer}: data_format={data_format!r} is not supported (only 'channels_last')"
        )


def _int(value: Any, what: str, layer: str) -> int:
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer}: {what} must be a positive integer, got {value!r}")
    return int(value)


def _padding_1d(padding: Any, layer: str) -> str:
    p = str(padding).lower()
    if p == "causal":
        raise NotImplementedError(f"{layer}: padding='causal' is not supported")
    if p not in ("valid", "same"):
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}")
    return p


def _rank(layer: Layer, input_shape: tuple, rank: int, what: str) -> None:
    if len(input_shape) != rank:
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}' needs {rank}-D input {what}, "
            f"got shape {input_shape}"
        )


def _length_out(layer: Layer, input_shape: tuple, k: int, s: int, d: int, padding: str) -> Any:
    _rank(layer, input_shape, 3, "(batch, steps, channels)")
    n = input_shape[1]
    if n is None:
        return None
    out = _spatial_out(n, k, s, d, padding)
    if out <= 0:
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}': input shape {input_shape} is too "
            f"short for a window of {(k - 1) * d + 1} steps with padding 'valid'"
        )
    return out


class Conv1D(Layer):
    """act(conv1d(x, kernel) + bias) on (batch, steps, channels); kernel (k, in, filters).

    As keras.layers.Conv1D.

    Args:
        filters: the number of output channels (a positive int).
        kernel_size: an int (or a one-element tuple).
        strides: an int.
        padding: "valid" or "same" ("causal" is refused).
        data_format: None or "channels_last"; anything else is refused.
        dilation_rate: an int (not with strides > 1).
        groups: only 1.
        activation: None (linear), an activation name or a keras.activations function.
        use_bias: whether to add a bias.
        **kwargs: ``kernel_`` and ``bias_`` initializer, regularizer (l1/l2) and constraint,
            activity_regularizer, and Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when a size is not positive or padding is unknown.
        NotImplementedError: for padding="causal", groups != 1 or another data_format.
    """

    _weight_spec = KERNEL_BIAS

    _param_names = ("kernel", "bias")
    kernel = named_weight("kernel")
    bias = named_weight("bias")

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: Any = None,
        dilation_rate: Any = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        **kwargs,
    ):
        self._weight_options = WeightOptions("Conv1D", kwargs)
        _channels_last(data_format, "Conv1D")
        if groups != 1:
            raise NotImplementedError(f"Conv1D: groups={groups!r} is not supported (only 1)")
        super().__init__(**kwargs)
        self.filters = _int(filters, "filters", "Conv1D")
        self.kernel_size = (_int(kernel_size, "kernel_size", "Conv1D"),)
        self.strides = (_int(strides, "strides", "Conv1D"),)
        self.dilation_rate = (_int(dilation_rate, "dilation_rate", "Conv1D"),)
        if self.strides[0] > 1 and self.dilation_rate[0] > 1:
            raise ValueError(
                f"Conv1D: strides={strides!r} and dilation_rate={dilation_rate!r} cannot both "
                "be greater than 1"
            )
        self.padding = _padding_1d(padding, "Conv1D")
        self.activation = resolve_activation(activation)
        self.use_bias = bool(use_bias)

    def _geom(self, input_shape: tuple) -> Any:
        k, s, d = self.kernel_size[0], self.strides[0], self.dilation_rate[0]
        return _length_out(self, input_shape, k, s, d, self.padding)

    def _make_core(self, input_shape: tuple) -> Any:
        self._geom(input_shape)
        core = _core.Layer.conv1d(
            int(input_shape[-1]),
            self.filters,
            self.kernel_size[0],
            self.strides[0],
            self.padding,
            self.dilation_rate[0],
            self.activation,
            self.use_bias,
        )
        return self._weight_options.apply(core)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self._geom(input_shape), self.filters)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": "channels_last",
            "dilation_rate": self.dilation_rate,
            "groups": 1,
            "activation": self.activation,
            "use_bias": self.use_bias,
            **self._weight_options.config(),
        }


class _Pooling1D(Layer):
    """The 1-D pooling layers' shared arguments (MaxPooling1D, AveragePooling1D).

    Args:
        pool_size: an int.
        strides: an int; None means pool_size.
        padding: "valid" or "same".
        data_format: None or "channels_last"; anything else is refused.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when a size is not positive or padding is unknown.
        NotImplementedError: for another data_format.
    """

    _average = False

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: Any = None,
        **kwargs,
    ):
        kind = type(self).__name__
        _channels_last(data_format, kind)
        super().__init__(**kwargs)
        self.pool_size = (_int(pool_size, "pool_size", kind),)
        self.strides = self.pool_size if strides is None else (_int(strides, "strides", kind),)
        self.padding = _padding_1d(padding, kind)

    def _make_core(self, input_shape: tuple) -> Any:
        _length_out(self, input_shape, self.pool_size[0], self.strides[0], 1, self.padding)
        return _core.Layer.pooling1d(
            self.pool_size[0], self.strides[0], self.padding, self._average
        )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        n = _length_out(self, input_shape, self.pool_size[0], self.strides[0], 1, self.padding)
        return (input_shape[0], n, input_shape[2])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": "channels_last",
        }


class MaxPooling1D(_Pooling1D):
    """Maximum over pool_size steps; strides default to pool_size."""


class AveragePooling1D(_Pooling1D):
    """Mean over pool_size steps ('same' padding is left out of the mean, as in Keras)."""

    _average = True


class UpSampling2D(Layer):
    """Nearest-neighbour upsampling: each pixel repeated size[0] times down and size[1] across.

    As keras.layers.UpSampling2D.

    Args:
        size: an int or a pair (rows, columns) of repeats.
        data_format: None or "channels_last"; anything else is refused.
        interpolation: only "nearest".
        **kw: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        NotImplementedError: for another interpolation or data_format.
    """

    def __init__(
        self, size: Any = (2, 2), data_format: Any = None, interpolation: str = "nearest", **kw
    ):
        _channels_last(data_format, "UpSampling2D")
        if interpolation != "nearest":
            raise NotImplementedError(
                f"UpSampling2D: interpolation={interpolation!r} is not supported (only 'nearest')"
            )
        super().__init__(**kw)
        self.size = _pair(size, "size", "UpSampling2D")
        self.interpolation = interpolation

    def _make_core(self, input_shape: tuple) -> Any:
        _rank(self, input_shape, 4, "(batch, height, width, channels)")
        return _core.Layer.up_sampling2d(list(self.size))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        _rank(self, input_shape, 4, "(batch, height, width, channels)")
        b, h, w, c = input_shape
        mul = lambda n, s: None if n is None else n * s
        return (b, mul(h, self.size[0]), mul(w, self.size[1]), c)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": "channels_last",
            "interpolation": self.interpolation,
        }


def _edges(value: Any, what: str, layer: str) -> tuple:
    """Keras' forms: an int, (sym_h, sym_w), or ((top, bottom), (left, right)); non-negative."""
    try:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            out = ((value, value), (value, value))
        else:
            a, b = value
            pair = lambda v: (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
            out = (pair(a), pair(b))
        out = tuple(tuple(int(v) for v in p) for p in out)
        if any(len(p) != 2 for p in out):
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(
            f"{layer}: {what} must be an int, a tuple of 2 ints or a tuple of 2 tuples of 2 "
            f"ints, got {value!r}"
        ) from None
    if any(v < 0 for p in out for v in p):
        raise ValueError(f"{layer}: {what} must not be negative, got {value!r}")
    return out


class ZeroPadding2D(Layer):
    """Rows and columns of zeros around each image: ((top, bottom), (left, right)).

    As keras.layers.ZeroPadding2D.

    Args:
        padding: an int, (rows, columns), or ((top, bottom), (left, right)); non-negative.
        data_format: None or "channels_last"; anything else is refused.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: for a negative or malformed padding.
    """

    def __init__(self, padding: Any = (1, 1), data_format: Any = None, **kwargs):
        _channels_last(data_format, "ZeroPadding2D")
        super().__init__(**kwargs)
        self.padding = _edges(padding, "padding", "ZeroPadding2D")

    def _make_core(self, input_shape: tuple) -> Any:
        _rank(self, input_shape, 4, "(batch, height, width, channels)")
        return _core.Layer.zero_padding2d([list(p) for p in self.padding])

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        _rank(self, input_shape, 4, "(batch, height, width, channels)")
        b, h, w, c = input_shape
        (t, bo), (le, r) = self.padding
        return (b, None if h is None else h + t + bo, None if w is None else w + le + r, c)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding, "data_format": "channels_last"}


class Cropping2D(Layer):
    """Rows and columns cut from each image's edges: ((top, bottom), (left, right)).

    As keras.layers.Cropping2D.

    Args:
        cropping: an int, (rows, columns), or ((top, bottom), (left, right)); non-negative.
        data_format: None or "channels_last"; anything else is refused.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: for a negative or malformed cropping, or one larger than the image.
    """

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: Any = None, **kwargs):
        _channels_last(data_format, "Cropping2D")
        super().__init__(**kwargs)
        self.cropping = _edges(cropping, "cropping", "Cropping2D")

    def _make_core(self, input_shape: tuple) -> Any:
        self.compute_output_shape(input_shape)
        return _core.Layer.cropping2d([list(p) for p in self.cropping])

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        _rank(self, input_shape, 4, "(batch, height, width, channels)")
        b, h, w, c = input_shape
        (t, bo), (le, r) = self.cropping
        out = [None if n is None else n - a - z for n, a, z in ((h, t, bo), (w, le, r))]
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f"Cropping2D layer '{self.name}': cropping {self.cropping} leaves nothing of "
                f"input shape {input_shape}"
            )
        return (b, out[0], out[1], c)

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self.cropping, "data_format": "channels_last"}
