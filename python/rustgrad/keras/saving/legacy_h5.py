"""tf.keras 2's legacy `.h5` files, read only. The file's root attribute `model_config` holds the
model's JSON in tf.keras 2's form (upgraded here to Keras 3's: `batch_input_shape` becomes an
InputLayer's `batch_shape`, inbound nodes [[name, node, tensor, kwargs], ...] become `args`),
`training_config` the compile arguments, and the group `model_weights` one group per layer name
whose attribute `weight_names` lists its datasets (trainable weights, then the others). The
optimizer's saved slots (`optimizer_weights`) are not read: fit starts them afresh."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from rustgrad.keras.saving import h5_weights, registry, serialization

__all__ = ["load_model", "load_weights"]


def _text(value: Any) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def _names(group: Any, key: str) -> list[str]:
    """An attribute list, also when tf.keras split it into key0, key1, ... (64 KB header limit)."""
    if key in group.attrs:
        return [_text(n) for n in group.attrs[key]]
    out, i = [], 0
    while f"{key}{i}" in group.attrs:
        out += [_text(n) for n in group.attrs[f"{key}{i}"]]
        i += 1
    return out


def _tensor(history: list) -> dict:
    return {"class_name": "__keras_tensor__", "config": {"keras_history": list(history[:3])}}


def _node(node: Any) -> dict:
    if isinstance(node, dict):  # already Keras 3's form
        return node
    tensors = [_tensor(h) for h in node]
    return {"args": [tensors] if len(tensors) > 1 else tensors, "kwargs": {}}


def _layer(entry: dict) -> dict:
    config = dict(entry.get("config") or {})
    kind = entry["class_name"]
    shape = config.pop("batch_input_shape", None)
    if kind == "InputLayer" and shape is not None:
        config["batch_shape"] = shape
    if kind in ("BatchNormalization",) and isinstance(config.get("axis"), list):
        if len(config["axis"]) != 1:
            raise NotImplementedError(f"BatchNormalization: axis={config['axis']}")
        config["axis"] = config["axis"][0]  # tf.keras stores the built axis as a list, e.g. [3]
    for key in ("input_dim", "input_length"):
        if key in config and kind != "Embedding":
            config.pop(key)
    out = {"module": "keras.layers", "class_name": kind, "config": config, "_shape": shape}
    for key in ("name",):
        if key in entry:
            out[key] = entry[key]
    if "inbound_nodes" in entry:
        out["inbound_nodes"] = [_node(n) for n in entry["inbound_nodes"]]
    return out


def upgrade(model_config: dict) -> dict:
    """tf.keras 2's model JSON as Keras 3's serialized form."""
    kind = model_config["class_name"]
    config = dict(model_config["config"])
    layers = [_layer(e) for e in config.get("layers", [])]
    if kind == "Sequential":
        first = layers[0] if layers else None
        if first is not None and first["class_name"] != "InputLayer" and first["_shape"]:
            name = f"{first['config'].get('name', 'layer')}_input"
            layers.insert(
                0,
                _layer(
                    {
                        "class_name": "InputLayer",
                        "config": {"batch_input_shape": first["_shape"], "name": name},
                    }
                ),
            )
        out_kind, module = "Sequential", "keras"
    elif kind in ("Model", "Functional"):
        out_kind, module = "Functional", "keras.src.models.functional"
        for key in ("input_layers", "output_layers"):
            value = config[key]
            if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
                config[key] = value[0]
    else:
        raise NotImplementedError(f"legacy .h5: a {kind} model is not supported")
    config["layers"] = layers
    return {"module": module, "class_name": out_kind, "config": config, "registered_name": None}


def _compile(model: Any, training: dict, custom_objects: Any) -> None:
    opt = training.get("optimizer_config") or {"class_name": "RMSprop", "config": {}}
    cls = registry.get_registered_object(opt["class_name"], custom_objects) or registry.builtin(
        "keras.optimizers", opt["class_name"]
    )
    if cls is None:
        raise ValueError(f"legacy .h5: unknown optimizer {opt['class_name']!r}")
    config = dict(opt.get("config") or {})
    if "lr" in config:
        config["learning_rate"] = config.pop("lr")
    if not config.pop("decay", 0.0):
        config.pop("decay", None)
    model.compile(
        optimizer=cls.from_config(config),
        loss=serialization.deserialize_keras_object(training.get("loss"), custom_objects),
        metrics=training.get("metrics"),
        loss_weights=training.get("loss_weights"),
    )


def _assign(model: Any, group: Any, source: str) -> None:
    """Every layer's weights from `model_weights/<layer name>`, all checked before any is set."""
    plan = []
    stored = set(_names(group, "layer_names")) or set(group)
    for layer in model._flat_layers():
        targets = [w.numpy() for w in layer.weights]
        if not targets:
            continue
        if layer.name not in stored or layer.name not in group:
            raise ValueError(f"{source}: no weights for layer '{layer.name}' in the file")
        g = group[layer.name]
        names = _names(g, "weight_names")
        if len(names) != len(targets):
            raise ValueError(
                f"{source}: layer '{layer.name}' ({type(layer).__name__}) expects "
                f"{len(targets)} weights of shapes {[t.shape for t in targets]}, the file has "
                f"{len(names)}: {names}"
            )
        for name, target in zip(names, targets):
            value = np.asarray(g[name][()], np.float32)
            if value.shape != target.shape:
                raise ValueError(
                    f"{source}: weight '{name}' of layer '{layer.name}' has shape "
                    f"{value.shape} in the file but the layer expects {target.shape}"
                )
            plan.append((target, value))
    for target, value in plan:
        np.copyto(target, value)


def _open(filepath: Any) -> tuple[Any, str]:
    path = Path(os.fspath(filepath))
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        return h5_weights.open_file(path, "r"), str(path)
    except Exception as e:
        raise ValueError(
            f"cannot read '{path}': not an HDF5 file (truncated or damaged?): {e}"
        ) from e


def load_model(filepath: Any, custom_objects: Any, compile: bool, safe_mode: bool) -> Any:
    h5, path = _open(filepath)
    source = f"load_model('{path}')"
    with h5:
        if "model_config" not in h5.attrs:
            raise ValueError(f"{source}: no model_config attribute: not a Keras .h5 model file")
        try:
            config = upgrade(json.loads(_text(h5.attrs["model_config"])))
        except (KeyError, TypeError, json.JSONDecodeError) as e:
            raise ValueError(f"{source}: model_config is damaged: {e!r}") from e
        model = serialization.deserialize_keras_object(config, custom_objects, safe_mode)
        if "model_weights" not in h5:
            raise ValueError(f"{source}: the file has no model_weights group")
        _assign(model, h5["model_weights"], source)
        if compile and "training_config" in h5.attrs:
            _compile(model, json.loads(_text(h5.attrs["training_config"])), custom_objects)
    return model


def load_weights(model: Any, filepath: Any) -> None:
    """`load_weights('x.h5')`: tf.keras 2's weights file (or a full model file's weights)."""
    h5, path = _open(filepath)
    with h5:
        group = h5.get("model_weights", h5)
        _assign(model, group, f"load_weights('{path}')")
