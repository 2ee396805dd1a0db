"""Weights to and from files (.npz or .safetensors): atomic sealed writes, no pickle, every
shape checked before assigning."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from rustgrad import _files
from rustgrad.keras import _weights_format

FORMATS = (".npz", ".safetensors")


def _slots(model: Any) -> list[tuple[Any, int, np.ndarray]]:
    """(layer, index within the layer, writable view) for every weight, in get_weights' order
    (nested models opened, a shared layer once)."""
    return [
        (layer, j, w.numpy()) for layer in model._flat_layers() for j, w in enumerate(layer.weights)
    ]


def assign(model: Any, arrays: list, source: str) -> None:
    """Write `arrays` into the model; every count and shape is checked first, so a bad input
    leaves the model unchanged.

    Args:
        model: the Model to write into.
        arrays: one array per weight, in model.get_weights() order.
        source: what the arrays came from, named in error messages (a file, "set_weights").

    Raises:
        ValueError: when the count or a shape differs (the message names the layers and shapes).
    """
    slots = _slots(model)
    if len(arrays) != len(slots):
        layers = [f"{la.name} ({len(la.weights)})" for la in model._flat_layers() if la.weights]
        raise ValueError(
            f"{source}: got {len(arrays)} weight arrays but model '{model.name}' has "
            f"{len(slots)}: {', '.join(layers) or 'no weights (is the model built?)'}"
        )
    values = []
    for (layer, j, target), value in zip(slots, arrays):
        v = np.asarray(value, dtype=np.float32)
        if v.shape != target.shape:
            raise ValueError(
                f"{source}: weight {j} of layer '{layer.name}' ({type(layer).__name__}) has shape "
                f"{v.shape} but the layer expects {target.shape}"
            )
        values.append(v)
    for (_, _, target), v in zip(slots, values):
        np.copyto(target, v)


def check_format(filepath: Any) -> str:
    """The weights format ('.npz' or '.safetensors') a file name asks for, or a ValueError."""
    return _format(Path(os.fspath(filepath)))


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the weights format of '{path}': use a file name ending in "
            f"{' or '.join(FORMATS)}"
        )
    return suffix


def _keys(model: Any) -> list[str]:
    # Zero-padded position first, so sorting the keys restores the model's weight order.
    return [f"{k:04d}.{layer.name}.{j}" for k, (layer, j, _) in enumerate(_slots(model))]


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Write all weights, sealed with their SHA-256 (see _weights_format), atomically: a crash
    leaves the old file or the new one, never a partial one."""
    path = Path(os.fspath(filepath))
    fmt = _format(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists and overwrite=False")
    raw = _weights_format.encode(dict(zip(_keys(model), model.get_weights())), fmt)
    _files.atomic_write(path, lambda f: f.write(raw))


def _read(path: Path) -> dict[str, np.ndarray]:
    fmt = _format(path)
    if not path.exists():
        raise FileNotFoundError(f"no weights file at {path}")
    try:
        return _weights_format.decode(path.read_bytes(), fmt)
    except _weights_format.DamagedFile as e:
        raise ValueError(f"cannot read weights from '{path}': {e}") from e
    except Exception as e:
        raise ValueError(
            f"cannot read weights from '{path}': {type(e).__name__}: {e} "
            f"(truncated, damaged, or not a {fmt} weights file)"
        ) from e


def load_weights(model: Any, filepath: Any) -> None:
    """Load weights saved by save_weights; the model is unchanged unless every shape fits."""
    path = Path(os.fspath(filepath))
    if not model.built:
        raise ValueError(
            f"build model '{model.name}' (or fit it once) before load_weights('{path}')"
        )
    named = _read(path)
    arrays = [named[k] for k in sorted(named)]
    assign(model, arrays, source=f"load_weights('{path}')")
