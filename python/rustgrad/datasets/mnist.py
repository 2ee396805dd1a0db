"""MNIST handwritten digits: 60 000 train and 10 000 test 28x28 grey images, labels 0-9."""

from __future__ import annotations

import numpy as np

from .idx_dataset import IdxDataset, load
from .paths import PathLike

# Mirrors of the original IDX .gz files: torchvision's S3 copy, TensorFlow's GCS copy, and
# LeCun's site (often refusing scripts nowadays). Any copy works: the raw content is sha256-pinned.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

DATASET = IdxDataset("mnist", "MNIST", "mnist", MIRRORS)

Split = tuple[np.ndarray, np.ndarray]


def load_data(path: PathLike | None = None, download: bool | None = None) -> tuple[Split, Split]:
    """Return ``(x_train, y_train), (x_test, y_test)`` like ``keras.datasets.mnist.load_data``.

    x: uint8 (60000, 28, 28) and (10000, 28, 28); y: uint8 (60000,) and (10000,).

    Search order: ``path`` (the folder holding the four IDX files, or its parent), then
    ``$RUSTGRAD_DATASETS/mnist``, the cache ``~/.rustgrad/datasets/mnist`` (or under
    ``$RUSTGRAD_CACHE_DIR``),
    ``/usr/local/share/datasets/mnist`` and ``/usr/share/datasets/mnist``; last, a download into the
    cache unless ``download=False`` or ``$RUSTGRAD_OFFLINE=1``. Files may be gzipped or raw; their
    decompressed content must match the pinned sha256, else DatasetCorruptError names the file.

    Args:
        path: a folder to search first, or None.
        download: None (download unless $RUSTGRAD_OFFLINE=1), True, or False (never).

    Returns:
        tuple: (x_train, y_train), (x_test, y_test) as NumPy arrays.

    Raises:
        DatasetNotFoundError: when the files are nowhere and may not be downloaded.
        DatasetCorruptError: when a file fails its checks (the message names it).
    """
    return load(DATASET, path, download)
