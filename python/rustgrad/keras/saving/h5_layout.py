"""Where Keras 3 keeps each variable in a `.weights.h5` file (also `model.weights.h5` inside a
`.keras` archive): a group per saveable object, `<path>/vars/0..n` its own variables, the path
made from the container ("layers") and the snake_case class name made unique (dense, dense_1, ...)
in Keras' layer order, attributes by name for custom layers and subclassed models; each object
is visited once (a shared layer under its first path). `optimizer/vars` holds the iteration
count, the learning rate (unless it is a schedule), then the optimizer's slots in Keras' order."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["optimizer_arrays", "saveables"]


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def _keras_snake(name: str) -> str:
    """keras.src.utils.naming.to_snake_case."""
    import re

    out = re.sub(r"\W+", "", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name))
    out = re.sub(r"([a-z])([A-Z])", r"\1_\2", out).lower()
    return out if out[0] != "_" else "private" + out


def _container(layers: list, base: str) -> list[tuple[str, Any]]:
    used: dict[str, int] = {}
    out = []
    for layer in layers:
        name = _keras_snake(type(layer).__name__)
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        out.append((_join(base, name), layer))
    return out


def _children(obj: Any, path: str) -> list[tuple[str, Any]]:
    from rustgrad.keras.layers.base import Layer
    from rustgrad.keras.models import Functional, Sequential
    from rustgrad.keras.saving.model_config import keras_order

    nested = getattr(obj, "_h5_children", None)
    if nested is not None:  # weights kept on sub-objects (an RNN's cell, Bidirectional's halves)
        return nested(path)
    if isinstance(obj, Sequential):
        return _container(obj.layers, _join(path, "layers"))
    if isinstance(obj, Functional) and obj.built:
        return _container(keras_order(obj), _join(path, "layers"))
    out = []
    attrs = sorted(vars(obj), key=lambda a: f"~{a}" if a.startswith("_") else a)
    for attr in attrs:
        value = vars(obj)[attr]
        if attr in ("optimizer", "_tracked", "_seq", "_layers", "_core_layers"):
            continue
        if isinstance(value, Layer):
            out.append((_join(path, attr), value))
        elif isinstance(value, (list, tuple, dict)):
            items = list(value.values()) if isinstance(value, dict) else list(value)
            layers = [v for v in items if isinstance(v, Layer)]
            if layers and len(layers) == len(items):
                out += _container(layers, _join(path, attr))
    return out


def own_variables(obj: Any) -> list:
    """The variables Keras' save_own_variables writes for `obj`: its trainable ones, then the
    others (a built-in layer: its parameters then its state, e.g. gamma, beta, moving stats)."""
    from rustgrad.keras.models import Model

    if hasattr(obj, "_h5_own_variables"):  # an RNN's cell: the variables of the layer's core
        return obj._h5_own_variables()
    if isinstance(obj, Model) or hasattr(obj, "_h5_children"):
        return []
    if obj.core is not None:
        return obj._variables(obj.core.params(), obj._param_names, True) + obj._variables(
            obj.core.state(), getattr(obj, "_state_names", ()), False
        )
    made = obj.__dict__.get("_made", [])
    return [w.tensor for w in made if w.trainable] + [w.tensor for w in made if not w.trainable]


def saveables(model: Any) -> list[tuple[str, Any, list]]:
    """(group path, object, its own variables) for the model and every layer under it."""
    out: list = []
    seen: set[int] = set()
    stack = [("", model)]
    while stack:
        path, obj = stack.pop(0)
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        out.append((path, obj, own_variables(obj)))
        stack[0:0] = _children(obj, path)  # depth first, in order
    return out


# Keras' optimizer variables after iteration and learning_rate: blocks of slots, each block
# interleaved per trainable variable (Adam: m0, v0, m1, v1, ...; then amsgrad's v_hat block).
_BLOCKS: dict[str, list[list[str]]] = {
    "SGD": [["momentum"]],
    "Adam": [["momentum", "velocity"], ["velocity_hat"]],
    "AdamW": [["momentum", "velocity"], ["velocity_hat"]],
    "Nadam": [["momentum", "velocity"]],
    "Lamb": [["momentum", "velocity"]],
    "Adamax": [["momentum", "norm"]],
    "RMSprop": [["velocity"], ["momentum"], ["average_gradient"]],
    "Adagrad": [["accumulator"]],
    "Adadelta": [["accumulated_grad", "accumulated_delta_var"]],
    "Ftrl": [["accumulator", "linear"]],
    "Lion": [["momentum"]],
}


_OPTIONAL = {  # slots an optimizer has only in some configurations
    "velocity_hat": lambda o: bool(getattr(o, "amsgrad", False)),
    "average_gradient": lambda o: bool(getattr(o, "centered", False)),
}


def blocks(optimizer: Any, slots: dict) -> list[list[str]]:
    """The slot blocks `optimizer`'s configuration has, in Keras' order."""
    kind = type(optimizer).__name__
    table = _BLOCKS.get(kind, [[k] for k in slots if k != "average"])
    if getattr(optimizer, "use_ema", False):
        table = [["average"], *table]

    def present(name: str) -> bool:
        if name == "momentum" and kind in ("SGD", "RMSprop"):
            return float(getattr(optimizer, "momentum", 0.0) or 0.0) != 0.0
        return _OPTIONAL.get(name, lambda o: True)(optimizer)

    return [b for b in table if all(present(k) for k in b)]


def keras_trainable(model: Any) -> list:
    """The trainable weights in Keras' order (its model.trainable_variables)."""
    frozen = model._frozen()

    def top(
        obj: Any,
    ) -> Any:  # the layer a model lists, for an RNN's cell or Bidirectional's halves
        while getattr(obj, "_h5_owner", None) is not None:
            obj = obj._h5_owner
        return obj

    return [
        w
        for _, obj, own in saveables(model)
        if not frozen.get(id(top(obj))) and getattr(obj, "trainable", True)
        for w in own
        if getattr(w, "trainable", True)
    ]


