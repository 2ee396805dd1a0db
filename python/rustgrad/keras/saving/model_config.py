"""get_config / from_config of Sequential and functional models in Keras 3's JSON: the layers in
Keras' order, each functional layer with its `inbound_nodes` (calls on `__keras_tensor__`
entries naming [layer, node, tensor]), `input_layers` / `output_layers`; Sequential's layer list
starting with its InputLayer. `keras_order` is the order Keras' own map_graph gives the layers,
which also names their groups in weight files."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.layers import config as layer_config
from rustgrad.keras.saving import serialization

__all__ = ["functional_config", "functional_from_config", "keras_order", "sequential_config"]


def _is_functional(layer: Any) -> bool:
    """A functional model used as a layer: Keras gives it one node of its own from the start,
    which input_layers / output_layers count (the inbound_nodes' keras_history do not)."""
    from rustgrad.keras.models import Functional, Sequential

    return isinstance(layer, Functional) and not isinstance(layer, Sequential)


def keras_order(model: Any) -> list:
    """model.layers as Keras 3 orders them: by depth from the outputs (deepest first), ties by
    the first visit of a depth-first walk from the outputs (keras/src/ops/function.py)."""
    own = {id(n) for n in model._nodes}
    visit: dict[int, int] = {}  # id(layer) -> first visit index
    order: list = []  # nodes, inputs first (post-order)
    done: set[int] = set()
    for out in model._outputs:
        stack: list[tuple[Any, bool]] = [(out.node, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in done:
                continue
            if expanded:
                done.add(id(node))
                order.append(node)
                continue
            visit.setdefault(id(node.layer), len(visit))
            stack.append((node, True))
            if not node.is_input:
                stack.extend((t.node, False) for t in reversed(node.input_tensors))
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    layers: dict[int, Any] = {}
    for node in reversed(order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)], node_depth[id(node)] = depth, depth
        layers[id(node.layer)] = node.layer
        for t in node.input_tensors:
            parent = t.node
            if id(parent) in own or parent.is_input:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in model._inputs:  # inputs the outputs do not use
        if id(t.node.layer) not in layer_depth:
            layer_depth[id(t.node.layer)], layers[id(t.node.layer)] = 0, t.node.layer
            visit[id(t.node.layer)] = -1
    keys = sorted(layers, key=lambda k: (-layer_depth[k], visit[k]))
    return [layers[k] for k in keys]


def _own_nodes(model: Any, layer: Any) -> list:
    """The nodes of `layer` that belong to `model`'s graph, in the layer's call order."""
    own = {id(n) for n in model._nodes} | {id(t.node) for t in model._inputs}
    return [n for n in layer._inbound_nodes if id(n) in own]


def _history(model: Any, t: Any, ends: bool = False) -> list:
    layer = t.node.layer
    base = 1 if ends and _is_functional(layer) else 0
    return [layer.name, base + _own_nodes(model, layer).index(t.node), t.index]


def _tensor_entry(model: Any, t: Any) -> dict:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": list(t.shape), "dtype": "float32", "keras_history": _history(model, t)},
    }


def _node_entry(model: Any, node: Any) -> dict:
    ins = [_tensor_entry(model, t) for t in node.input_tensors]
    as_list = len(ins) > 1 or getattr(node.layer, "_multi_input", False)
    return {"args": [ins] if as_list else ins, "kwargs": {}}


def _structure(model: Any, tensors: list, keys: Any) -> Any:
    entries = [_history(model, t, ends=True) for t in tensors]
    if keys is not None:
        return dict(zip(keys, entries))
    return entries[0] if len(entries) == 1 else entries


def functional_config(model: Any) -> dict:
    layers = []
    for layer in keras_order(model):
        entry = serialization.serialize_keras_object(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            _node_entry(model, n) for n in _own_nodes(model, layer) if not n.is_input
        ]
        layers.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": _structure(model, model._inputs, model._input_keys),
        "output_layers": _structure(model, model._outputs, model._output_keys),
    }


