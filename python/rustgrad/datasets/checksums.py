"""Pinned checksums of the known dataset files, their verification, and a cache of past checks."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from rustgrad import _files

from .errors import DatasetCorruptError
from .paths import cache_dir


@dataclass(frozen=True)
class Pin:
    """An expected digest and where it comes from (quoted in error messages).

    Args:
        algo: the hash algorithm ("sha256", "md5").
        digest: the expected hex digest.
        source: where the digest comes from, quoted in error messages.
        raw: True when the digest is of the decompressed content, False for the file's bytes.
    """

    algo: str
    digest: str
    source: str
    # True: the digest is of the decompressed content, so a re-gzipped copy still passes.
    raw: bool = True

    def describe(self) -> str:
        """The pin in words, for error messages."""
        what = "raw (decompressed) content" if self.raw else "file bytes"
        return f"expected {self.algo} {self.digest} of the {what}; {self.source}"


# Computed from the project's reference copy and matching the raw digests other projects publish
# for the files on the ossci-datasets and cvdf-datasets mirrors.
_MNIST = "sha256 of the raw IDX of the standard MNIST"
# Computed from Debian's dataset-fashion-mnist (which ships zalando's files, recompressed) and
# matching the raw digests other projects derived from the archives with zalando's published md5s
# (train-images 8d4fb7e6c68d591d4c3dfef9ec88bf0d, train-labels 25c81989df183df01b3e8a0aad5dffbe,
# t10k-images bef4ecab320f06d8554ea6380940ec79, t10k-labels bb300cfdad3c16e7a12a480ee83cd310).
_FASHION = "sha256 of the raw IDX of zalando's Fashion-MNIST"
_TORONTO = "md5 published by the CIFAR authors at https://www.cs.toronto.edu/~kriz/cifar.html"
# The md5s torchvision checks after extracting the publisher's python archives.
_TORCHVISION = "md5 of the publisher's file, as pinned by torchvision"

# (dataset, file name without .gz) -> Pin. Module-level so tests can inject pins for synthetic
# files instead of weakening verification. CIFAR *binary* batches have no published digest: they
# are structure-checked, plus checked against a manifest when rustgrad extracted them itself.
REGISTRY: dict[tuple[str, str], Pin] = {
    ("mnist", "train-images-idx3-ubyte"): Pin(
        "sha256", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", _MNIST
    ),
    ("mnist", "train-labels-idx1-ubyte"): Pin(
        "sha256", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", _MNIST
    ),
    ("mnist", "t10k-images-idx3-ubyte"): Pin(
        "sha256", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", _MNIST
    ),
    ("mnist", "t10k-labels-idx1-ubyte"): Pin(
        "sha256", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", _MNIST
    ),
    ("fashion-mnist", "train-images-idx3-ubyte"): Pin(
        "sha256", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", _FASHION
    ),
    ("fashion-mnist", "train-labels-idx1-ubyte"): Pin(
        "sha256", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", _FASHION
    ),
    ("fashion-mnist", "t10k-images-idx3-ubyte"): Pin(
        "sha256", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", _FASHION
    ),
    ("fashion-mnist", "t10k-labels-idx1-ubyte"): Pin(
        "sha256", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", _FASHION
    ),
    ("cifar-10", "cifar-10-binary.tar.gz"): Pin(
        "md5", "c32a1d4ab5d03f1284b67883e8d87530", _TORONTO, raw=False
    ),
    ("cifar-100", "cifar-100-binary.tar.gz"): Pin(
        "md5", "03b5dce01913d631647c71ecec9e9cb8", _TORONTO, raw=False
    ),
    ("cifar-10", "data_batch_1"): Pin(
        "md5", "c99cafc152244af753f735de768cd75f", _TORCHVISION, raw=False
    ),
    ("cifar-10", "data_batch_2"): Pin(
        "md5", "d4bba439e000b95fd0a9bffe97cbabec", _TORCHVISION, raw=False
    ),
    ("cifar-10", "data_batch_3"): Pin(
        "md5", "54ebc095f3ab1f0389bbae665268c751", _TORCHVISION, raw=False
    ),
    ("cifar-10", "data_batch_4"): Pin(
        "md5", "634d18415352ddfa80567beed471001a", _TORCHVISION, raw=False
    ),
    ("cifar-10", "data_batch_5"): Pin(
        "md5", "482c414d41f54cd18b22e5b47cb7c3cb", _TORCHVISION, raw=False
    ),
    ("cifar-10", "test_batch"): Pin(
        "md5", "40351d587109b95175f43aff81a1287e", _TORCHVISION, raw=False
    ),
    ("cifar-100", "train"): Pin("md5", "16019d7e3df5f24257cddd939b257f8d", _TORCHVISION, raw=False),
    ("cifar-100", "test"): Pin("md5", "f0ef6b0ae62326f3e7ffdfab6717acfc", _TORCHVISION, raw=False),
}

MANIFEST = ".rustgrad-sha256.json"


def pin_for(dataset: str, name: str) -> Pin | None:
    """The pin of `name`; IDX pins are of the raw content, so `x.gz` falls back to `x`'s pin."""
    pin = REGISTRY.get((dataset, name))
    if pin is None and name.endswith(".gz"):
        pin = REGISTRY.get((dataset, name[:-3]))
    return pin


