"""The ONNX converters of SimpleRNN, LSTM, GRU, Bidirectional and TimeDistributed: ONNX's own RNN, LSTM and GRU
ops, one direction each, over time-major values. Keras keeps a cell's gates side by side in one
kernel (LSTM i, f, c, o; GRU z, r, h); ONNX wants them per direction, transposed, LSTM in the
order i, o, f, c, and the input and recurrent biases apart."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad.keras import layers as L
from rustgrad.keras.export.onnx_layers import _weights, converts

# Keras' activation names that ONNX's recurrent ops take as attributes.
_ACTIVATIONS = {
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "relu": "Relu",
    "softsign": "Softsign",
    "softplus": "Softplus",
}
_OP = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}
_ORDER = {"SimpleRNN": [0], "LSTM": [0, 3, 1, 2], "GRU": [0, 1, 2]}  # Keras' gates in ONNX's order


def _onnx_activation(layer: Any, name: str) -> str:
    if name not in _ACTIVATIONS:
        raise NotImplementedError(
            f"layer '{layer.name}' ({type(layer).__name__}): activation '{name}' has no ONNX "
            f"recurrent form (ONNX takes {', '.join(sorted(_ACTIVATIONS))})"
        )
    return _ACTIVATIONS[name]


def _gates(a: np.ndarray, layer: Any) -> np.ndarray:
    """(rows, gates·units) in Keras' order -> (1, gates·units, rows) in ONNX's."""
    u = layer.units
    blocks = [a[:, k * u : (k + 1) * u] for k in _ORDER[layer._cell]]
    return np.concatenate(blocks, axis=1).T[None]


def _biases(layer: Any, w: dict) -> np.ndarray:
    """ONNX's B: the input biases then the recurrent ones, (1, 2·gates·units)."""
    g = len(_ORDER[layer._cell]) * layer.units
    bias = w.get("bias")
    if bias is None:
        wb, rb = np.zeros(g, np.float32), np.zeros(g, np.float32)
    elif bias.ndim == 2:  # GRU reset_after: (input, recurrent)
        wb, rb = bias[0], bias[1]
    else:
        wb, rb = bias, np.zeros(g, np.float32)
    return np.concatenate([_gates(wb[None], layer)[0, :, 0], _gates(rb[None], layer)[0, :, 0]])[
        None
    ]


def _run(b: Any, layer: Any, x_time_major: str, time_order: bool) -> str:
    """The layer's output from time-major input; `time_order`: sequences in input time order
    (Bidirectional's), else in Keras' order (reversed for go_backwards)."""
    w = _weights(layer)
    acts = [_onnx_activation(layer, layer.activation)]
    if layer._cell != "SimpleRNN":
        rec = _onnx_activation(layer, layer.recurrent_activation)
        acts = [rec, acts[0]] + ([acts[0]] if layer._cell == "LSTM" else [])
    attrs: dict = {
        "hidden_size": layer.units,
        "direction": "reverse" if layer.go_backwards else "forward",
        "activations": acts,
    }
    if layer._cell == "GRU":
        attrs["linear_before_reset"] = int(layer.reset_after)
    inputs = [
        x_time_major,
        b.weight(layer, "W", _gates(w["kernel"], layer)),
        b.weight(layer, "R", _gates(w["recurrent_kernel"], layer)),
        b.weight(layer, "B", _biases(layer, w)),
    ]
    y, y_h = b.fresh("Y"), b.fresh("Y_h")
    outs = [y, y_h] if layer.return_sequences else ["", y_h]
    op = _OP[layer._cell]
    b.nodes.append(b.onnx.helper.make_node(op, inputs, outs, name=b.fresh(f"{op}_node"), **attrs))
    if not layer.return_sequences:
        return b.op("Squeeze", [y_h, b.ints([0], "axes")])  # (batch, units)
    seq = b.op("Transpose", [b.op("Squeeze", [y, b.ints([1], "axes")])], perm=[1, 0, 2])
    if layer.go_backwards and not time_order:  # ONNX's reverse Y is in input time order
        big = np.iinfo(np.int64).max
        seq = b.op(
            "Slice",
            [
                seq,
                b.ints([-1], "starts"),
                b.ints([-big], "ends"),
                b.ints([1], "axes"),
                b.ints([-1], "steps"),
            ],
        )
    return seq


def _time_major(b: Any, x: str) -> str:
    return b.op("Transpose", [x], perm=[1, 0, 2])


@converts(L.SimpleRNN, L.LSTM, L.GRU)
def recurrent(b: Any, layer: Any, xs: list) -> str:
    return _run(b, layer, _time_major(b, xs[0]), time_order=False)


@converts(L.Bidirectional)
def bidirectional(b: Any, layer: Any, xs: list) -> str:
    x = _time_major(b, xs[0])
    f = _run(b, layer.forward_layer, x, time_order=True)
    back = _run(b, layer.backward_layer, x, time_order=True)
    if layer.merge_mode == "concat":
        return b.op("Concat", [f, back], axis=-1)
    if layer.merge_mode == "ave":
        return b.op("Mul", [b.op("Add", [f, back]), b.const(0.5, "half")])
    return b.op({"sum": "Add", "mul": "Mul"}[layer.merge_mode], [f, back])


@converts(L.TimeDistributed)
def time_distributed(b: Any, layer: Any, xs: list) -> str:
    """The layer's own converter on the (batch·time, ...) reshape, then the time axis back."""
    from rustgrad.keras.export.onnx_layers import CONVERTERS

    inner = layer.layer
    convert = CONVERTERS.get(type(inner))
    steps = layer.input_shape[1]
    if convert is None or steps is None:
        why = (
            f"no ONNX converter for {type(inner).__name__}"
            if convert is None
            else "the time axis must have a known length to export"
        )
        raise NotImplementedError(f"layer '{layer.name}' (TimeDistributed): {why}")
    folded = b.op("Reshape", [xs[0], b.ints([-1, *layer.input_shape[2:]])])
    y = convert(b, inner, [folded])
    out = layer.compute_output_shape(layer.input_shape)
    return b.op("Reshape", [y, b.ints([-1, steps, *out[2:]])])


@converts(L.RNN)
def rnn(b: Any, layer: Any, xs: list) -> str:
    """RNN(cell) is its cell's layer (RNN(LSTMCell(n)) is LSTM(n))."""
    return recurrent(b, layer._layer, xs)