def sequential_config(model: Any) -> dict:
    from rustgrad.keras.layers.base import InputLayer

    layers = []
    if model._input_shape is not None:
        name = model._input_tensor.node.layer.name if model._input_tensor else "input_layer"
        shape = (None, *model._input_shape)
        entry = serialization.serialize_keras_object(InputLayer(batch_shape=shape, name=name))
        layers.append(entry)
    layers += [serialization.serialize_keras_object(la) for la in model.layers]
    out = {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": dict(layer_config.FLOAT32_POLICY),
        "layers": layers,
    }
    if model._input_shape is not None:
        out["build_input_shape"] = [None, *model._input_shape]
    return out


def layer_from_entry(entry: dict) -> Any:
    """A layer of a model's config, not built: the model's graph builds it."""
    entry = {k: v for k, v in entry.items() if k != "build_config"}
    return serialization.deserialize_keras_object(entry, safe_mode=serialization.in_safe_mode())


def _tensors(history: Any, made: dict, bases: dict | None = None) -> Any:
    if isinstance(history, dict):
        return {k: _tensors(v, made, bases) for k, v in history.items()}
    if history and isinstance(history[0], (list, tuple)):
        return [_tensors(h, made, bases) for h in history]
    base = (bases or {}).get(history[0], 0)
    return made[(history[0], int(history[1]) - base, int(history[2]))]


def _arg(value: Any, made: dict) -> Any:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return _tensors(value["config"]["keras_history"], made)
    if isinstance(value, (list, tuple)):
        return [_arg(v, made) for v in value]
    raise NotImplementedError(f"a layer call with argument {value!r} is not supported")


def _inputs(layer: Any, node: dict, made: dict) -> Any:
    """The tensors a recorded call takes (KeyError while one is not computed yet)."""
    args = node.get("args", []) if isinstance(node, dict) else node
    kwargs = {k: v for k, v in (node.get("kwargs") or {}).items() if v is not None}
    kwargs.pop("training", None)
    if kwargs:
        raise NotImplementedError(
            f"layer '{layer.name}': call keywords {sorted(kwargs)} are not supported"
        )
    if len(args) != 1:
        raise NotImplementedError(f"layer '{layer.name}': calls with {len(args)} arguments")
    return _arg(args[0], made)


def functional_from_config(cls: type, config: dict) -> Any:
    """Rebuild the layers and replay their calls; a call waits until its inputs exist."""
    made: dict[tuple, Any] = {}
    pending, bases = [], {}
    for entry in config["layers"]:
        layer = layer_from_entry(entry)
        if getattr(layer, "is_input_layer", False):
            made[(layer.name, 0, 0)] = layer.output
        bases[layer.name] = 1 if _is_functional(layer) else 0
        pending += [(layer, i, n) for i, n in enumerate(entry.get("inbound_nodes", []))]
    while pending:
        left = []
        for layer, index, node in pending:
            try:
                args = _inputs(layer, node, made)
            except KeyError:
                left.append((layer, index, node))
                continue
            out = layer(args)
            outs = out if isinstance(out, (list, tuple)) else [out]
            for j, t in enumerate(outs):
                made[(layer.name, index, j)] = t
        if len(left) == len(pending):
            names = sorted({la.name for la, _, _ in left})
            raise ValueError(f"model config: the inputs of layers {names} are never computed")
        pending = left
    inputs = _tensors(config["input_layers"], made, bases)
    outputs = _tensors(config["output_layers"], made, bases)
    model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
    if not config.get("trainable", True):
        model.trainable = False
    return model


def sequential_from_config(cls: type, config: dict) -> Any:
    model = cls(name=config.get("name"))
    for entry in config["layers"]:
        model.add(layer_from_entry(entry))
    shape = config.get("build_input_shape")
    if shape is not None and not model.built:
        model.build(tuple(shape))
    if not config.get("trainable", True):
        model.trainable = False
    return model
