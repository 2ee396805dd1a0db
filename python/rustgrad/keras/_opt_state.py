"""A compiled model's whole optimizer state as flat named arrays, for files: the step count Keras
shows (`optimizer.iterations`), the state of fit's engine (its slots, positions following the
trainable weights) and that of apply_gradients (custom loops and train_step overrides)."""

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


def arrays(model: Any) -> dict[str, np.ndarray]:
    """Every piece of `model.optimizer`'s state, as arrays named for an .npz file."""
    opt = model.optimizer
    out = {"iterations": np.array(int(opt.iterations), np.int64)}
    _flatten("engine", model._engine().optimizer_state(), out)
    _flatten("loop", opt._loop_state(), out)
    return out


def restore(model: Any, named: dict[str, np.ndarray]) -> None:
    """Continue from arrays made by `arrays`; the engine checks every slot against the weights."""
    if "iterations" not in named:
        raise ValueError("optimizer state: no 'iterations' entry")
    engine = _unflatten("engine", named)
    if engine is not None:
        model._engine().set_optimizer_state(engine)
    model.optimizer._set_loop_state(_unflatten("loop", named))
    model.optimizer.iterations = int(named["iterations"])
