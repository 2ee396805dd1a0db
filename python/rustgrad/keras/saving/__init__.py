"""keras.saving: model files (.keras archives, tf.keras 2's legacy .h5 read-only), weights files
(Keras' .weights.h5, rustgrad's sealed .npz / .safetensors), and Keras 3's serialization of
objects (serialize_keras_object, register_keras_serializable, custom_object_scope).

weights_files.py holds .npz / .safetensors; h5_layout.py and h5_weights.py Keras' HDF5 layout;
archive.py the .keras zip; legacy_h5.py tf.keras 2's files; serialization.py, registry.py and
model_config.py the JSON configs."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from rustgrad import _files
from rustgrad.keras.saving import archive, h5_weights, legacy_h5
from rustgrad.keras.saving.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from rustgrad.keras.saving.serialization import deserialize_keras_object, serialize_keras_object
from rustgrad.keras.saving.weights_files import FORMATS, assign

__all__ = [
    "CustomObjectScope",
    "assign",
    "check_format",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]

H5_WEIGHTS = ".weights.h5"


def _is_h5_weights(path: Any) -> bool:
    return str(os.fspath(path)).lower().endswith(H5_WEIGHTS)


def check_format(filepath: Any) -> str:
    """The weights format a file name asks for ('.npz', '.safetensors', '.weights.h5').

    Args:
        filepath: the file name.

    Returns:
        str: the suffix of the format.

    Raises:
        ValueError: for another suffix.
    """
    if _is_h5_weights(filepath):
        return H5_WEIGHTS
    from rustgrad.keras.saving import weights_files

    suffix = Path(os.fspath(filepath)).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the weights format of '{os.fspath(filepath)}': use a file name ending "
            f"in {H5_WEIGHTS}, {' or '.join(FORMATS)}"
        )
    return weights_files.check_format(filepath)


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """All weights, atomically: Keras' .weights.h5 (with the optimizer, as Keras), or .npz /
    .safetensors.

    Args:
        model: the Model.
        filepath: the file, its suffix naming the format.
        overwrite: replace an existing file.

    Raises:
        ValueError: for an unknown suffix.
        FileExistsError: when the file exists and overwrite is False.
    """
    from rustgrad.keras.saving import weights_files

    check_format(filepath)
    if not _is_h5_weights(filepath):
        weights_files.save_weights(model, filepath, overwrite=overwrite)
        return
    path = Path(os.fspath(filepath))
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists and overwrite=False")
    raw = h5_weights.sealed_file_bytes(lambda h5: h5_weights.write(model, h5))
    _files.atomic_write(path, lambda f: f.write(raw))


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False) -> None:
    """Weights from .weights.h5, .keras, legacy .h5, .npz or .safetensors; the model is left
    unchanged unless every count and shape fits.

    Args:
        model: the Model.
        filepath: the file.
        skip_mismatch: only False.

    Raises:
        NotImplementedError: when skip_mismatch is True.
        FileNotFoundError: when the file does not exist.
        ValueError: when the file is damaged or does not fit the model.
    """
    from rustgrad.keras.saving import weights_files

    if skip_mismatch:
        raise NotImplementedError("load_weights: skip_mismatch=True is not supported")
    name = str(os.fspath(filepath)).lower()
    if name.endswith(".keras"):
        archive.read_weights(model, filepath)
    elif _is_h5_weights(filepath):
        path = Path(os.fspath(filepath))
        if not path.exists():
            raise FileNotFoundError(f"no weights file at {path}")
        source = f"load_weights('{path}')"
        raw = path.read_bytes()
        h5_weights.check_file_bytes(raw, source)
        try:
            h5 = h5_weights.open_file(io.BytesIO(raw), "r")
        except Exception as e:
            raise ValueError(
                f"{source}: not a readable HDF5 file (truncated, damaged or another format): {e}"
            ) from e
        with h5:
            h5_weights.read(model, h5, source, load_optimizer=False)
    elif name.endswith((".h5", ".hdf5")):
        legacy_h5.load_weights(model, filepath)
    else:
        weights_files.load_weights(model, filepath)


def save_model(model: Any, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
    """Save `model` as a Keras 3 `.keras` archive, as keras.saving.save_model.

    Args:
        model: the Model.
        filepath: a path ending in `.keras`.
        overwrite: replace an existing file.
        **kwargs: include_optimizer (True); zipped=False is refused.

    Raises:
        ValueError: for another suffix.
        NotImplementedError: for a legacy `.h5` path, zipped=False or other keywords.
        FileExistsError: when the file exists and overwrite is False.
    """
    name = str(os.fspath(filepath)).lower()
    if name.endswith(".keras"):
        archive.save_model(model, filepath, overwrite=overwrite, **kwargs)
        return
    if name.endswith((".h5", ".hdf5")):
        raise NotImplementedError(
            f"saving '{os.fspath(filepath)}': the legacy .h5 model format is read-only in "
            "rustgrad; save to a .keras file (model.save('m.keras'))"
        )
    raise ValueError(
        "Invalid filepath extension for saving. Please add either a `.keras` extension for the "
        f"native Keras format (recommended) or a `.h5` extension. Received: filepath={filepath}"
    )


def load_model(
    filepath: Any, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True
) -> Any:
    """A model from a .keras archive or a tf.keras 2 .h5 file, as keras.models.load_model.

    Args:
        filepath: the file.
        custom_objects: custom classes and functions by name.
        compile: restore the compile state (optimizer, loss, metrics) too.
        safe_mode: refuse code in the file (a Lambda layer's function), as Keras.

    Returns:
        Model: the model.

    Raises:
        ValueError: for another suffix, or a damaged file (the message names it).
        TypeError: for a custom class that cannot be found.
    """
    name = str(os.fspath(filepath)).lower()
    if name.endswith((".h5", ".hdf5")):
        return legacy_h5.load_model(filepath, custom_objects, compile, safe_mode)
    if not name.endswith(".keras"):
        raise ValueError(
            f"File format not supported: filepath={filepath}. Keras 3 only supports V3 `.keras` "
            "files and legacy H5 format files (`.h5` extension)."
        )
    return archive.load_model(filepath, custom_objects, compile, safe_mode)
