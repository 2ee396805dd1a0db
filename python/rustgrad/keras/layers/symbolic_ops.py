"""Ops on KerasTensors while a functional model is built (`inputs * 2`, `x[:, :3]`,
`keras.ops.mean(x, axis=1)`, `tf.concat([a, b], 1)`): each becomes a Lambda layer in the graph that
applies the same op to the Tensors, as Keras records ops on symbolic tensors. A model holding one
trains on the eager engine (the op runs in Python), with the same results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rustgrad.keras.layers.node import KerasTensor


def _collect(value: Any, found: list) -> None:
    if isinstance(value, KerasTensor):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect(v, found)
    elif isinstance(value, dict):
        for v in value.values():
            _collect(v, found)


def _fill(value: Any, tensors: Any) -> Any:
    """`value` with each KerasTensor replaced by the next Tensor of the iterator `tensors`."""
    if isinstance(value, KerasTensor):
        return next(tensors)
    if isinstance(value, (list, tuple)):
        return type(value)(_fill(v, tensors) for v in value)
    if isinstance(value, dict):
        return {k: _fill(v, tensors) for k, v in value.items()}
    return value


def op_layer(fn: Callable, args: tuple, kwargs: dict, name: str) -> Any:
    """`fn(*args, **kwargs)` recorded as a Lambda layer on the KerasTensors among the arguments.

    Args:
        fn: the op, applied to Tensors when the model runs.
        args: its positional arguments, KerasTensors among them (also inside lists and dicts).
        kwargs: its keyword arguments, likewise.
        name: the op's name, for the layer's name.

    Returns:
        KerasTensor: the op's symbolic result (its shape found by running the op on zeros).
    """
    from rustgrad.keras.layers.naming import auto_name
    from rustgrad.keras.layers.utility import Lambda

    symbolic: list = []
    _collect((args, kwargs), symbolic)

    def apply(inputs: Any) -> Any:
        tensors = iter(inputs if len(symbolic) > 1 else [inputs])
        a, kw = _fill((args, kwargs), tensors)
        return fn(*a, **kw)

    layer = Lambda(apply, name=auto_name(name))
    return layer(symbolic if len(symbolic) > 1 else symbolic[0])
