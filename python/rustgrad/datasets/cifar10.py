"""CIFAR-10: 50 000 train and 10 000 test 32x32 colour images in 10 classes."""

from __future__ import annotations

import numpy as np

from .cifar_dataset import CifarDataset, load
from .paths import PathLike

_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))

DATASET = CifarDataset(
    name="cifar-10",
    title="CIFAR-10",
    bin_folder="cifar-10-batches-bin",
    py_folder="cifar-10-batches-py",
    train=_TRAIN,
    test="test_batch",
    classes=(10,),
    py_label_keys=("labels",),
    archive="cifar-10-binary.tar.gz",
    mirrors=("https://www.cs.toronto.edu/~kriz/",),
    records={name: 10000 for name in _TRAIN + ("test_batch",)},
)

CLASS_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

Split = tuple[np.ndarray, np.ndarray]


def load_data(path: PathLike | None = None, download: bool | None = None) -> tuple[Split, Split]:
    """Return ``(x_train, y_train), (x_test, y_test)`` like ``keras.datasets.cifar10.load_data``.

    x: uint8 (50000, 32, 32, 3) and (10000, 32, 32, 3), channels last; y: uint8 (50000, 1) and
    (10000, 1). Train batches are concatenated in order data_batch_1 .. data_batch_5.

    Looks for ``cifar-10-batches-bin`` (preferred) or ``cifar-10-batches-py`` under ``path``,
    ``$RUSTGRAD_DATASETS``, the cache and the system folders, else downloads the publisher's binary
    archive (md5-checked) into the cache. The python version's pickles are md5-checked and read by
    a restricted unpickler that resolves nothing but numpy arrays. Binary batches have no published
    checksum: they are structure-checked (exact size, label range), and checked against the
    sha256 manifest written when rustgrad extracted them itself.

    Args:
        path: a folder to search first, or None.
        download: None (download unless $RUSTGRAD_OFFLINE=1), True, or False (never).

    Returns:
        tuple: (x_train, y_train), (x_test, y_test) as NumPy arrays.

    Raises:
        DatasetNotFoundError: when the files are nowhere and may not be downloaded.
        DatasetCorruptError: when a file fails its checks (the message names it).
    """
    (x_train, y_train), (x_test, y_test) = load(DATASET, path, download)
    return (x_train, y_train), (x_test, y_test)