def _nadam_u_product(optimizer: Any, iterations: int) -> float:
    beta_1 = float(getattr(optimizer, "beta_1", 0.9))
    u = 1.0
    for t in range(1, iterations + 1):
        u *= beta_1 * (1.0 - 0.5 * 0.96 ** (0.004 * t))
    return u


def has_lr_variable(optimizer: Any) -> bool:
    """Keras keeps the learning rate as a variable unless it is a schedule (computed per step)."""
    from rustgrad.keras.optimizers.schedules import LearningRateSchedule

    return not isinstance(optimizer._base_lr(), LearningRateSchedule)


def eager(model: Any) -> bool:
    """Whether the model trains on the eager path (a Python loss, a stateful or wrapped metric):
    then its optimizer holds the step count and slots, not the engine, which is never compiled."""
    from rustgrad.keras import custom_step

    return custom_step.python_step(model)


def optimizer_state(model: Any, template: bool = False) -> dict | None:
    """The step count and slots of the model's optimizer, wherever its steps keep them (None before
    compile, or on the eager path before its first step). With `template`, a state with every slot
    name even before a first step (for loading into)."""
    if not model._core_compiled:
        return None
    if not eager(model):
        return model._engine().optimizer_state()
    opt = model.optimizer
    state = opt._loop_state()
    if state is None and template:
        from rustgrad import _core

        state = _core.Optimizer(opt.core_name, **opt.core_kwargs()).state()
    return state


def set_optimizer_state(model: Any, state: dict) -> None:
    """Give the model's optimizer (the engine's, or on the eager path its own) this state."""
    if eager(model):
        model.optimizer._set_loop_state(state)
    else:
        model._engine().set_optimizer_state(state)


def optimizer_arrays(model: Any) -> list[np.ndarray]:
    """`optimizer/vars/0..` of the model's optimizer, as Keras 3 writes them."""
    opt = model.optimizer
    state = optimizer_state(model)
    iterations = int(opt.iterations)
    out = [np.array(iterations, np.int64)]
    if has_lr_variable(opt):
        out.append(np.array(float(opt.lr_at(iterations)), np.float32))
    if state is None:
        return out
    engine_order = model.trainable_weights
    position = {id(w): i for i, w in enumerate(engine_order)}
    keras = keras_trainable(model)
    present = blocks(opt, state["slots"])
    if any(len(state["slots"].get(n) or []) != len(engine_order) for b in present for n in b):
        return out  # no step yet: Keras' unbuilt optimizer has no slot variables
    for block in present:
        for w in keras:
            for name in block:
                value = state["slots"][name][position[id(w)]]
                out.append(np.asarray(value, np.float32).reshape(w.numpy().shape))
    if type(opt).__name__ == "Nadam":
        out.append(np.array(_nadam_u_product(opt, iterations), np.float32))
    return out
