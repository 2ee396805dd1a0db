"""keras.models.clone_model (the same architecture with fresh weights, each layer through
`clone_function`), model_from_json, and the model-file functions load_model / save_model."""

from __future__ import annotations

import json
from typing import Any

from rustgrad.keras import saving
from rustgrad.keras.saving import serialization

__all__ = ["clone_model", "load_model", "model_from_json", "save_model"]

load_model = saving.load_model
save_model = saving.save_model


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Any:
    """The (uncompiled, freshly initialised) model of a `model.to_json()` string.

    Args:
        json_string: what model.to_json() returned (or Keras wrote).
        custom_objects: custom classes and functions by name.

    Returns:
        Model: the new model.

    Raises:
        TypeError: for a class that cannot be found.
    """
    config = json.loads(json_string)
    config.pop("compile_config", None)
    return serialization.deserialize_keras_object(config, custom_objects=custom_objects)


def _fresh(layer: Any) -> Any:
    return type(layer).from_config(layer.get_config())


def clone_model(
    model: Any,
    input_tensors: Any = None,
    clone_function: Any = None,
    call_function: Any = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Any:
    """A new model of the same architecture with new weights; `clone_function(layer)` makes each
    layer's copy (default: `layer.__class__.from_config(layer.get_config())`).

    As keras.models.clone_model.

    Args:
        model: a Sequential, functional or subclassed model.
        input_tensors: None, or new keras.Input tensors for a functional model.
        clone_function: a function making each layer's copy.
        call_function: only None.
        recursive: clone nested functional models too (else they are copied as layers).
        **kwargs: no other argument is supported.

    Returns:
        Model: the clone, with freshly initialised weights.

    Raises:
        NotImplementedError: for call_function, other keywords, or input_tensors /
            clone_function with a model they do not apply to.
        ValueError: when input_tensors has the wrong count.
    """
    from rustgrad.keras.layers.base import Input
    from rustgrad.keras.models.functional import Functional
    from rustgrad.keras.models.sequential import Sequential

    if call_function is not None:
        raise NotImplementedError("clone_model: call_function is not supported")
    if kwargs:
        raise NotImplementedError(f"clone_model: arguments {sorted(kwargs)} are not supported")
    clone = clone_function or _fresh

    def copy(layer: Any) -> Any:
        if recursive and isinstance(layer, Functional):
            return clone_model(layer, clone_function=clone_function, recursive=True)
        return clone(layer)

    if isinstance(model, Sequential):
        if input_tensors is not None:
            raise NotImplementedError("clone_model: input_tensors for a Sequential model")
        new = Sequential([copy(la) for la in model.layers], name=model.name)
        if model._input_shape is not None:
            new.build((None, *model._input_shape))
        return new
    if not isinstance(model, Functional) or model._kind() != "functional":
        if clone_function is not None or input_tensors is not None:
            raise NotImplementedError(
                "clone_model: clone_function / input_tensors need a Sequential or functional model"
            )
        return type(model).from_config(model.get_config())
    if input_tensors is None:
        new_inputs = [Input(batch_shape=t.shape, name=t.node.layer.name) for t in model._inputs]
    else:
        new_inputs = (
            list(input_tensors) if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        )
        if len(new_inputs) != len(model._inputs):
            raise ValueError(
                f"clone_model: model '{model.name}' has {len(model._inputs)} inputs, got "
                f"{len(new_inputs)} input_tensors"
            )
    tensors = {id(old): new for old, new in zip(model._inputs, new_inputs)}
    copies: dict[int, Any] = {}
    for node in model._nodes:
        layer = copies.get(id(node.layer))
        if layer is None:
            layer = copies[id(node.layer)] = copy(node.layer)
        ins = [tensors[id(t)] for t in node.input_tensors]
        multi = len(ins) > 1 or getattr(node.layer, "_multi_input", False)
        out = layer(ins if multi else ins[0])
        outs = out if isinstance(out, (list, tuple)) else [out]
        for old, new in zip(node.output_tensors, outs):
            tensors[id(old)] = new
    ins = model._pack(new_inputs, model._input_keys)
    outs = model._pack([tensors[id(t)] for t in model._outputs], model._output_keys)
    return Functional(ins, outs, name=model.name)
