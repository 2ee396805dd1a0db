"""The ONNX converters of the convolutional and spatial layers (Conv1D/2D, the poolings, UpSampling2D,
ZeroPadding2D, Cropping2D). Values stay channels-last (NHWC) between layers, so Flatten and Dense see
Keras' order; ONNX's channels-first Conv and pools are wrapped in a Transpose on each side."""

from __future__ import annotations

from typing import Any

from rustgrad.keras import layers as L
from rustgrad.keras.export.onnx_activations import activation
from rustgrad.keras.export.onnx_layers import _weights, converts

__all__: list[str] = []


def _pads(layer: Any, sizes: list, k: tuple, s: tuple, d: tuple) -> list[int]:
    """ONNX pads (all begins, then all ends) for Keras' 'valid' or 'same' padding: 'same' puts
    the odd row or column at the end, as TensorFlow does."""
    if layer.padding == "valid":
        return [0] * (2 * len(sizes))
    begins, ends = [], []
    for n, ki, si, di in zip(sizes, k, s, d):
        out = -(-int(n) // si)
        total = max((out - 1) * si + (ki - 1) * di + 1 - int(n), 0)
        begins.append(total // 2)
        ends.append(total - total // 2)
    return begins + ends


def _channels_first(b: Any, x: str, spatial: int) -> str:
    return b.op("Transpose", [x], perm=[0, spatial + 1, *range(1, spatial + 1)])


def _channels_last(b: Any, x: str, spatial: int) -> str:
    return b.op("Transpose", [x], perm=[0, *range(2, spatial + 2), 1])


def _conv(b: Any, layer: Any, x: str, kernel_perm: tuple) -> str:
    spatial = len(layer.kernel_size)
    w = _weights(layer)
    inputs = [_channels_first(b, x, spatial)]
    inputs.append(b.weight(layer, "kernel", w["kernel"].transpose(kernel_perm)))  # (out, in, k...)
    if layer.use_bias:
        inputs.append(b.weight(layer, "bias", w["bias"]))
    sizes = layer.input_shape[1 : 1 + spatial]
    y = b.op(
        "Conv",
        inputs,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        pads=_pads(layer, sizes, layer.kernel_size, layer.strides, layer.dilation_rate),
    )
    return activation(b, layer.activation, _channels_last(b, y, spatial), layer)


@converts(L.Conv2D)
def conv2d(b: Any, layer: Any, xs: list) -> str:
    return _conv(b, layer, xs[0], (3, 2, 0, 1))  # (kh, kw, in, out) -> (out, in, kh, kw)


@converts(L.Conv1D)
def conv1d(b: Any, layer: Any, xs: list) -> str:
    return _conv(b, layer, xs[0], (2, 1, 0))  # (k, in, out) -> (out, in, k)


@converts(L.MaxPooling2D, L.AveragePooling2D, L.MaxPooling1D, L.AveragePooling1D)
def pooling(b: Any, layer: Any, xs: list) -> str:
    spatial = len(layer.pool_size)
    ones = (1,) * spatial
    pads = _pads(layer, layer.input_shape[1 : 1 + spatial], layer.pool_size, layer.strides, ones)
    attrs: dict[str, Any] = {
        "kernel_shape": list(layer.pool_size),
        "strides": list(layer.strides),
        "pads": pads,
    }
    if layer._average:
        attrs["count_include_pad"] = 0  # 'same' padding is left out of the mean, as in Keras
    op = "AveragePool" if layer._average else "MaxPool"
    y = b.op(op, [_channels_first(b, xs[0], spatial)], **attrs)
    return _channels_last(b, y, spatial)


@converts(
    L.GlobalAveragePooling2D,
    L.GlobalMaxPooling2D,
    L.GlobalAveragePooling1D,
    L.GlobalMaxPooling1D,
)
def global_pooling(b: Any, layer: Any, xs: list) -> str:
    spatial = len(layer.input_shape) - 2
    op = "ReduceMax" if getattr(layer, "_max", False) else "ReduceMean"
    keep = int(getattr(layer, "keepdims", False))
    return b.op(op, [xs[0], b.ints(list(range(1, spatial + 1)), "axes")], keepdims=keep)


@converts(L.UpSampling2D)
def up_sampling2d(b: Any, layer: Any, xs: list) -> str:
    """Nearest neighbour: (n, h, w, c) -> (n, h, 1, w, 1, c), tiled, folded back."""
    h, w, c = (int(d) for d in layer.input_shape[1:])
    sh, sw = layer.size
    y = b.op("Reshape", [xs[0], b.ints([0, h, 1, w, 1, c])])
    y = b.op("Tile", [y, b.ints([1, 1, sh, 1, sw, 1], "repeats")])
    return b.op("Reshape", [y, b.ints([0, h * sh, w * sw, c])])


@converts(L.ZeroPadding2D)
def zero_padding2d(b: Any, layer: Any, xs: list) -> str:
    (t, bo), (le, r) = layer.padding
    return b.op("Pad", [xs[0], b.ints([0, t, le, 0, 0, bo, r, 0], "pads")], mode="constant")


@converts(L.Cropping2D)
def cropping2d(b: Any, layer: Any, xs: list) -> str:
    (t, bo), (le, r) = layer.cropping
    h, w = (int(d) for d in layer.input_shape[1:3])
    starts, ends = b.ints([t, le], "starts"), b.ints([h - bo, w - r], "ends")
    return b.op("Slice", [xs[0], starts, ends, b.ints([1, 2], "axes")])
