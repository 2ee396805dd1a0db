"""A model's traced graph as an ONNX graph: the builder converters write nodes and weights into,
the walk over the model's nodes (nested models inlined), and the checked, atomically written file."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from rustgrad import _files

# Imported for their @converts registrations: the augmentation layers, Conv2DTranspose and the
# depthwise / separable convolutions, the conv family.
from rustgrad.keras.export import (  # noqa: F401
    onnx_augment,
    onnx_conv_more,
    onnx_recurrent,
    onnx_spatial,
)
from rustgrad.keras.export.onnx_layers import CONVERTERS

__all__ = ["CONVERTERS", "OPSET", "Builder", "build_onnx", "export_onnx", "unsupported_layers"]

# ONNX opset 18 (2022): Reduce* take their axes as an input, Mish exists; onnxruntime >= 1.14 runs it.
OPSET = 18
BATCH = "batch"  # the dynamic batch dimension's name in the exported inputs and outputs


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "model.export(..., format='onnx') needs the onnx package: "
            "pip install 'rustgrad[onnx]' (or pip install onnx)"
        ) from None
    return onnx


class Builder:
    """Collects ONNX nodes and initializers under unique value names; what every converter writes to."""

    def __init__(self, onnx: Any):
        self.onnx = onnx
        self.nodes: list = []
        self.initializers: list = []
        self._used: set[str] = set()
        self._weights: dict[tuple, str] = {}
        self.scope = ""  # the layer being converted: the prefix of the names its nodes get

    def fresh(self, hint: str) -> str:
        """A value name not used yet, from `hint` (the layer's name and what the value is)."""
        base = f"{self.scope}/{hint}" if self.scope else hint
        name, k = base, 1
        while name in self._used:
            name, k = f"{base}_{k}", k + 1
        self._used.add(name)
        return name

    def reserve(self, name: str) -> None:
        self._used.add(name)

    def op(self, op_type: str, inputs: list[str], out: str | None = None, **attrs: Any) -> str:
        """Add one node with one output; returns the output's name."""
        out = out or self.fresh(op_type)
        node = self.onnx.helper.make_node(
            op_type, list(inputs), [out], name=self.fresh(f"{op_type}_node"), **attrs
        )
        self.nodes.append(node)
        return out

    def const(self, value: Any, hint: str = "const", dtype: Any = np.float32) -> str:
        """An initializer holding `value` (float32 unless told: int64 for shapes and axes)."""
        name = self.fresh(hint)
        array = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def ints(self, values: Any, hint: str = "shape") -> str:
        return self.const(np.asarray(values, dtype=np.int64).reshape(-1), hint, np.int64)

    def weight(self, layer: Any, key: str, value: Any) -> str:
        """A layer's weight (or an array derived from it) as one initializer, shared by every
        node of a layer used several times."""
        cache = (id(layer), key)
        if cache not in self._weights:
            scope, self.scope = self.scope, layer.name
            self._weights[cache] = self.const(value, key)
            self.scope = scope
        return self._weights[cache]


def _converter(layer: Any) -> Any:
    return CONVERTERS.get(type(layer))


def _is_nested(layer: Any) -> bool:
    return hasattr(layer, "_nodes") and not layer._is_custom()


def unsupported_layers(model: Any) -> list[str]:
    """'name' (Class) of every layer of the model (nested models opened) with no ONNX converter."""
    out: list[str] = []
    for node in model._nodes:
        layer = node.layer
        if _is_nested(layer):
            out += [n for n in unsupported_layers(layer) if n not in out]
        elif _converter(layer) is None:
            entry = f"'{layer.name}' ({type(layer).__name__})"
            if entry not in out:
                out.append(entry)
    return out


def _emit(b: Builder, model: Any, in_names: list[str]) -> list[str]:
    """Convert `model`'s nodes on the values `in_names`; returns the names of its outputs."""
    values = {id(t): n for t, n in zip(model._inputs, in_names)}
    for node in model._nodes:
        args = [values[id(t)] for t in node.input_tensors]
        layer = node.layer
        if _is_nested(layer):
            outs = _emit(b, layer, args)
        else:
            b.scope = layer.name
            outs = [_converter(layer)(b, layer, args)]
            b.scope = ""
        for t, name in zip(node.output_tensors, outs):
            values[id(t)] = name
    return [values[id(t)] for t in model._outputs]


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        name, k = n, 1
        while name in out:
            name, k = f"{n}_{k}", k + 1
        out.append(name)
    return out


def _value_info(onnx: Any, name: str, shape: tuple) -> Any:
    dims = [BATCH if i == 0 else d for i, d in enumerate(shape)]
    return onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims)


def _check_exportable(model: Any) -> None:
    if model._is_custom() or not hasattr(model, "_nodes"):
        raise NotImplementedError(
            f"model '{model.name}' ({type(model).__name__}) is a subclassed model with its own "
            "call(); only Sequential and functional models of built-in layers export to ONNX"
        )
    if not model.built:
        raise ValueError(
            f"model '{model.name}' is not built yet: give it an input shape (keras.Input or "
            "input_shape=...) or call it on data before exporting"
        )
    missing = unsupported_layers(model)
    if missing:
        raise NotImplementedError(
            f"model '{model.name}' cannot be exported to ONNX: no ONNX converter for layer(s) "
            f"{', '.join(missing)}"
        )


def build_onnx(model: Any) -> Any:
    """The model as a checked onnx.ModelProto (nothing is written)."""
    _check_exportable(model)
    onnx = _onnx()
    b = Builder(onnx)
    in_names = _unique(list(model.input_names))
    # An output named as an input (the input itself returned) gets a suffix: ONNX names are unique.
    out_names = _unique(in_names + list(model.output_names))[len(in_names) :]
    for n in in_names + out_names:
        b.reserve(n)
    outs = _emit(b, model, in_names)
    for inner, name in zip(outs, out_names):
        b.op("Identity", [inner], out=name)  # an output may also feed other nodes, or be an input
    graph = onnx.helper.make_graph(
        b.nodes,
        model.name,
        [_value_info(onnx, n, t.shape) for n, t in zip(in_names, model._inputs)],
        [_value_info(onnx, n, t.shape) for n, t in zip(out_names, model._outputs)],
        initializer=b.initializers,
    )
    proto = onnx.helper.make_model(
        graph,
        opset_imports=[onnx.helper.make_opsetid("", OPSET)],
        producer_name="rustgrad",
    )
    proto.ir_version = min(
        proto.ir_version, 8
    )  # IR 8 is what opset 18 needs; older runtimes read it
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(model: Any, filepath: Any, verbose: Any = True) -> None:
    """Write `model` as an ONNX file at `filepath`, whole or not at all."""
    data = build_onnx(model).SerializeToString()
    _files.atomic_write(filepath, lambda f: f.write(data))
    if verbose:
        print(f"Saved artifact at '{os.fspath(filepath)}' (ONNX, opset {OPSET}).")
