"""IDX reader (the MNIST file format): gzipped or raw, header checked against the file length."""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from .checksums import Pin, check_bytes
from .errors import DatasetCorruptError

GZIP_MAGIC = b"\x1f\x8b"
IMAGES_MAGIC = 0x00000803  # uint8, 3 dimensions
LABELS_MAGIC = 0x00000801  # uint8, 1 dimension

# Third magic byte -> element type; IDX stores multi-byte values big-endian.
_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _expected(pin: Pin | None) -> str:
    return f" ({pin.describe()})" if pin is not None else ""


def read_content(
    path: Path, pin: Pin | None = None, label: object = None
) -> tuple[bytes, os.stat_result]:
    """The file's content, gunzipped if it starts with the gzip magic, and the fstat it was read at.

    The magic decides, not the suffix: a raw file named .gz or a gzip without .gz both load.
    """
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        data = f.read()
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            # Truncation ends the stream early; a flipped byte fails the deflate or CRC-32 check.
            raise DatasetCorruptError(
                f"{label or path}: damaged gzip stream ({exc}){_expected(pin)}; "
                "delete or replace the file"
            ) from exc
    return data, st


def _corrupt(label: object, why: str, pin: Pin | None) -> DatasetCorruptError:
    return DatasetCorruptError(f"{label}: {why}{_expected(pin)}")


def parse_idx(
    data: bytes, label: object = "<bytes>", expect_magic: int | None = None, pin=None
) -> np.ndarray:
    """Decode IDX bytes into a writable native-endian array; every size is checked exactly."""
    if len(data) < 4:
        why = "empty file (0 bytes)" if not data else f"only {len(data)} bytes"
        raise _corrupt(label, f"{why}, too short for an IDX header", pin)
    magic = int.from_bytes(data[:4], "big")
    if expect_magic is not None and magic != expect_magic:
        raise _corrupt(
            label, f"wrong magic number 0x{magic:08x}, expected 0x{expect_magic:08x}", pin
        )
    code, ndim = data[2], data[3]
    if data[:2] != b"\0\0" or code not in _DTYPES or ndim == 0:
        raise _corrupt(label, f"not an IDX file (magic number 0x{magic:08x})", pin)
    header = 4 + 4 * ndim
    if len(data) < header:
        raise _corrupt(label, f"truncated header: {len(data)} bytes, needs {header}", pin)
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_DTYPES[code])
    count = 1
    for d in dims:
        count *= d  # Python ints: a forged header cannot overflow the size check
    expected = header + count * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "trailing bytes"
        raise _corrupt(
            label,
            f"{what}: dimensions {dims} need {expected} bytes, the content has {len(data)}",
            pin,
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    # astype copies: the result is writable (frombuffer on bytes is not) and native-endian.
    return arr.astype(dtype.newbyteorder("="))


def read_idx(path: Path, expect_magic: int | None = None, pin: Pin | None = None) -> np.ndarray:
    """Read an IDX file, checking `pin` (digest of the raw content) before decoding anything.

    Args:
        path: the file, gzipped or raw.
        expect_magic: None, or the IDX magic number the file must have.
        pin: None, or the expected digest.

    Returns:
        numpy.ndarray: the array the file holds.

    Raises:
        DatasetCorruptError: for a truncated, damaged or mismatching file (the message names it).
    """
    path = Path(path)
    data, st = read_content(path, pin)
    check_bytes(path, data, st, pin)
    return parse_idx(data, path, expect_magic, pin)
