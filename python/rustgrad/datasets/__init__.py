"""Dataset loaders for MNIST, Fashion-MNIST, CIFAR-10/100: offline first, verified, crash-safe.

Each loader searches, in order: the ``path`` argument; ``$RUSTGRAD_DATASETS`` (a folder laid out
like ``mnist/``, ``fashion-mnist/``, ``cifar-10-batches-bin/`` ...; several joined with ``:``); the
user cache ``~/.rustgrad/datasets`` (``$RUSTGRAD_CACHE_DIR``); ``/usr/local/share/datasets`` and
``/usr/share/datasets``. Only then does it download from the publishers' mirrors
(``$RUSTGRAD_DATASET_MIRROR`` overrides them, ``$RUSTGRAD_OFFLINE=1`` forbids downloading,
``$RUSTGRAD_DOWNLOAD_TIMEOUT`` sets the network timeout, default 10 s).
"""

from __future__ import annotations

from . import cifar10, cifar100, fashion_mnist, mnist
from .checksums import REGISTRY, Pin
from .errors import (
    DatasetCorruptError,
    DatasetDownloadError,
    DatasetNotFoundError,
    UnsafePickleError,
)
from .idx import read_idx
from .paths import cache_dir, places

load_mnist = mnist.load_data
load_fashion_mnist = fashion_mnist.load_data
load_cifar10 = cifar10.load_data
load_cifar100 = cifar100.load_data

__all__ = [
    "REGISTRY",
    "DatasetCorruptError",
    "DatasetDownloadError",
    "DatasetNotFoundError",
    "Pin",
    "UnsafePickleError",
    "cache_dir",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "load_cifar10",
    "load_cifar100",
    "load_fashion_mnist",
    "load_mnist",
    "mnist",
    "places",
    "read_idx",
]
