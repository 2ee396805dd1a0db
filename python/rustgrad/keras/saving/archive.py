"""Keras 3's `.keras` archive: a zip of `metadata.json` (keras_version, date_saved), `config.json`
(the serialized model with its compile_config) and `model.weights.h5` (h5_weights.py). rustgrad
also writes into metadata.json the SHA-256 of the other members, so a damaged archive is refused
naming the member; archives without it (written by Keras) still load. Written atomically."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

from rustgrad import _files
from rustgrad.keras import _train_state
from rustgrad.keras.saving import h5_weights, serialization

__all__ = ["load_model", "read_weights", "save_model"]

KERAS_VERSION = "3.15.1"  # the Keras release whose format this follows (tested against it)
_MEMBERS = ("config.json", "model.weights.h5")


def _weights_bytes(model: Any, include_optimizer: bool) -> bytes:
    buf = io.BytesIO()
    with h5_weights.open_file(buf, "w") as h5:
        h5_weights.write(model, h5, include_optimizer=include_optimizer)
    return buf.getvalue()


def save_model(model: Any, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
    """`model.save("m.keras")`."""
    include_optimizer = kwargs.pop("include_optimizer", True)
    zipped = kwargs.pop("zipped", None)
    if kwargs:
        raise NotImplementedError(f"model.save: arguments {sorted(kwargs)} are not supported")
    if zipped is False:
        raise NotImplementedError("model.save: zipped=False (an unzipped folder) is not supported")
    path = Path(os.fspath(filepath))
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists and overwrite=False")
    config = serialization.serialize_keras_object(model)
    if not include_optimizer:
        config.pop("compile_config", None)
    members = {
        "config.json": json.dumps(config).encode(),
        "model.weights.h5": _weights_bytes(model, include_optimizer),
    }
    rustgrad: dict[str, Any] = {
        "sha256": {k: hashlib.sha256(v).hexdigest() for k, v in members.items()}
    }
    if include_optimizer:  # what resuming needs besides weights and optimizer: see _train_state
        rustgrad["random"] = _train_state.random_streams(model)
        rustgrad["resume"] = _train_state.resume_point(model)
    metadata = {
        "keras_version": KERAS_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "rustgrad": rustgrad,
    }

    def write(f: Any) -> None:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("metadata.json", json.dumps(metadata))
            for name, data in members.items():
                z.writestr(name, data)

    _files.atomic_write(path, write)


def _members(path: Path) -> dict[str, bytes]:
    """The archive's checked members; ValueError naming the file (and member) otherwise."""
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            missing = [n for n in ("metadata.json", *_MEMBERS) if n not in names]
            if missing:
                raise ValueError(f"the archive has no {', '.join(missing)}")
            data = {n: z.read(n) for n in ("metadata.json", *_MEMBERS)}
    except Exception as e:  # zipfile raises zlib.error, EOFError, ... for damaged bytes
        raise ValueError(
            f"cannot read model from '{path}': {e} (truncated, damaged, or not a .keras file)"
        ) from e
    try:
        metadata = json.loads(data["metadata.json"])
    except ValueError as e:
        raise ValueError(f"cannot read model from '{path}': metadata.json is damaged: {e}") from e
    sealed = (metadata.get("rustgrad") or {}).get("sha256") if isinstance(metadata, dict) else None
    for name, digest in (sealed or {}).items():
        if name in data and hashlib.sha256(data[name]).hexdigest() != digest:
            raise ValueError(
                f"cannot read model from '{path}': {name} is damaged (its SHA-256 differs from "
                "the one it was written with)"
            )
    return data


def _read_h5(model: Any, raw: bytes, source: str, load_optimizer: bool) -> None:
    try:
        h5 = h5_weights.open_file(io.BytesIO(raw), "r")
    except Exception as e:
        raise ValueError(f"{source}: model.weights.h5 is not a readable HDF5 file: {e}") from e
    with h5:
        h5_weights.read(model, h5, source, load_optimizer=load_optimizer)


def load_model(
    filepath: Any, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True
) -> Any:
    """A model from a `.keras` archive: architecture, weights, and (compile=True) its compile
    config and optimizer state."""
    path = Path(os.fspath(filepath))
    data = _members(path)
    source = f"load_model('{path}')"
    try:
        config = json.loads(data["config.json"])
    except ValueError as e:
        raise ValueError(f"{source}: config.json is damaged: {e}") from e
    if not compile:
        config.pop("compile_config", None)
    if not isinstance(config, dict):
        raise ValueError(f"{source}: config.json does not hold a model config")  # noqa: TRY004
    model = serialization.deserialize_keras_object(
        config, custom_objects=custom_objects, safe_mode=safe_mode
    )
    _read_h5(model, data["model.weights.h5"], source, load_optimizer=compile)
    extra = json.loads(data["metadata.json"]).get("rustgrad") or {}
    if compile and "random" in extra:
        try:
            _train_state.set_random_streams(model, extra["random"])
        except (ValueError, TypeError, OverflowError) as e:
            raise ValueError(f"{source}: metadata.json's random streams are damaged: {e}") from e
    if compile and isinstance(extra.get("resume"), dict):
        model._resume_point = {k: int(v) for k, v in extra["resume"].items()}
    return model


def read_weights(model: Any, filepath: Any) -> None:
    """`model.load_weights("m.keras")`: the weights of an archive (not its optimizer)."""
    path = Path(os.fspath(filepath))
    data = _members(path)
    _read_h5(model, data["model.weights.h5"], f"load_weights('{path}')", load_optimizer=False)
