"""Shared set-up for the dataset tests: an isolated, offline cache per test and small file tools."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from rustgrad.datasets import REGISTRY, Pin, checksums, paths

IDX = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte")
IDX = IDX + ("t10k-labels-idx1-ubyte",)
MNIST_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Every test: its own empty cache, offline, no $RUSTGRAD_DATASETS, no system folders."""
    monkeypatch.setenv("RUSTGRAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RUSTGRAD_OFFLINE", "1")
    for var in ("RUSTGRAD_DATASETS", "RUSTGRAD_DATASET_MIRROR", "RUSTGRAD_DOWNLOAD_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(paths, "SYSTEM_DIRS", [])


def go_online(monkeypatch, *bases):
    monkeypatch.delenv("RUSTGRAD_OFFLINE")
    monkeypatch.setenv("RUSTGRAD_DATASET_MIRROR", ",".join(bases))


def leftovers(root: Path):
    return [p for p in root.rglob("*") if p.name.endswith((".part", ".extract", ".tmp"))]


def flip(path: Path, at=None):
    data = bytearray(path.read_bytes())
    data[len(data) // 2 if at is None else at] ^= 0xFF
    path.write_bytes(bytes(data))


def spy_hashing(monkeypatch):
    calls = []
    real = checksums._digest
    monkeypatch.setattr(checksums, "_digest", lambda a, d: calls.append(a) or real(a, d))
    return calls


def chw_to_hwc(pixels):
    return pixels.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def write_cifar(fake, module, folder: Path, fmt: str, n=4):
    """Small CIFAR batches in the binary or python format; python files get their md5 pinned."""
    ds = module.DATASET
    fake.shrink_records(module, n)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for i, batch in enumerate(ds.batches):
        labels, pixels = fake.cifar_records(n, ds.classes, seed=i)
        out[batch] = (labels, pixels)
        if fmt == "bin":
            (folder / (batch + ".bin")).write_bytes(fake.cifar_binary(labels, pixels))
            continue
        entry = {b"batch_label": b"batch " + batch.encode(), b"data": pixels}
        for col, key in enumerate(ds.py_label_keys):
            entry[key.encode()] = [int(v) for v in labels[:, col]]
        entry[b"filenames"] = [b"img_%d.png" % j for j in range(n)]
        data = fake.py2_pickle(entry)
        (folder / batch).write_bytes(data)
        digest = hashlib.md5(data).hexdigest()
        fake.monkeypatch.setitem(REGISTRY, (ds.name, batch), Pin("md5", digest, "test"))
    return out
