"""The loader shared by MNIST-format datasets: four IDX files found or downloaded, then verified."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import checksums
from .download import download_to, mirror_urls
from .errors import DatasetCorruptError
from .idx import IMAGES_MAGIC, LABELS_MAGIC, parse_idx, read_content, read_idx
from .locate import Layout, locate
from .paths import PathLike

FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_MAGIC = {name: IMAGES_MAGIC if "images" in name else LABELS_MAGIC for name in FILES}

Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class IdxDataset:
    """What differs between MNIST-format datasets."""

    name: str  # registry key, `{dataset}` in mirror URLs
    title: str  # for messages
    folder: str  # folder name under a search root
    mirrors: tuple[str, ...]  # base URLs holding the four .gz files
    classes: int = 10

    @property
    def layout(self) -> Layout:
        return Layout(self.folder, FILES, gz_ok=True)


def _check_download(ds: IdxDataset, name: str):
    pin = checksums.pin_for(ds.name, name)

    def check(tmp: Path, url: str) -> None:
        data, _ = read_content(tmp, pin, "downloaded file")
        checksums.check_bytes("downloaded file", data, None, pin, remember=False)
        parse_idx(data, "downloaded file", _MAGIC[name], pin)

    return check


def _fetch(ds: IdxDataset, cache: Path) -> None:
    dest = cache / ds.folder
    have, _ = ds.layout.find(dest)
    for name in FILES:
        if name not in have:  # a partial cache keeps its good files
            urls = mirror_urls(ds.name, ds.mirrors, name + ".gz")
            download_to(urls, dest / (name + ".gz"), _check_download(ds, name))


def _split(ds: IdxDataset, images: Path, labels: Path, x: np.ndarray, y: np.ndarray) -> Split:
    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
        raise DatasetCorruptError(f"{images}: images of shape {x.shape}, expected (n, 28, 28)")
    if len(x) != len(y):
        raise DatasetCorruptError(
            f"{images} holds {len(x)} images but {labels} holds {len(y)} labels"
        )
    if y.size and int(y.max()) >= ds.classes:
        raise DatasetCorruptError(f"{labels}: label {int(y.max())} is not below {ds.classes}")
    return x, y


def load(
    ds: IdxDataset, path: PathLike | None = None, download: bool | None = None
) -> tuple[Split, Split]:
    """((x_train, y_train), (x_test, y_test)): uint8 images (n, 28, 28) and labels (n,)."""
    how_to = (
        f"put {', '.join(f + '.gz' for f in FILES)} (gzipped or raw) in a folder named {ds.folder}/"
    )
    found = locate(ds.title, [ds.layout], path, download, lambda c: _fetch(ds, c), how_to)
    arrays = {
        name: read_idx(found.files[name], _MAGIC[name], checksums.pin_for(ds.name, name))
        for name in FILES
    }
    splits = []
    for images, labels in ((FILES[0], FILES[1]), (FILES[2], FILES[3])):
        splits.append(
            _split(ds, found.files[images], found.files[labels], arrays[images], arrays[labels])
        )
    return splits[0], splits[1]
