"""Keras' activations by name as ONNX nodes, written as the core computes them (src/ops/unary.rs)."""

from __future__ import annotations

import math
from typing import Any, Callable

__all__ = ["ACTIVATIONS", "activation"]


def _gelu(b: Any, x: str) -> str:
    # The exact form, 0.5·x·(1 + erf(x/√2)); ONNX's Gelu op needs opset 20.
    erf = b.op("Erf", [b.op("Mul", [x, b.const(1.0 / math.sqrt(2.0), "inv_sqrt2")])])
    half_x = b.op("Mul", [x, b.const(0.5, "half")])
    return b.op("Mul", [half_x, b.op("Add", [erf, b.const(1.0, "one")])])


def _silu(b: Any, x: str) -> str:
    return b.op("Mul", [x, b.op("Sigmoid", [x])])


def _relu6(b: Any, x: str) -> str:
    return b.op("Clip", [x, b.const(0.0, "zero"), b.const(6.0, "six")])


def _hard_sigmoid(b: Any, x: str) -> str:
    # relu6(x + 3) / 6, Keras 3's form.
    return b.op("Div", [_relu6(b, b.op("Add", [x, b.const(3.0, "three")])), b.const(6.0, "six")])


def _mish(b: Any, x: str) -> str:
    return b.op("Mul", [x, b.op("Tanh", [b.op("Softplus", [x])])])


# name -> f(builder, x) -> y; the unary ones with their Keras default arguments.
ACTIVATIONS: dict[str, Callable[[Any, str], str]] = {
    "linear": lambda b, x: x,
    "relu": lambda b, x: b.op("Relu", [x]),
    "leaky_relu": lambda b, x: b.op("LeakyRelu", [x], alpha=0.2),
    "relu6": _relu6,
    "elu": lambda b, x: b.op("Elu", [x], alpha=1.0),
    "selu": lambda b, x: b.op("Selu", [x], alpha=1.6732632, gamma=1.050701),
    "softplus": lambda b, x: b.op("Softplus", [x]),
    "softsign": lambda b, x: b.op("Softsign", [x]),
    "silu": _silu,
    "swish": _silu,
    "gelu": _gelu,
    "tanh": lambda b, x: b.op("Tanh", [x]),
    "sigmoid": lambda b, x: b.op("Sigmoid", [x]),
    "exponential": lambda b, x: b.op("Exp", [x]),
    "hard_sigmoid": _hard_sigmoid,
    "hard_silu": lambda b, x: b.op("Mul", [x, _hard_sigmoid(b, x)]),
    "hard_swish": lambda b, x: b.op("Mul", [x, _hard_sigmoid(b, x)]),
    "mish": _mish,
    "softmax": lambda b, x: b.op("Softmax", [x], axis=-1),
    "log_softmax": lambda b, x: b.op("LogSoftmax", [x], axis=-1),
}


def activation(b: Any, name: str, x: str, layer: Any) -> str:
    """`name` applied to the value `x`; an activation without an ONNX form names the layer."""
    fn = ACTIVATIONS.get(name)
    if fn is None:
        raise NotImplementedError(
            f"layer '{layer.name}' ({type(layer).__name__}): activation '{name}' has no ONNX "
            "converter"
        )
    return fn(b, x)
