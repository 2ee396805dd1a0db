"""The loader shared by CIFAR-10 and CIFAR-100: find the binary or python version, or download."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import checksums
from .archive import install_members
from .cifar import parse_python_batch, read_binary, read_pickle
from .download import fetch_verified, mirror_urls
from .locate import Layout, Located, locate
from .paths import PathLike

Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class CifarDataset:
    """What differs between CIFAR-10 and CIFAR-100."""

    name: str  # registry key, `{dataset}` in mirror URLs
    title: str
    bin_folder: str  # the binary version's folder, as the publisher's archive names it
    py_folder: str  # the python version's folder
    train: tuple[str, ...]  # batch names, without the binary version's ".bin"
    test: str
    classes: tuple[int, ...]  # label columns and their class counts, in file order
    py_label_keys: tuple[str, ...]  # the same columns' keys in the python version's dicts
    archive: str  # the binary archive downloaded from the publisher
    mirrors: tuple[str, ...]
    # Exact image count per batch: truncation at a record boundary still fails. A dict so tests
    # can shrink it for small synthetic files.
    records: dict[str, int] = field(default_factory=dict)

    @property
    def batches(self) -> tuple[str, ...]:
        return self.train + (self.test,)

    @property
    def bin_layout(self) -> Layout:
        return Layout(self.bin_folder, tuple(b + ".bin" for b in self.batches))

    @property
    def py_layout(self) -> Layout:
        return Layout(self.py_folder, self.batches)


def _check_archive(ds: CifarDataset):
    pin = checksums.pin_for(ds.name, ds.archive)

    def check(tmp: Path, url: str) -> None:
        if pin is None:
            return  # the extracted batches are still structure-checked
        actual = checksums.file_digest(tmp, pin.algo)
        if actual != pin.digest:
            raise checksums.mismatch("downloaded file", pin, actual, tmp.stat().st_size)

    return check


def _fetch(ds: CifarDataset, cache: Path) -> None:
    """Download the binary archive (no pickle involved) and install its batches in the cache."""
    urls = mirror_urls(ds.name, ds.mirrors, ds.archive)
    members = {f"{ds.bin_folder}/{f}": f for f in ds.bin_layout.files}
    pin = checksums.pin_for(ds.name, ds.archive)
    source = ds.archive + (f" ({pin.algo} {pin.digest})" if pin else "")
    with fetch_verified(urls, cache, ds.archive, _check_archive(ds)) as tmp:
        install_members(tmp, members, cache / ds.bin_folder, source)


def _read_batch(ds: CifarDataset, found: Located, batch: str) -> Split:
    records = ds.records.get(batch)
    if found.layout.folder == ds.bin_folder:
        name = batch + ".bin"
        pin = checksums.pin_for(ds.name, name) or checksums.manifest_pin(found.folder, name)
        return read_binary(found.files[name], ds.classes, records, pin)
    pin = checksums.pin_for(ds.name, batch)
    path = found.files[batch]
    return parse_python_batch(
        read_pickle(path, pin), ds.py_label_keys, ds.classes, records, path, pin
    )


def load(
    ds: CifarDataset, path: PathLike | None = None, download: bool | None = None
) -> tuple[Split, Split]:
    """((x_train, labels_train), (x_test, labels_test)); labels have one column per label kind."""
    how_to = (
        f"extract the publisher's {ds.archive} (https://www.cs.toronto.edu/~kriz/cifar.html) "
        f"so that a folder {ds.bin_folder}/ (or {ds.py_folder}/ from the python version) exists"
    )
    layouts = [ds.bin_layout, ds.py_layout]  # binary first: no unpickling at all
    found = locate(ds.title, layouts, path, download, lambda c: _fetch(ds, c), how_to)
    parts = [_read_batch(ds, found, b) for b in ds.train]
    x_train = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
    y_train = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
    return (x_train, y_train), _read_batch(ds, found, ds.test)
