"""The ONNX converters of the built-in layers, one small function per layer class in CONVERTERS
(core, activation, merge, utility, embedding and normalisation layers here; the convolutional and
spatial family in onnx_spatial.py, Conv2DTranspose / DepthwiseConv2D / SeparableConv2D in
onnx_conv_more.py, the augmentation layers in onnx_augment.py). Adding a layer is one function
with @converts(ItsClass).

A converter is f(builder, layer, inputs) -> output: `inputs` are the names of the values the layer
is called on (channels-last, as in Keras), the result the name of its output value."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from rustgrad.keras import layers as L
from rustgrad.keras.export.onnx_activations import activation

__all__ = ["CONVERTERS", "converts"]

Converter = Callable[[Any, Any, list], str]
CONVERTERS: dict[type, Converter] = {}


def converts(*classes: type) -> Callable[[Converter], Converter]:
    """Register `fn` as the converter of exactly these classes (a subclass is its own layer)."""

    def register(fn: Converter) -> Converter:
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn

    return register


def _weights(layer: Any) -> dict[str, np.ndarray]:
    return {w.name: np.asarray(w.numpy(), dtype=np.float32) for w in layer.weights}


def rank(layer: Any) -> int:
    """The rank (batch axis included) of the layer's (first) input."""
    shape = layer.input_shape
    return len(shape[0] if getattr(layer, "_multi_input", False) else shape)


# ---- core -----------------------------------------------------------------------------------
@converts(L.Dense)
def dense(b: Any, layer: Any, xs: list) -> str:
    w = _weights(layer)
    y = b.op("MatMul", [xs[0], b.weight(layer, "kernel", w["kernel"])])  # any rank, as Keras
    if layer.use_bias:
        y = b.op("Add", [y, b.weight(layer, "bias", w["bias"])])
    return activation(b, layer.activation, y, layer)


@converts(L.Activation)
def activation_layer(b: Any, layer: Any, xs: list) -> str:
    return activation(b, layer.activation, xs[0], layer)


@converts(
    L.Identity,
    L.Dropout,
    L.SpatialDropout2D,
    L.GaussianNoise,
    L.GaussianDropout,
    L.ActivityRegularization,
)
def identity(b: Any, layer: Any, xs: list) -> str:
    """The identity at inference (the noise and dropout layers act only while training)."""
    return b.op("Identity", [xs[0]])


@converts(L.Flatten)
def flatten(b: Any, layer: Any, xs: list) -> str:
    # Row-major over (h, w, c), the order Keras flattens channels-last values in.
    return b.op("Flatten", [xs[0]], axis=1)


@converts(L.Reshape)
def reshape(b: Any, layer: Any, xs: list) -> str:
    return b.op("Reshape", [xs[0], b.ints([0, *layer.target_shape])])  # 0 keeps the batch size


@converts(L.Permute)
def permute(b: Any, layer: Any, xs: list) -> str:
    return b.op("Transpose", [xs[0]], perm=[0, *layer.dims])


@converts(L.RepeatVector)
def repeat_vector(b: Any, layer: Any, xs: list) -> str:
    y = b.op("Unsqueeze", [xs[0], b.ints([1], "axes")])
    return b.op("Tile", [y, b.ints([1, layer.n, 1], "repeats")])


@converts(L.Rescaling)
def rescaling(b: Any, layer: Any, xs: list) -> str:
    y = b.op("Mul", [xs[0], b.const(layer.scale, "scale")])
    return b.op("Add", [y, b.const(layer.offset, "offset")])


@converts(L.Normalization)
def normalization(b: Any, layer: Any, xs: list) -> str:
    """(x - mean) / max(sqrt(variance), 1e-7), or its inverse, with the statistics as constants
    in the broadcast shape (src/layers/normalization.rs)."""
    mean = layer.mean.numpy()
    sd = np.maximum(np.sqrt(layer.variance.numpy()), np.float32(1e-7))
    if layer.invert:
        return b.op("Add", [b.op("Mul", [xs[0], b.const(sd, "sd")]), b.const(mean, "mean")])
    return b.op("Div", [b.op("Sub", [xs[0], b.const(mean, "mean")]), b.const(sd, "sd")])


# ---- activation layers ----------------------------------------------------------------------
@converts(L.Softmax)
def softmax(b: Any, layer: Any, xs: list) -> str:
    return b.op("Softmax", [xs[0]], axis=layer.axis)


