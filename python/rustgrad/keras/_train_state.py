"""What a checkpoint must hold besides the weights for training to resume exactly, as flat named
arrays for files: the optimizer's step count as Keras shows it (`optimizer.iterations`), the state
of fit's engine (its slots, positions following the trainable weights) and that of
apply_gradients (custom loops and train_step overrides), and the position of every layer's random
stream (Dropout masks, noise, augmentation)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _flatten(prefix: str, state: dict | None, out: dict) -> None:
    if state is None:
        return
    out[f"{prefix}/iterations"] = np.array(state["iterations"], np.int64)
    for name, vecs in state["slots"].items():
        out[f"{prefix}/{name}/count"] = np.array(len(vecs), np.int64)
        for i, v in enumerate(vecs):
            if v is not None:
                out[f"{prefix}/{name}/{i}"] = np.asarray(v, np.float32)


def _unflatten(prefix: str, arrays: dict) -> dict | None:
    key = f"{prefix}/iterations"
    if key not in arrays:
        return None
    slots: dict[str, list] = {}
    for k in sorted(arrays):
        parts = k.split("/")
        if len(parts) == 3 and parts[0] == prefix and parts[2] == "count":
            slots[parts[1]] = [
                arrays.get(f"{prefix}/{parts[1]}/{i}") for i in range(int(arrays[k]))
            ]
    return {"iterations": int(arrays[key]), "slots": slots}


def _random_layers(model: Any) -> list[tuple[str, Any]]:
    """(key, core layer) for every layer that draws random numbers, keyed by position and class
    (not name: a model rebuilt in the same process gets new layer names)."""
    out = []
    for k, layer in enumerate(model._flat_layers()):
        core = getattr(layer, "core", None)
        if core is not None and core.random_state() is not None:
            out.append((f"random/{k:04d}.{type(layer).__name__}", core))
    return out


def random_streams(model: Any) -> dict[str, list[int]]:
    """Each random layer's stream position, by the keys of `_random_layers`."""
    return {key: list(core.random_state()) for key, core in _random_layers(model)}


def set_random_streams(model: Any, streams: dict) -> None:
    """Continue every random layer's stream; the saved layers must be this model's."""
    layers = _random_layers(model)
    if sorted(streams) != [k for k, _ in layers]:
        raise ValueError(
            f"training state: the random layers saved ({sorted(streams)}) are not this model's "
            f"({[k for k, _ in layers]})"
        )
    for key, core in layers:
        core.set_random_state([int(v) for v in streams[key]])


def resume_point(model: Any) -> dict:
    """Where fit stands: the epochs finished and the seed its shuffles come from (fit draws one
    per call; a resumed fit with initial_epoch at this epoch reuses it, see training.fit)."""
    return {
        "epoch": int(getattr(model, "_epoch_reached", 0)),
        "fit_seed": int(getattr(model, "_fit_seed", 0) or 0),
    }


def arrays(model: Any) -> dict[str, np.ndarray]:
    """Every piece of training state besides the weights, as arrays named for an .npz file."""
    opt = model.optimizer
    out = {"iterations": np.array(int(opt.iterations), np.int64)}
    _flatten("engine", model._engine().optimizer_state(), out)
    _flatten("loop", opt._loop_state(), out)
    for key, core in _random_layers(model):
        out[key] = np.array(core.random_state(), np.uint64)
    return out


def restore(model: Any, named: dict[str, np.ndarray]) -> None:
    """Continue from arrays made by `arrays`; every slot and stream is checked before any is set."""
    if "iterations" not in named:
        raise ValueError("training state: no 'iterations' entry")
    streams = {k: named[k] for k in named if k.startswith("random/")}
    if sorted(streams) != [k for k, _ in _random_layers(model)]:
        set_random_streams(model, streams)  # raises, naming both lists, before anything is set
    engine = _unflatten("engine", named)
    if engine is not None:
        model._engine().set_optimizer_state(engine)
    model.optimizer._set_loop_state(_unflatten("loop", named))
    model.optimizer.iterations = int(named["iterations"])
    set_random_streams(model, streams)
