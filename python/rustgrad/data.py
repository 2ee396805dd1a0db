"""Batching and splitting NumPy arrays (mini-batches, train/test split, Keras validation split);
tf.data's Dataset and AUTOTUNE are re-exported from rustgrad.dataset, so `tf.data.Dataset` works."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from typing import Any, Union

import numpy as np

from rustgrad.dataset import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    Dataset,
    experimental,
)

Seed = Union[None, int, np.random.Generator]

__all__ = [
    "AUTOTUNE",
    "INFINITE_CARDINALITY",
    "UNKNOWN_CARDINALITY",
    "Batches",
    "Dataset",
    "batches",
    "experimental",
    "train_test_split",
    "validation_split",
]


def _as_arrays(arrays: Sequence[Any], what: str) -> list[np.ndarray]:
    """np.asarray each argument (no copy for arrays) and check they share their first dimension."""
    if not arrays:
        raise ValueError(f"{what} needs at least one array")
    out = [np.asarray(a) for a in arrays]
    for i, a in enumerate(out):
        if a.ndim == 0:
            raise ValueError(f"{what}: argument {i} is a scalar, expected an array of samples")
    lengths = [len(a) for a in out]
    if len(set(lengths)) > 1:
        raise ValueError(
            f"{what}: all arrays must have the same number of samples (first dimension), "
            f"got lengths {lengths}"
        )
    return out


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


class Batches:
    """Re-iterable mini-batches over arrays that share their first dimension.

    Each iteration (epoch) yields tuples with one slice per array. Without shuffling the slices
    are views, in order. With ``shuffle=True`` every epoch draws a new permutation from one
    ``numpy.random.Generator`` seeded by ``seed``, so the sequence of epochs is reproducible.

    Args:
        *arrays: arrays (or array-likes) with the same first dimension.
        batch_size: rows per batch (a positive int).
        shuffle: draw a new order each epoch.
        seed: the seed of the shuffling generator (None for a fresh one).
        drop_remainder: drop a last, smaller batch.

    Raises:
        TypeError: when `batch_size` is not an int.
        ValueError: when there are no arrays, their lengths differ or `batch_size` <= 0.
    """

    def __init__(
        self,
        *arrays: Any,
        batch_size: int,
        shuffle: bool = False,
        seed: Seed = None,
        drop_remainder: bool = False,
    ) -> None:
        self.arrays = _as_arrays(arrays, "batches")
        self.batch_size = _positive_int(batch_size, "batch_size")
        self.shuffle = bool(shuffle)
        self.drop_remainder = bool(drop_remainder)
        self.num_samples = len(self.arrays[0])
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        """Batches per epoch."""
        if self.drop_remainder:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        order = self._rng.permutation(self.num_samples) if self.shuffle else None
        for b in range(len(self)):
            start = b * self.batch_size
            stop = min(start + self.batch_size, self.num_samples)
            if order is None:
                yield tuple(a[start:stop] for a in self.arrays)
            else:
                idx = order[start:stop]
                yield tuple(a[idx] for a in self.arrays)


def batches(
    *arrays: Any,
    batch_size: int,
    shuffle: bool = False,
    seed: Seed = None,
    drop_remainder: bool = False,
) -> Batches:
    """Mini-batches of ``arrays``: ``for xb, yb in batches(x, y, batch_size=32): ...``.

    The last batch is smaller unless ``drop_remainder``. Inputs are validated here, not at the
    first batch: mismatched lengths or ``batch_size <= 0`` raise ValueError at once.

    Args:
        *arrays: arrays with the same first dimension.
        batch_size: rows per batch.
        shuffle: draw a new order each epoch.
        seed: the seed of the shuffling generator.
        drop_remainder: drop a last, smaller batch.

    Returns:
        Batches: the re-iterable batches.

    Raises:
        TypeError: when `batch_size` is not an int.
        ValueError: when the lengths differ or `batch_size` <= 0.
    """
    return Batches(
        *arrays, batch_size=batch_size, shuffle=shuffle, seed=seed, drop_remainder=drop_remainder
    )


def _test_count(n: int, test_size: float) -> int:
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a fraction or a count, got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        count = int(test_size)
    elif 0.0 < test_size < 1.0:
        count = math.ceil(n * float(test_size))  # rounds up, as scikit-learn does
    else:
        raise ValueError(f"test_size must be in (0, 1) as a fraction, got {test_size}")
    if not 0 < count < n:
        raise ValueError(
            f"test_size={test_size} gives {count} test samples out of {n}; "
            "both the train and the test part must be non-empty"
        )
    return count


def train_test_split(
    *arrays: Any, test_size: float = 0.25, shuffle: bool = True, seed: Seed = None
) -> list[np.ndarray]:
    """Split arrays into train and test parts: ``x_tr, x_te, y_tr, y_te = train_test_split(x, y)``.

    ``test_size`` is a fraction in (0, 1) (rounded up) or a sample count. With ``shuffle`` the
    samples are permuted by a ``numpy.random.Generator`` seeded with ``seed``; otherwise the test
    part is the last ``test_size`` samples. Returns train, test for each array in turn.

    Args:
        *arrays: arrays with the same first dimension.
        test_size: a fraction in (0, 1) or a number of samples.
        shuffle: permute the samples before splitting.
        seed: the seed of the permutation.

    Returns:
        list[numpy.ndarray]: train and test part of each array, in turn.

    Raises:
        TypeError: when `test_size` is not a number.
        ValueError: when either part would be empty or the lengths differ.
    """
    arrs = _as_arrays(arrays, "train_test_split")
    n = len(arrs[0])
    n_test = _test_count(n, test_size)
    if shuffle:
        order = np.random.default_rng(seed).permutation(n)
        train_idx, test_idx = order[: n - n_test], order[n - n_test :]
        pairs = [(a[train_idx], a[test_idx]) for a in arrs]
    else:
        pairs = [(a[: n - n_test], a[n - n_test :]) for a in arrs]
    return [part for pair in pairs for part in pair]


def validation_split(
    x: Any, y: Any, fraction: float
) -> tuple[tuple[np.ndarray, np.ndarray | None], tuple[np.ndarray, np.ndarray | None]]:
    """Hold out the LAST ``fraction`` of the samples, before any shuffling, as Keras does.

    Like ``Model.fit(validation_split=...)``: the first ``floor(n * (1 - fraction))`` samples
    train and the rest validate, so data sorted by class gives a skewed validation set; shuffle
    first if that matters. ``y`` may be None. Returns ``(x_train, y_train), (x_val, y_val)``;
    the parts are views, not copies.

    Args:
        x: the inputs.
        y: the targets, or None.
        fraction: the share of samples to hold out, in (0, 1).

    Returns:
        tuple: ((x_train, y_train), (x_val, y_val)).

    Raises:
        TypeError: when `fraction` is not a number.
        ValueError: when `fraction` is outside (0, 1) or a part would be empty.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real):
        raise TypeError(f"fraction must be a number in (0, 1), got {fraction!r}")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    arrs = _as_arrays([x] if y is None else [x, y], "validation_split")
    n = len(arrs[0])
    split_at = math.floor(n * (1.0 - float(fraction)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split fraction {fraction} of {n} samples leaves an empty "
            f"{'training' if split_at == 0 else 'validation'} part"
        )
    xa = arrs[0]
    ya = arrs[1] if y is not None else None
    y_train = ya[:split_at] if ya is not None else None
    y_val = ya[split_at:] if ya is not None else None
    return (xa[:split_at], y_train), (xa[split_at:], y_val)
