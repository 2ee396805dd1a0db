"""Keras' convolutional layers: Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
BatchNormalization, SpatialDropout2D and Reshape, as thin Python halves of Rust layers (channels-last,
like Keras)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras.layers.base import Layer
from rustgrad.keras.layers.core import Dropout, resolve_activation
from rustgrad.keras.layers.variables import named_weight
from rustgrad.keras.layers.weight_options import KERNEL_BIAS, WeightOptions

__all__ = [
    "AveragePooling2D",
    "BatchNormalization",
    "Conv2D",
    "GlobalAveragePooling2D",
    "MaxPooling2D",
    "Reshape",
    "SpatialDropout2D",
]

PADDINGS = ("valid", "same")


def _pair(value: Any, what: str, layer: str) -> tuple[int, int]:
    """An int or a pair of ints, as Keras accepts for kernel_size, strides and pool_size."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    try:
        a, b = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{layer}: {what} must be an int or a tuple of 2 ints, got {value!r}"
        ) from None
    if a <= 0 or b <= 0:
        raise ValueError(f"{layer}: {what} must be positive, got {value!r}")
    return a, b


def _padding(padding: Any, layer: str) -> str:
    p = str(padding).lower()
    if p not in PADDINGS:
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}")
    return p


def _spatial_out(size: int, k: int, s: int, d: int, padding: str) -> int:
    """Keras' output length of one spatial axis ('valid' or 'same')."""
    if padding == "same":
        return -(-size // s)
    return (size - ((k - 1) * d + 1)) // s + 1


def _check_4d(layer: Layer, input_shape: tuple) -> None:
    if len(input_shape) != 4:
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}' needs 4-D input (batch, height, width, "
            f"channels), got shape {input_shape}; use Reshape((h, w, 1)) for single-channel images"
        )


def _window_out(layer: Layer, input_shape: tuple, k, s, d, padding: str) -> tuple:
    _check_4d(layer, input_shape)
    h, w = (
        None
        if input_shape[i + 1] is None
        else _spatial_out(input_shape[i + 1], k[i], s[i], d[i], padding)
        for i in range(2)
    )
    if (h is not None and h <= 0) or (w is not None and w <= 0):
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}': input shape {input_shape} is too small "
            f"for a {k[0]}x{k[1]} window (dilation {tuple(d)}) with padding 'valid'; the output "
            f"would be {(input_shape[0], h, w)}"
        )
    return h, w


