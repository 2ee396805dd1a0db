"""Keras' DepthwiseConv2D and SeparableConv2D as thin Python halves of Rust layers
(src/layers/depthwise.rs), channels-last only."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras.layers.base import Layer
from rustgrad.keras.layers.conv import _padding, _pair, _window_out
from rustgrad.keras.layers.conv_more import _channels_last
from rustgrad.keras.layers.core import resolve_activation
from rustgrad.keras.layers.variables import named_weight
from rustgrad.keras.layers.weight_options import WeightOptions

__all__ = ["DepthwiseConv2D", "SeparableConv2D"]

# The weights whose Keras options (<name>_initializer / _regularizer / _constraint) each layer takes.
_DEPTHWISE = (("depthwise", "glorot_uniform"), ("bias", "zeros"))
_SEPARABLE = (("depthwise", "glorot_uniform"), ("pointwise", "glorot_uniform"), ("bias", "zeros"))


def _positive(value: Any, what: str, layer: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer}: {what} must be a positive integer, got {value!r}")
    return int(value)


class _Depthwise(Layer):
    """The window arguments DepthwiseConv2D and SeparableConv2D share, checked as Keras does."""

    def _window(self, kernel_size, strides, padding, dilation_rate) -> None:
        kind = type(self).__name__
        self.kernel_size = _pair(kernel_size, "kernel_size", kind)
        self.strides = _pair(strides, "strides", kind)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", kind)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{kind}: strides > 1 is not supported with dilation_rate > 1 (as in Keras), got "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}"
            )
        self.padding = _padding(padding, kind)

    def _out_hw(self, input_shape: tuple) -> tuple:
        k, s, d = self.kernel_size, self.strides, self.dilation_rate
        return _window_out(self, input_shape, k, s, d, self.padding)

    def _window_config(self) -> dict:
        return {
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": "channels_last",
            "dilation_rate": self.dilation_rate,
            "activation": self.activation,
            "use_bias": self.use_bias,
        }


class DepthwiseConv2D(_Depthwise):
    """act(depthwise_conv2d(x, kernel) + bias): each input channel convolved with its own
    depth_multiplier filters; kernel (kh, kw, in, depth_multiplier), output channel c*dm + m.

    As keras.layers.DepthwiseConv2D.

    Args:
        kernel_size: an int or a pair (height, width).
        strides: an int or a pair.
        padding: "valid" or "same".
        data_format: None or "channels_last"; anything else is refused.
        depth_multiplier: output channels per input channel.
        dilation_rate: an int or a pair (not with strides > 1).
        activation: None (linear), an activation name or a keras.activations function.
        use_bias: whether to add a bias.
        **kwargs: ``depthwise_`` and ``bias_`` initializer, regularizer (l1/l2) and constraint,
            activity_regularizer, and Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when a size is not positive, padding is unknown, or strides and
            dilation_rate are both above 1.
        NotImplementedError: when data_format is not channels_last.
    """

    _weight_spec = _DEPTHWISE

    _param_names = ("kernel", "bias")
    kernel = named_weight("kernel")
    bias = named_weight("bias")

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: Any = None,
        dilation_rate: Any = (1, 1),
        activation: Any = None,
        use_bias: bool = True,
        **kwargs,
    ):
        name = "DepthwiseConv2D"
        _channels_last(data_format, name)
        self._weight_options = WeightOptions(name, kwargs, weights=self._weight_spec)
        super().__init__(**kwargs)
        self._window(kernel_size, strides, padding, dilation_rate)
        self.depth_multiplier = _positive(depth_multiplier, "depth_multiplier", name)
        self.activation = resolve_activation(activation)
        self.use_bias = bool(use_bias)

    def _make_core(self, input_shape: tuple) -> Any:
        self._out_hw(input_shape)
        core = _core.Layer.depthwise_conv2d(
            int(input_shape[-1]),
            self.depth_multiplier,
            list(self.kernel_size),
            list(self.strides),
            self.padding,
            list(self.dilation_rate),
            self.activation,
            self.use_bias,
        )
        return self._weight_options.apply(core)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        h, w = self._out_hw(input_shape)
        return (input_shape[0], h, w, input_shape[-1] * self.depth_multiplier)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            **self._window_config(),
            **self._weight_options.config(),
        }


class SeparableConv2D(_Depthwise):
    """act(pointwise(depthwise(x)) + bias): DepthwiseConv2D without bias, then a 1x1 Conv2D with
    kernel (1, 1, in*depth_multiplier, filters) and bias (filters,).

    As keras.layers.SeparableConv2D.

    Args:
        filters: the number of output channels (a positive int).
        kernel_size: an int or a pair (height, width).
        strides: an int or a pair.
        padding: "valid" or "same".
        data_format: None or "channels_last"; anything else is refused.
        dilation_rate: an int or a pair (not with strides > 1).
        depth_multiplier: depthwise output channels per input channel.
        activation: None (linear), an activation name or a keras.activations function.
        use_bias: whether to add a bias.
        **kwargs: ``depthwise_``, ``pointwise_`` and ``bias_`` initializer, regularizer (l1/l2) and constraint,
            activity_regularizer, and Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when a size is not positive, padding is unknown, or strides and
            dilation_rate are both above 1.
        NotImplementedError: when data_format is not channels_last.
    """

    _weight_spec = _SEPARABLE

    _param_names = ("depthwise_kernel", "pointwise_kernel", "bias")
    depthwise_kernel = named_weight("depthwise_kernel")
    pointwise_kernel = named_weight("pointwise_kernel")
    bias = named_weight("bias")

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        data_format: Any = None,
        dilation_rate: Any = (1, 1),
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        **kwargs,
    ):
        name = "SeparableConv2D"
        _channels_last(data_format, name)
        self._weight_options = WeightOptions(name, kwargs, weights=self._weight_spec)
        super().__init__(**kwargs)
        self._window(kernel_size, strides, padding, dilation_rate)
        self.filters = _positive(filters, "filters", name)
        self.depth_multiplier = _positive(depth_multiplier, "depth_multiplier", name)
        self.activation = resolve_activation(activation)
        self.use_bias = bool(use_bias)

    def _make_core(self, input_shape: tuple) -> Any:
        self._out_hw(input_shape)
        core = _core.Layer.separable_conv2d(
            int(input_shape[-1]),
            self.filters,
            self.depth_multiplier,
            list(self.kernel_size),
            list(self.strides),
            self.padding,
            list(self.dilation_rate),
            self.activation,
            self.use_bias,
        )
        return self._weight_options.apply(core)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        h, w = self._out_hw(input_shape)
        return (input_shape[0], h, w, self.filters)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            **self._window_config(),
            **self._weight_options.config(),
        }
