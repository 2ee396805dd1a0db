"""Models with Python code in them, run by the eager engine (keras/eager.py): a `keras.Model`
subclass with its own `call`, and a functional model holding a custom layer (its traced graph is
walked node by node on Tensors). model.py and functional.py hand over to these."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad.keras.eager import EagerEngine
from rustgrad.keras.layers import subclassing as sub


def _engine_for(model: Any, forward: Any) -> EagerEngine:
    return EagerEngine(
        forward=forward,
        trainable=lambda: model.trainable_weights,
        weights=lambda: model.weights,
        added_losses=lambda: model._take_losses(),
    )


# ---- keras.Model subclasses -------------------------------------------------------------------
def engine(model: Any) -> EagerEngine:
    """The subclass's engine: its `call` on the batch's Tensors."""
    if model._core is None:

        def forward(xs: list, training: bool) -> list:
            out = model._call_custom(xs[0] if len(xs) == 1 else xs, training)
            record_shapes(model, out)
            return sub.flat_tensors(out)

        model._core = _engine_for(model, forward)
    return model._core


def record_shapes(model: Any, out: Any) -> None:
    outs = sub.flat_tensors(out)
    model._sub_output_shapes = [(None, *o.shape[1:]) for o in outs]
    model.output_shape = model._sub_output_shapes[0] if len(outs) == 1 else model._sub_output_shapes


def ensure_built(model: Any, data_shape: tuple) -> None:
    """Build a subclass from the first data's shape: its layers build on one sample of zeros."""
    # A model first called as `model(x)` has its output shapes but no recorded input shape
    # (Model.__call__ records only outputs), so it is probed here too; else fit's input check
    # raised "not built yet" on a model that was built.
    if not (
        getattr(model, "_sub_input_shape", None) and getattr(model, "_sub_output_shapes", None)
    ):
        model._sub_input_shape = (None, *data_shape[1:])
        probe = np.zeros((1, *data_shape[1:]), np.float32)
        record_shapes(model, model._call_custom(probe, False))
        model._take_losses()  # the probe's losses are not training's
    # compile() before the first call left the losses per output to match now.
    spec = model.__dict__.get("_compile_spec")
    if model._losses is None and spec is not None and spec[0] is not None:
        model._resolve_compile()


def input_shapes(model: Any) -> list[tuple]:
    shape = getattr(model, "_sub_input_shape", None)
    if shape is None:
        raise AttributeError(f"model '{model.name}' is not built yet: call it on data first")
    return [shape]


def output_shapes(model: Any) -> list[tuple]:
    shapes = getattr(model, "_sub_output_shapes", None)
    if shapes is None:
        raise AttributeError(f"model '{model.name}' is not built yet: call it on data first")
    return list(shapes)


_FUNCTIONAL: dict = {}


def functional_arguments(args: tuple, kwargs: dict) -> bool:
    """Keras' test for `Model(inputs, outputs)` (positional or keyword)."""
    return (
        len(args) == 2
        or (len(args) == 1 and "outputs" in kwargs)
        or ("inputs" in kwargs and "outputs" in kwargs)
    )


def functional_class(cls: type, functional: type) -> type:
    """`cls` mixed with Functional (made once per class), for `cls(inputs, outputs)`."""
    if cls not in _FUNCTIONAL:
        _FUNCTIONAL[cls] = type(cls.__name__, (cls, functional), {"__module__": cls.__module__})
    return _FUNCTIONAL[cls]


# ---- functional models with a custom layer ------------------------------------------------------
def needs_eager(model: Any) -> bool:
    """Whether some layer of the functional graph (nested models opened) runs Python code: a
    custom `call`, or a weight constraint written in Python (applied after each update)."""
    for layer in model.layers:
        if hasattr(layer, "_nodes"):
            if needs_eager(layer):
                return True
        elif layer._is_custom() or python_constraints(layer):
            return True
    return False


def python_constraints(layer: Any) -> list[str]:
    wo = layer.__dict__.get("_weight_options")
    return wo.python_constraints() if wo is not None else []


def graph_engine(model: Any) -> EagerEngine:
    """A functional model's graph run node by node on Tensors (built-in layers still in Rust)."""

    def forward(xs: list, training: bool) -> list:
        values = {id(t): v for t, v in zip(model._inputs, xs)}
        for node in model._nodes:
            args = [values[id(t)] for t in node.input_tensors]
            out = node.layer(args if len(args) > 1 else args[0], training=training)
            for t, v in zip(node.output_tensors, sub.flat_tensors(out)):
                values[id(t)] = v
        return [values[id(t)] for t in model._outputs]

    return _engine_for(model, forward)
