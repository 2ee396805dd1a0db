"""The ONNX converters of Conv2DTranspose, DepthwiseConv2D and SeparableConv2D, channels-last
between layers as in onnx_spatial.py (ONNX's channels-first Conv wrapped in a Transpose each side)."""

from __future__ import annotations

from typing import Any

from rustgrad.keras import layers as L
from rustgrad.keras.export.onnx_activations import activation
from rustgrad.keras.export.onnx_layers import _weights, converts
from rustgrad.keras.export.onnx_spatial import _channels_first, _channels_last, _pads

__all__: list[str] = []


def _transpose_axis(
    k: int, s: int, d: int, same: bool, out_pad: int | None
) -> tuple[int, int, int]:
    """(pad at the start, pad at the end, output_padding) of ONNX ConvTranspose for one axis,
    giving the length and alignment of the core's transpose_len (src/ops/window.rs): the output
    is the input of the conv2d whose input gradient the layer is, padded by `begin` at the start
    (Keras' JAX-backend padding); ONNX's length is (n - 1)·s + eff - begin - end + output_padding.
    Neither depends on the input length n."""
    eff = (k - 1) * d + 1
    if not same:
        op = max(eff, s) - eff if out_pad is None else out_pad
        begin, total = 0, -op  # total: (n - 1)·s + eff - (output length)
    else:
        if out_pad is None:
            pad_len, total = s + eff - 2, eff - s
        else:
            pad_len, total = eff + eff % 2 - 2 + out_pad, eff - eff % 2 - out_pad
        left = min(pad_len // 2 + pad_len % 2, eff - 1)
        begin = eff - 1 - left
    end = total - begin
    # A negative end pad (the output longer than the kernel reaches) is ONNX's output_padding.
    return (begin, end, 0) if end >= 0 else (begin, 0, -end)


@converts(L.Conv2DTranspose)
def conv2d_transpose(b: Any, layer: Any, xs: list) -> str:
    w = _weights(layer)
    out_pad = layer.output_padding or (None, None)
    axes = [
        _transpose_axis(
            layer.kernel_size[i],
            layer.strides[i],
            layer.dilation_rate[i],
            layer.padding == "same",
            out_pad[i],
        )
        for i in range(2)
    ]
    # Kernel (kh, kw, filters, in) -> ONNX's (in, filters, kh, kw).
    inputs = [_channels_first(b, xs[0], 2)]
    inputs.append(b.weight(layer, "kernel", w["kernel"].transpose(3, 2, 0, 1)))
    if layer.use_bias:
        inputs.append(b.weight(layer, "bias", w["bias"]))
    y = b.op(
        "ConvTranspose",
        inputs,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        pads=[a[0] for a in axes] + [a[1] for a in axes],
        output_padding=[a[2] for a in axes],
    )
    return activation(b, layer.activation, _channels_last(b, y, 2), layer)


def _depthwise(b: Any, layer: Any, x: str, kernel: Any, bias: str | None) -> str:
    """ONNX Conv with one group per input channel on the channels-first `x`: kernel (kh, kw, in,
    dm) -> (in·dm, 1, kh, kw), output channel c·dm + m as in Keras."""
    kh, kw, cin, dm = kernel.shape
    weight = kernel.reshape(kh, kw, cin * dm).transpose(2, 0, 1).reshape(cin * dm, 1, kh, kw)
    inputs = [x, b.weight(layer, "depthwise_kernel", weight)]
    if bias is not None:
        inputs.append(bias)
    sizes = layer.input_shape[1:3]
    return b.op(
        "Conv",
        inputs,
        group=int(cin),
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        pads=_pads(layer, sizes, layer.kernel_size, layer.strides, layer.dilation_rate),
    )


@converts(L.DepthwiseConv2D)
def depthwise_conv2d(b: Any, layer: Any, xs: list) -> str:
    w = _weights(layer)
    bias = b.weight(layer, "bias", w["bias"]) if layer.use_bias else None
    y = _depthwise(b, layer, _channels_first(b, xs[0], 2), w["kernel"], bias)
    return activation(b, layer.activation, _channels_last(b, y, 2), layer)


@converts(L.SeparableConv2D)
def separable_conv2d(b: Any, layer: Any, xs: list) -> str:
    """The depthwise Conv without bias, then a 1x1 Conv (pointwise kernel, bias)."""
    w = _weights(layer)
    y = _depthwise(b, layer, _channels_first(b, xs[0], 2), w["depthwise_kernel"], None)
    pointwise = w["pointwise_kernel"].transpose(3, 2, 0, 1)  # (1, 1, in·dm, f) -> (f, in·dm, 1, 1)
    inputs = [y, b.weight(layer, "pointwise_kernel", pointwise)]
    if layer.use_bias:
        inputs.append(b.weight(layer, "bias", w["bias"]))
    y = b.op("Conv", inputs, kernel_shape=[1, 1])
    return activation(b, layer.activation, _channels_last(b, y, 2), layer)
