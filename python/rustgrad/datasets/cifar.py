"""CIFAR readers: binary version (fixed-size records), python version (restricted unpickler)."""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .checksums import Pin, check_bytes
from .errors import DatasetCorruptError, UnsafePickleError

IMAGE_BYTES = 3 * 32 * 32  # one image: 1024 red, then 1024 green, then 1024 blue bytes, row-major


def _expected(pin: Pin | None) -> str:
    return (
        f" ({pin.describe()})" if pin is not None else " (no published checksum: structure-checked)"
    )


def _read(path: Path, pin: Pin | None) -> bytes:
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        data = f.read()
    check_bytes(path, data, st, pin)
    return data


def _to_hwc(flat: np.ndarray) -> np.ndarray:
    # Files store channel planes (CHW); Keras returns channels-last, so transpose once here.
    return np.ascontiguousarray(flat.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))


def _check_labels(labels: np.ndarray, classes: Sequence[int], label: object, pin) -> None:
    for col, n in enumerate(classes):
        if labels.size and int(labels[:, col].max()) >= n:
            bad = int(labels[:, col].max())
            raise DatasetCorruptError(
                f"{label}: label {bad} in column {col} is out of range 0..{n - 1}{_expected(pin)}"
            )


def parse_binary(
    data: bytes,
    classes: Sequence[int],
    records: int | None = None,
    label: object = "<bytes>",
    pin: Pin | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode binary-version records: len(classes) label bytes, then 3072 pixel bytes.

    CIFAR-10 has one label byte (10 classes); CIFAR-100 a coarse (20) then a fine (100) byte.
    Returns images (n, 32, 32, 3) uint8 and labels (n, len(classes)) uint8.
    """
    size = len(classes) + IMAGE_BYTES
    n, rest = divmod(len(data), size)
    if not data or rest or (records is not None and n != records):
        want = f"{records} records = {records * size} bytes" if records else f"a multiple of {size}"
        raise DatasetCorruptError(
            f"{label}: {len(data)} bytes, expected {want} ({size}-byte records); the file is "
            f"truncated or not a CIFAR binary batch{_expected(pin)}"
        )
    table = np.frombuffer(data, dtype=np.uint8).reshape(n, size)
    labels = table[:, : len(classes)].copy()
    _check_labels(labels, classes, label, pin)
    return _to_hwc(table[:, len(classes) :]), labels


def read_binary(
    path: Path, classes: Sequence[int], records: int | None = None, pin: Pin | None = None
) -> tuple[np.ndarray, np.ndarray]:
    path = Path(path)
    return parse_binary(_read(path, pin), classes, records, path, pin)


def _reconstruct() -> Any:
    try:  # numpy >= 2 moved the implementation to numpy._core
        from numpy._core.multiarray import _reconstruct as fn
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct as fn
    return fn


# Exactly what a pickled numpy array needs: the rebuild function, the array type and dtype.
# Both module spellings occur: numpy 1.x (and Python 2, which wrote the CIFAR files) and numpy 2.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct(),
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct(),
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves no global outside _ALLOWED, so loading cannot run code."""

    def __init__(self, data: bytes, label: object) -> None:
        # encoding="bytes": the files were written by Python 2; its str become bytes, as the
        # publisher's own loading instructions say.
        super().__init__(io.BytesIO(data), encoding="bytes")
        self._label = label

    def find_class(self, module: str, name: str) -> Any:
        obj = _ALLOWED.get((module, name))
        if obj is None:
            raise UnsafePickleError(
                f"{self._label}: refusing to unpickle: the file references the global "
                f"{module}.{name}, but a CIFAR python batch only contains dicts, lists, strings "
                "and numpy uint8 arrays. It is not a genuine CIFAR file and loading it could run "
                "arbitrary code. Use the binary version (cifar-*-bin / cifar-100-binary) instead."
            )
        return obj

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"{self._label}: refusing to unpickle a persistent id")


def read_pickle(path: Path, pin: Pin | None = None) -> dict[str, Any]:
    """Load a CIFAR python-version batch as a dict with str keys, never resolving other globals."""
    path = Path(path)
    data = _read(path, pin)
    try:
        obj = _RestrictedUnpickler(data, path).load()
    except UnsafePickleError:
        raise
    except Exception as exc:  # any failure to decode untrusted bytes means the file is bad
        raise DatasetCorruptError(
            f"{path}: not a readable CIFAR python batch ({type(exc).__name__}: {exc})"
            + _expected(pin)
        ) from exc
    if not isinstance(obj, dict):
        raise DatasetCorruptError(f"{path}: holds a {type(obj).__name__}, expected a dict")
    return {(k.decode("latin-1") if isinstance(k, bytes) else str(k)): v for k, v in obj.items()}


def parse_python_batch(
    batch: dict[str, Any],
    label_keys: Sequence[str],
    classes: Sequence[int],
    records: int | None = None,
    label: object = "<batch>",
    pin: Pin | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, 32, 32, 3) and labels (n, len(label_keys)) uint8 from an unpickled batch dict."""
    data = batch.get("data")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise DatasetCorruptError(f"{label}: 'data' is not a 2-D uint8 array{_expected(pin)}")
    n = data.shape[0]
    if data.shape[1] != IMAGE_BYTES or (records is not None and n != records):
        raise DatasetCorruptError(
            f"{label}: 'data' has shape {data.shape}, expected ({records or 'n'}, {IMAGE_BYTES})"
        )
    columns = []
    for key in label_keys:
        values = batch.get(key)
        if not isinstance(values, (list, np.ndarray)) or len(values) != n:
            raise DatasetCorruptError(f"{label}: '{key}' is not a list of {n} labels")
        try:
            col = np.asarray(values, dtype=np.int64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise DatasetCorruptError(f"{label}: '{key}' holds non-integer labels") from exc
        if col.ndim != 1 or (n and int(col.min()) < 0):
            raise DatasetCorruptError(f"{label}: '{key}' holds negative or nested labels")
        columns.append(col)
    labels = np.stack(columns, axis=1) if n else np.zeros((0, len(label_keys)), np.int64)
    _check_labels(labels, classes, label, pin)
    return _to_hwc(data), labels.astype(np.uint8)