def _digest(algo: str, data: bytes) -> str:
    # usedforsecurity=False: md5 here detects corruption, and FIPS builds refuse it otherwise.
    return hashlib.new(algo, data, usedforsecurity=False).hexdigest()


def file_digest(path: Path, algo: str) -> str:
    """Digest of the bytes of a (possibly large) file, read in chunks."""
    h = hashlib.new(algo, usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def mismatch(label: object, pin: Pin, actual: str, size: int) -> DatasetCorruptError:
    empty = " The file is empty (0 bytes)." if size == 0 else ""
    return DatasetCorruptError(
        f"{label}: {pin.algo} is {actual} but {pin.describe()}.{empty} The file is truncated, "
        "corrupted or not the expected file; delete or replace it (a deleted file in the cache "
        "is downloaded again)."
    )


def check_bytes(
    path: Path | str, data: bytes, st: os.stat_result | None, pin: Pin | None, remember: bool = True
) -> None:
    """Raise DatasetCorruptError unless `data`, the content read from `path`, matches `pin`.

    `st` is the fstat of the descriptor `data` was read through, so the cache entry describes
    exactly the bytes that were hashed; None (for downloads) skips the cache.
    """
    if pin is None:
        return
    if st is not None and _VERIFIED.hit(path, st, pin):
        return
    actual = _digest(pin.algo, data)
    if actual != pin.digest:
        raise mismatch(path, pin, actual, len(data))
    if remember and st is not None:
        _VERIFIED.add(path, st, pin)


class _VerifiedCache:
    """Digests already checked, keyed on (size, mtime_ns, inode), kept in the user cache folder.

    The data folders themselves are never written (they may be read-only or shared); when the
    cache folder is not writable either the entries only live in memory.
    """

    def __init__(self) -> None:
        self._memory: dict[str, dict[str, dict]] = {}

    def _file(self) -> Path:
        return cache_dir() / ".verified.json"

    def _entries(self) -> dict[str, dict]:
        key = str(self._file())
        if key not in self._memory:
            self._memory[key] = self._read()
        return self._memory[key]

    def _read(self) -> dict[str, dict]:
        try:
            data = json.loads(self._file().read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    @staticmethod
    def _record(st: os.stat_result, pin: Pin) -> dict:
        return {
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "inode": st.st_ino,
            "dev": st.st_dev,
            "algo": pin.algo,
            "digest": pin.digest,
        }

    def hit(self, path: Path, st: os.stat_result, pin: Pin) -> bool:
        return self._entries().get(os.path.realpath(path)) == self._record(st, pin)

    def add(self, path: Path, st: os.stat_result, pin: Pin) -> None:
        # File times tick in coarse steps (a few ms), so a file rewritten just after hashing can
        # keep its mtime; like git's "racy" index entries, only files older than that are cached.
        if time.time_ns() - st.st_mtime_ns < 2_000_000_000:
            return
        entries = self._entries()
        entries[os.path.realpath(path)] = self._record(st, pin)
        merged = {**self._read(), **entries}
        try:
            atomic_write_text(self._file(), json.dumps(merged, indent=1, sort_keys=True))
        except OSError:
            pass  # an unwritable cache only costs re-hashing next time


_VERIFIED = _VerifiedCache()


def atomic_write_text(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never half (rustgrad._files.atomic_write)."""
    _files.atomic_write(path, lambda f: f.write(text), "w")


def write_manifest(folder: Path, digests: dict[str, str], source: str) -> None:
    """Record sha256 of files extracted from a verified archive, to catch later corruption."""
    atomic_write_text(
        folder / MANIFEST, json.dumps({"source": source, "sha256": digests}, indent=1)
    )


def manifest_pin(folder: Path, name: str) -> Pin | None:
    """The pin a manifest written by write_manifest gives `name`, or None without a usable one."""
    try:
        data = json.loads((folder / MANIFEST).read_text())
        digest = data["sha256"][name]
        source = f"recorded in {folder / MANIFEST} when extracted from {data['source']}"
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(digest, str):
        return None
    return Pin("sha256", digest, source, raw=False)