class Conv2D(Layer):
    """act(conv2d(x, kernel) + bias) on (batch, h, w, channels); kernel (kh, kw, in, filters).

    As keras.layers.Conv2D.

    Args:
        filters: the number of output channels (a positive int).
        kernel_size: an int or a pair (height, width).
        strides: an int or a pair.
        padding: "valid" or "same".
        data_format: None or "channels_last" (the only layout supported).
        dilation_rate: an int or a pair.
        activation: None (linear), an activation name or a keras.activations function.
        use_bias: whether to add a bias.
        **kwargs: ``kernel_``/``bias_`` initializer, regularizer (l1/l2) and constraint,
            activity_regularizer, and Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when a size is not positive, padding is unknown or data_format is not
            channels_last.
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
        data_format: Any = None,
        dilation_rate: Any = (1, 1),
        activation: Any = None,
        use_bias: bool = True,
        **kwargs,
    ):
        self._weight_options = WeightOptions("Conv2D", kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError("Conv2D: only data_format='channels_last' is supported")
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(f"Conv2D: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = _pair(strides, "strides", "Conv2D")
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", "Conv2D")
        self.padding = _padding(padding, "Conv2D")
        self.activation = resolve_activation(activation)
        self.use_bias = bool(use_bias)

    def _make_core(self, input_shape: tuple) -> Any:
        _window_out(
            self, input_shape, self.kernel_size, self.strides, self.dilation_rate, self.padding
        )
        core = _core.Layer.conv2d(
            int(input_shape[-1]),
            self.filters,
            list(self.kernel_size),
            list(self.strides),
            self.padding,
            list(self.dilation_rate),
            self.activation,
            self.use_bias,
        )
        return self._weight_options.apply(core)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        h, w = _window_out(
            self, input_shape, self.kernel_size, self.strides, self.dilation_rate, self.padding
        )
        return (input_shape[0], h, w, self.filters)

    def get_config(self) -> dict:
        options = self._weight_options.config()
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
            **options,
        }


class _Pooling2D(Layer):
    """The 2-D pooling layers' shared arguments (MaxPooling2D, AveragePooling2D).

    Args:
        pool_size: an int or a pair (height, width).
        strides: an int or a pair; None means pool_size.
        padding: "valid" or "same".
        data_format: None or "channels_last" (the only layout supported).
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when a size is not positive, padding is unknown or data_format is not
            channels_last.
    """

    _average = False

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: str = "valid",
        data_format: Any = None,
        **kwargs,
    ):
        if data_format not in (None, "channels_last"):
            raise ValueError(
                f"{type(self).__name__}: only data_format='channels_last' is supported"
            )
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.pool_size = _pair(pool_size, "pool_size", kind)
        self.strides = self.pool_size if strides is None else _pair(strides, "strides", kind)
        self.padding = _padding(padding, kind)

    def _make_core(self, input_shape: tuple) -> Any:
        _window_out(self, input_shape, self.pool_size, self.strides, (1, 1), self.padding)
        return _core.Layer.pooling2d(
            list(self.pool_size), list(self.strides), self.padding, self._average
        )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        h, w = _window_out(self, input_shape, self.pool_size, self.strides, (1, 1), self.padding)
        return (input_shape[0], h, w, input_shape[3])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": "channels_last",
        }


class MaxPooling2D(_Pooling2D):
    """Maximum over pool_size windows; strides default to pool_size."""


class AveragePooling2D(_Pooling2D):
    """Mean over pool_size windows ('same' padding is left out of the mean, as in Keras)."""

    _average = True


class GlobalAveragePooling2D(Layer):
    """Mean over height and width: (batch, h, w, c) -> (batch, c).

    As keras.layers.GlobalAveragePooling2D.

    Args:
        data_format: None or "channels_last" (the only layout supported).
        keepdims: only False.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: for another data_format or keepdims=True.
    """

    def __init__(self, data_format: Any = None, keepdims: bool = False, **kwargs):
        if data_format not in (None, "channels_last") or keepdims:
            raise ValueError("GlobalAveragePooling2D: only channels_last without keepdims")
        super().__init__(**kwargs)

    def _make_core(self, input_shape: tuple) -> Any:
        _check_4d(self, input_shape)
        return _core.Layer.global_average_pooling2d()

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], input_shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": "channels_last", "keepdims": False}


class BatchNormalization(Layer):
    """Normalise per channel of `axis` (-1: channels last; 1 for (N, C, ...) data); batch
    statistics while training (updating the moving mean and variance with `momentum`), the moving
    statistics at inference.

    As keras.layers.BatchNormalization.

    Args:
        axis: the channel axis (an int, or a one-element list).
        momentum: the moving statistics' decay.
        epsilon: added to the variance before the square root.
        center: only True (beta is always used).
        scale: only True (gamma is always used).
        **kwargs: ``beta_``/``gamma_`` initializer, regularizer and constraint,
            moving_mean_initializer, moving_variance_initializer, and Layer's arguments.

    Raises:
        TypeError: when axis is not an int.
        NotImplementedError: when center or scale is False.
    """

    _weight_spec = (("gamma", "ones"), ("beta", "zeros"))
    _state_spec = (("moving_mean", "zeros"), ("moving_variance", "ones"))

    _param_names = ("gamma", "beta")
    _state_names = ("moving_mean", "moving_variance")
    gamma = named_weight("gamma")
    beta = named_weight("beta")
    moving_mean = named_weight("moving_mean")
    moving_variance = named_weight("moving_variance")

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        **kwargs,
    ):
        self._weight_options = WeightOptions(
            "BatchNormalization",
            kwargs,
            weights=self._weight_spec,
            state=self._state_spec,
        )
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"BatchNormalization: axis must be an int, got {axis!r}")
        if not center or not scale:
            raise NotImplementedError(
                "BatchNormalization: center=False and scale=False are not supported"
            )
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)

    def _make_core(self, input_shape: tuple) -> Any:
        rank = len(input_shape)
        if rank < 2:
            raise ValueError(
                f"BatchNormalization layer '{self.name}' needs inputs with a channel axis, "
                f"got shape {input_shape}"
            )
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"BatchNormalization layer '{self.name}': axis {self.axis} is out of range for "
                f"input shape {input_shape} (axis 0 is the batch)"
            )
        axis = self.axis % rank
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(
                f"BatchNormalization layer '{self.name}': the channel axis {self.axis} of input "
                f"shape {input_shape} must have a known size"
            )
        # The last axis is the channels-last fast path; any other runs the strided kernel.
        core = _core.Layer.batch_normalization(
            int(channels), self.momentum, self.epsilon, -1 if axis == rank - 1 else axis
        )
        return self._weight_options.apply(core)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": True,
            "scale": True,
            **self._weight_options.config(activity_key=False),
            "synchronized": False,
            "renorm": False,
            "renorm_clipping": None,
            "renorm_momentum": 0.99,
        }


class SpatialDropout2D(Dropout):
    """Dropout of whole channels: while training, each channel of each sample is zeroed with
    probability `rate` (all its pixels together) and the rest scaled by 1/(1 - rate).

    As keras.layers.SpatialDropout2D.

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        data_format: None or "channels_last" (the only layout supported).
        seed: an int for repeatable masks, or None.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when rate is outside [0, 1) or data_format is not channels_last.
    """

    def __init__(self, rate: float, data_format: Any = None, seed: int | None = None, **kwargs):
        if data_format not in (None, "channels_last"):
            raise ValueError("SpatialDropout2D: only data_format='channels_last' is supported")
        super().__init__(rate, seed=seed, **kwargs)

    def _make_core(self, input_shape: tuple) -> Any:
        _check_4d(self, input_shape)
        return _core.Layer.dropout(self.rate, self.seed, spatial=True)

    def get_config(self) -> dict:
        # Keras 3's SpatialDropout2D config, which has no `trainable` and a plain dtype name.
        return {
            "rate": self.rate,
            "seed": self._seed_arg,
            "name": self.name,
            "dtype": "float32",
            "data_format": "channels_last",
        }


class Reshape(Layer):
    """Reshape each sample to `target_shape` (one entry may be -1).

    As keras.layers.Reshape.

    Args:
        target_shape: the shape of each sample, without the batch axis.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: for an invalid target_shape.
    """

    def __init__(self, target_shape: Any, **kwargs):
        super().__init__(**kwargs)
        try:
            self.target_shape = tuple(int(d) for d in target_shape)
        except TypeError:
            raise ValueError(
                f"Reshape: target_shape must be a tuple, got {target_shape!r}"
            ) from None
        if sum(d == -1 for d in self.target_shape) > 1 or any(
            d <= 0 and d != -1 for d in self.target_shape
        ):
            raise ValueError(f"Reshape: invalid target_shape {target_shape!r}")

    def _make_core(self, input_shape: tuple) -> Any:
        self.compute_output_shape(input_shape)
        return _core.Layer.reshape(list(self.target_shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": self.target_shape}

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        size = math.prod(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        target = self.target_shape
        if -1 in target:
            target = tuple(size // known if d == -1 else d for d in target)
        if math.prod(target) != size or (-1 in self.target_shape and size % known):
            raise ValueError(
                f"Reshape layer '{self.name}': cannot reshape input of shape {input_shape} "
                f"({size} values per sample) into {self.target_shape}"
            )
        return (input_shape[0], *target)
