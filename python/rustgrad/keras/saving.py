"""Weights to and from files (.npz or .safetensors): atomic writes, no pickle, checked before assigning."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

FORMATS = (".npz", ".safetensors")


def _slots(model: Any) -> list[tuple[Any, int, np.ndarray]]:
    """(layer, index within the layer, writable view) for every weight, in get_weights' order
    (nested models opened, a shared layer once)."""
    return [
        (layer, j, w.numpy()) for layer in model._flat_layers() for j, w in enumerate(layer.weights)
    ]


def assign(model: Any, arrays: list, source: str) -> None:
    """Write `arrays` into the model; every count and shape is checked first, so a bad input
    leaves the model unchanged."""
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


def _safetensors_bytes(named: dict[str, np.ndarray]) -> bytes:
    header: dict[str, Any] = {"__metadata__": {"format": "rustgrad"}}
    offset, blobs = 0, []
    for key, a in named.items():
        blob = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[key] = {
            "dtype": "F32",
            "shape": list(a.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        offset += len(blob)
        blobs.append(blob)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # the format pads the header to 8 bytes
    return len(head).to_bytes(8, "little") + head + b"".join(blobs)


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Write all weights to a temporary file beside `filepath`, fsync it, then rename it into place,
    so a crash leaves the old file or the new one, never a partial one."""
    path = Path(os.fspath(filepath))
    fmt = _format(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists and overwrite=False")
    named = dict(zip(_keys(model), model.get_weights()))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if fmt == ".npz":
                np.savez(f, **named)
            else:
                f.write(_safetensors_bytes(named))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable; not every platform allows opening a directory
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    raw = path.read_bytes()
    if len(raw) < 8:
        raise ValueError("shorter than the 8-byte header length")
    n = int.from_bytes(raw[:8], "little")
    if 8 + n > len(raw):
        raise ValueError(f"header of {n} bytes runs past the end of the {len(raw)}-byte file")
    header = json.loads(raw[8 : 8 + n])
    body = memoryview(raw)[8 + n :]
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        if info.get("dtype") != "F32":
            raise ValueError(f"tensor '{key}' has dtype {info.get('dtype')}, expected F32")
        start, stop = info["data_offsets"]
        shape = tuple(int(d) for d in info["shape"])
        if stop > len(body) or stop - start != 4 * math.prod(shape):
            raise ValueError(f"tensor '{key}' of shape {shape} does not fit the file's data")
        out[key] = np.frombuffer(body[start:stop], dtype="<f4").reshape(shape).astype(np.float32)
    return out


def _read(path: Path) -> dict[str, np.ndarray]:
    fmt = _format(path)
    if not path.exists():
        raise FileNotFoundError(f"no weights file at {path}")
    try:
        if fmt == ".safetensors":
            return _read_safetensors(path)
        with np.load(path, allow_pickle=False) as z:  # never unpickle a file's contents
            return {k: z[k] for k in z.files}
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
