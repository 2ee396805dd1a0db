"""Fashion-MNIST (Zalando): MNIST's format and sizes, with 10 classes of clothing photos."""

from __future__ import annotations

import numpy as np

from .idx_dataset import IdxDataset, load
from .paths import PathLike

# Zalando's own bucket (http only; integrity comes from the pinned sha256, not the transport),
# then the copy Keras downloads from.
MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
)

DATASET = IdxDataset("fashion-mnist", "Fashion-MNIST", "fashion-mnist", MIRRORS)

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

Split = tuple[np.ndarray, np.ndarray]


def load_data(path: PathLike | None = None, download: bool | None = None) -> tuple[Split, Split]:
    """Return ``(x_train, y_train), (x_test, y_test)`` like ``keras.datasets.fashion_mnist``.

    x: uint8 (60000, 28, 28) and (10000, 28, 28); y: uint8 (60000,) and (10000,).

    Searched like MNIST but in folders named ``fashion-mnist``; on Debian/Ubuntu
    ``apt-get install dataset-fashion-mnist`` provides ``/usr/share/datasets/fashion-mnist``.

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
