"""CIFAR-100: 50 000 train and 10 000 test 32x32 colour images, 100 fine in 20 coarse classes."""

from __future__ import annotations

import numpy as np

from .cifar_dataset import CifarDataset, load
from .paths import PathLike

DATASET = CifarDataset(
    name="cifar-100",
    title="CIFAR-100",
    bin_folder="cifar-100-binary",
    py_folder="cifar-100-python",
    train=("train",),
    test="test",
    # File order of the binary records: the coarse label byte comes before the fine one.
    classes=(20, 100),
    py_label_keys=("coarse_labels", "fine_labels"),
    archive="cifar-100-binary.tar.gz",
    mirrors=("https://www.cs.toronto.edu/~kriz/",),
    records={"train": 50000, "test": 10000},
)

LABEL_MODES = ("fine", "coarse")

Split = tuple[np.ndarray, np.ndarray]


def load_data(
    label_mode: str = "fine", path: PathLike | None = None, download: bool | None = None
) -> tuple[Split, Split]:
    """Return ``(x_train, y_train), (x_test, y_test)`` like ``keras.datasets.cifar100.load_data``.

    label_mode: "fine" (100 classes) or "coarse" (20 superclasses). x: uint8 (50000, 32, 32, 3)
    and (10000, 32, 32, 3), channels last; y: uint8 (50000, 1) and (10000, 1).
    Searched and verified like CIFAR-10, in folders ``cifar-100-binary`` or ``cifar-100-python``.

    Args:
        label_mode: "fine" or "coarse".
        path: a folder to search first, or None.
        download: None (download unless $RUSTGRAD_OFFLINE=1), True, or False (never).

    Returns:
        tuple: (x_train, y_train), (x_test, y_test) as NumPy arrays.

    Raises:
        ValueError: for another label_mode.
        DatasetNotFoundError: when the files are nowhere and may not be downloaded.
        DatasetCorruptError: when a file fails its checks (the message names it).
    """
    if label_mode not in LABEL_MODES:
        raise ValueError(f"label_mode must be one of {LABEL_MODES}, got {label_mode!r}")
    col = 1 if label_mode == "fine" else 0
    (x_train, y_train), (x_test, y_test) = load(DATASET, path, download)
    return (x_train, y_train[:, col : col + 1].copy()), (x_test, y_test[:, col : col + 1].copy())
