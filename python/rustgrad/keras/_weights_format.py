"""The bytes of a weights file (.npz or .safetensors), each sealed with a SHA-256 of the file.

The digest covers every byte of the file except the 64 hex digits that hold it, so any changed
byte is found, not only those of the data (a zip's CRCs miss its headers; safetensors has none):
- .npz: a zip whose comment is `rustgrad-sha256:` and the digest (zip readers ignore comments);
- .safetensors: `__metadata__` holds `"format": "rustgrad"` and `"sha256"` (other readers ignore
  metadata).
A file without the seal (written by numpy, the safetensors library, ...) still loads. A single
damaged byte inside the seal's marker makes a file look foreign; its contents are then intact."""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from typing import Any

import numpy as np

_NPZ_MARK = b"rustgrad-sha256:"
_ZEROS = "0" * 64


class DamagedFile(ValueError):
    """The bytes of a file rustgrad sealed are not the bytes it wrote."""


def _check(digest: str, expected: bytes | str) -> None:
    expected = expected.decode("ascii", "replace") if isinstance(expected, bytes) else expected
    if digest != expected:
        raise DamagedFile(
            f"the file is damaged: its SHA-256 is {digest[:16]}... but it was written with "
            f"{expected[:16]}... (a changed, truncated or partly overwritten copy)"
        )


def encode(named: dict[str, np.ndarray], fmt: str) -> bytes:
    """The sealed bytes of `named` (float32 arrays) in format `fmt` ('.npz' or '.safetensors')."""
    if fmt == ".npz":
        buf = io.BytesIO()
        np.savez(buf, **named)
        with zipfile.ZipFile(buf, "a") as z:
            z.comment = _NPZ_MARK + _ZEROS.encode()
        raw = buf.getvalue()
        body = raw[: len(raw) - 64]
        return body + hashlib.sha256(body).hexdigest().encode()
    header: dict[str, Any] = {"__metadata__": {"format": "rustgrad", "sha256": _ZEROS}}
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
    raw = len(head).to_bytes(8, "little") + head + b"".join(blobs)
    at = raw.index(b'"sha256":"' + _ZEROS.encode()) + len(b'"sha256":"')
    digest = hashlib.sha256(raw[:at] + raw[at + 64 :]).hexdigest().encode()
    return raw[:at] + digest + raw[at + 64 :]


def _decode_npz(raw: bytes) -> dict[str, np.ndarray]:
    if len(raw) >= 80 and raw[-80:-64] == _NPZ_MARK:
        _check(hashlib.sha256(raw[:-64]).hexdigest(), raw[-64:])
    with np.load(io.BytesIO(raw), allow_pickle=False) as z:  # never unpickle a file's contents
        return {k: z[k] for k in z.files}


def _decode_safetensors(raw: bytes) -> dict[str, np.ndarray]:
    if len(raw) < 8:
        raise ValueError("shorter than the 8-byte header length")
    n = int.from_bytes(raw[:8], "little")
    if 8 + n > len(raw):
        raise ValueError(f"header of {n} bytes runs past the end of the {len(raw)}-byte file")
    header = json.loads(raw[8 : 8 + n])
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")  # noqa: TRY004 - bad file, not bad argument
    meta = header.get("__metadata__")
    if isinstance(meta, dict) and meta.get("format") == "rustgrad":
        sealed = meta.get("sha256")
        if not isinstance(sealed, str) or len(sealed) != 64:
            raise DamagedFile("the file is damaged: its SHA-256 entry is missing or malformed")
        at = raw.find(b'"sha256":"' + sealed.encode(), 8, 8 + n) + len(b'"sha256":"')
        _check(hashlib.sha256(raw[:at] + raw[at + 64 :]).hexdigest(), sealed)
    body = memoryview(raw)[8 + n :]
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(info, dict) or info.get("dtype") != "F32":
            dtype = info.get("dtype") if isinstance(info, dict) else info
            raise ValueError(f"tensor '{key}' has dtype {dtype}, expected F32")
        start, stop = info["data_offsets"]
        shape = tuple(int(d) for d in info["shape"])
        if not 0 <= start <= stop <= len(body) or stop - start != 4 * math.prod(shape):
            raise ValueError(f"tensor '{key}' of shape {shape} does not fit the file's data")
        out[key] = np.frombuffer(body[start:stop], dtype="<f4").reshape(shape).astype(np.float32)
    return out


def decode(raw: bytes, fmt: str) -> dict[str, np.ndarray]:
    """The arrays of a weights file's bytes; DamagedFile when a sealed file's bytes changed,
    another exception when the bytes are not a file of this format at all."""
    return _decode_npz(raw) if fmt == ".npz" else _decode_safetensors(raw)