@converts(L.ReLU)
def relu(b: Any, layer: Any, xs: list) -> str:
    """Keras' relu(x, negative_slope, max_value, threshold) as the core composes it
    (src/layers/activation_layers.rs)."""
    x, t, s, m = xs[0], layer.threshold, layer.negative_slope, layer.max_value
    if t == 0.0 and m is None:
        return b.op("Relu", [x]) if s == 0.0 else b.op("LeakyRelu", [x], alpha=s)
    if t == 0.0:
        above = b.op("Relu", [x])
    else:
        gt = b.op("Cast", [b.op("Greater", [x, b.const(t, "threshold")])], to=1)  # to float
        above = b.op("Mul", [x, gt])
    pos = above if m is None else b.op("Clip", [above, b.const(0.0, "zero"), b.const(m, "max")])
    if s == 0.0:
        return pos
    below = b.op("Relu", [b.op("Sub", [b.const(t, "threshold"), x])])
    return b.op("Sub", [pos, b.op("Mul", [below, b.const(s, "negative_slope")])])


@converts(L.LeakyReLU)
def leaky_relu(b: Any, layer: Any, xs: list) -> str:
    return b.op("LeakyRelu", [xs[0]], alpha=layer.negative_slope)


@converts(L.ELU)
def elu(b: Any, layer: Any, xs: list) -> str:
    return b.op("Elu", [xs[0]], alpha=layer.alpha)


@converts(L.PReLU)
def prelu(b: Any, layer: Any, xs: list) -> str:
    # alpha has the input's per-sample shape (1 on shared axes): it broadcasts over the batch.
    return b.op("PRelu", [xs[0], b.weight(layer, "alpha", _weights(layer)["alpha"])])


# ---- merges ---------------------------------------------------------------------------------
def _fold(b: Any, op_type: str, xs: list) -> str:
    y = xs[0]
    for x in xs[1:]:
        y = b.op(op_type, [y, x])  # left to right, as the core adds them
    return y


@converts(L.Add)
def add(b: Any, layer: Any, xs: list) -> str:
    return _fold(b, "Add", xs)


@converts(L.Subtract)
def subtract(b: Any, layer: Any, xs: list) -> str:
    return b.op("Sub", xs)


@converts(L.Multiply)
def multiply(b: Any, layer: Any, xs: list) -> str:
    return _fold(b, "Mul", xs)


@converts(L.Average)
def average(b: Any, layer: Any, xs: list) -> str:
    return b.op("Div", [_fold(b, "Add", xs), b.const(float(len(xs)), "count")])


@converts(L.Maximum)
def maximum(b: Any, layer: Any, xs: list) -> str:
    return b.op("Max", xs)


@converts(L.Minimum)
def minimum(b: Any, layer: Any, xs: list) -> str:
    return b.op("Min", xs)


@converts(L.Concatenate)
def concatenate(b: Any, layer: Any, xs: list) -> str:
    return b.op("Concat", xs, axis=layer._axis(rank(layer)))


# ---- embedding and normalisation ------------------------------------------------------------
@converts(L.Embedding)
def embedding(b: Any, layer: Any, xs: list) -> str:
    # The ids arrive as float32, as model.predict takes them; whole numbers cast exactly.
    ids = b.op("Cast", [xs[0]], to=7)  # int64
    return b.op("Gather", [b.weight(layer, "embeddings", _weights(layer)["embeddings"]), ids])


@converts(L.BatchNormalization)
def batch_normalization(b: Any, layer: Any, xs: list) -> str:
    """Inference: x·scale + shift per channel (last axis), folded in float32 as the core does."""
    w = _weights(layer)
    rstd = np.float32(1.0) / np.sqrt(w["moving_variance"] + np.float32(layer.epsilon))
    scale = w["gamma"] * rstd
    shift = w["beta"] - w["moving_mean"] * scale
    y = b.op("Mul", [xs[0], b.weight(layer, "scale", scale)])
    return b.op("Add", [y, b.weight(layer, "shift", shift)])


@converts(L.LayerNormalization)
def layer_normalization(b: Any, layer: Any, xs: list) -> str:
    w, r = _weights(layer), rank(layer)
    first = min(a % r for a in layer._axes)
    shape = [int(d) for d in layer.input_shape[first:]]
    gamma = w.get("gamma", np.ones(shape, np.float32))
    beta = w.get("beta", np.zeros(shape, np.float32))
    inputs = [xs[0], b.weight(layer, "gamma", gamma), b.weight(layer, "beta", beta)]
    return b.op("LayerNormalization", inputs, axis=first, epsilon=layer.epsilon)
