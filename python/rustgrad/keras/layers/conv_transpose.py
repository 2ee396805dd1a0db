"""Keras' Conv2DTranspose as the thin Python half of a Rust layer (src/layers/conv_transpose.rs),
channels-last only; its output lengths follow keras' compute_conv_transpose_output_shape."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras.layers.base import Layer
from rustgrad.keras.layers.conv import _check_4d, _padding, _pair
from rustgrad.keras.layers.conv_more import _channels_last
from rustgrad.keras.layers.core import resolve_activation
from rustgrad.keras.layers.variables import named_weight
from rustgrad.keras.layers.weight_options import KERNEL_BIAS, WeightOptions

__all__ = ["Conv2DTranspose", "transpose_output_length"]


def transpose_output_length(
    size: Any, k: int, s: int, d: int, padding: str, output_padding: int | None
) -> Any:
    """Keras' output length of one axis of a transposed convolution (None stays None)."""
    if size is None:
        return None
    eff = (k - 1) * d + 1
    if padding == "valid":
        extra = max(eff, s) - eff if output_padding is None else output_padding
        return (size - 1) * s + eff + extra
    if output_padding is None:
        return size * s
    return (size - 1) * s + eff % 2 + output_padding


def _output_padding(value: Any, strides: tuple, layer: str) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    try:
        a, b = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{layer}: output_padding must be None, an int or a tuple of 2 ints, got {value!r}"
        ) from None
    if a < 0 or b < 0:
        raise ValueError(f"{layer}: output_padding must not be negative, got {value!r}")
    if a >= strides[0] or b >= strides[1]:
        raise ValueError(
            f"{layer}: output_padding must be smaller than strides, got output_padding="
            f"{(a, b)} with strides={strides}"
        )
    return a, b


class Conv2DTranspose(Layer):
    """act(conv2d_transpose(x, kernel) + bias) on (batch, h, w, channels): the input gradient of
    a Conv2D, used to upsample; kernel (kh, kw, filters, in_channels), as in Keras.

    As keras.layers.Conv2DTranspose.

    Args:
        filters: the number of output channels (a positive int).
        kernel_size: an int or a pair (height, width).
        strides: an int or a pair.
        padding: "valid" or "same".
        output_padding: None (Keras' default lengths), or an int or pair below the strides.
        data_format: None or "channels_last"; anything else is refused.
        dilation_rate: an int or a pair (not with strides > 1).
        activation: None (linear), an activation name or a keras.activations function.
        use_bias: whether to add a bias.
        **kwargs: ``kernel_`` and ``bias_`` initializer, regularizer (l1/l2) and constraint,
            activity_regularizer, and Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when a size is not positive, padding is unknown, or strides and
            dilation_rate are both above 1.
        NotImplementedError: when data_format is not channels_last.
    """

    _weight_spec = KERNEL_BIAS

    _param_names = ("kernel", "bias")
    kernel = named_weight("kernel")
    bias = named_weight("bias")

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        output_padding: Any = None,
        data_format: Any = None,
        dilation_rate: Any = (1, 1),
        activation: Any = None,
        use_bias: bool = True,
        **kwargs,
    ):
        name = "Conv2DTranspose"
        _channels_last(data_format, name)
        self._weight_options = WeightOptions(name, kwargs)
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(f"{name}: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size", name)
        self.strides = _pair(strides, "strides", name)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", name)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{name}: strides > 1 is not supported with dilation_rate > 1 (as in Keras), got "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}"
            )
        self.padding = _padding(padding, name)
        self.output_padding = _output_padding(output_padding, self.strides, name)
        self.activation = resolve_activation(activation)
        self.use_bias = bool(use_bias)

    def _out_hw(self, input_shape: tuple) -> tuple:
        _check_4d(self, input_shape)
        op = self.output_padding or (None, None)
        hw = tuple(
            transpose_output_length(
                input_shape[i + 1],
                self.kernel_size[i],
                self.strides[i],
                self.dilation_rate[i],
                self.padding,
                op[i],
            )
            for i in range(2)
        )
        if any(n is not None and n <= 0 for n in hw):
            raise ValueError(
                f"Conv2DTranspose layer '{self.name}': input shape {input_shape} with kernel "
                f"{self.kernel_size} and output_padding {self.output_padding} gives an empty "
                f"output {hw}"
            )
        return hw

    def _make_core(self, input_shape: tuple) -> Any:
        self._out_hw(input_shape)
        core = _core.Layer.conv2d_transpose(
            int(input_shape[-1]),
            self.filters,
            list(self.kernel_size),
            list(self.strides),
            self.padding,
            None if self.output_padding is None else list(self.output_padding),
            list(self.dilation_rate),
            self.activation,
            self.use_bias,
        )
        return self._weight_options.apply(core)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        h, w = self._out_hw(input_shape)
        return (input_shape[0], h, w, self.filters)

    def get_config(self) -> dict:
        # Keras 3 leaves output_padding out of its config; it is kept here so that a layer made
        # from its config computes the same lengths.
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": "channels_last",
            "dilation_rate": self.dilation_rate,
            "activation": self.activation,
            "use_bias": self.use_bias,
            **self._weight_options.config(),
        }
