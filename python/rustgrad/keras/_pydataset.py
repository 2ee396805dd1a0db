"""keras.utils.PyDataset (and tf.keras 2's Sequence): batches by index, which fit, evaluate and
predict read one `__getitem__` at a time, calling on_epoch_begin/on_epoch_end around each epoch."""

from __future__ import annotations

import warnings
from typing import Any


class PyDataset:
    """Subclass it with `__len__` (batches per epoch) and `__getitem__(i)` returning the i-th
    batch, `(x, y)` or `(x, y, sample_weight)` (or x alone for predict); a dataset without an end
    overrides `num_batches` to return None and fit needs `steps_per_epoch`.

    Batches are read in the calling thread, in order: `workers > 1` and `use_multiprocessing`
    change only how fast Keras reads them, so they are accepted with a warning.

    As keras.utils.PyDataset.

    Args:
        workers: a positive int; above 1 it is accepted with a warning and not used.
        use_multiprocessing: accepted with a warning when True, and not used.
        max_queue_size: a positive int; not used (nothing is read ahead).

    Raises:
        ValueError: when workers or max_queue_size is not a positive int.
    """

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ):
        for name, value in (("workers", workers), ("max_queue_size", max_queue_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"PyDataset: {name} must be a positive integer, got {value!r}")
        if workers > 1 or use_multiprocessing:
            warnings.warn(
                "PyDataset: rustgrad reads batches in the training thread, one after another; "
                f"workers={workers} and use_multiprocessing={use_multiprocessing} are not used "
                "(the batches and results are the same, only reading is not overlapped)",
                stacklevel=2,
            )
        self._workers, self._use_multiprocessing = workers, bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    @property
    def workers(self) -> int:
        """The workers asked for (batches are read in the calling thread whatever it is)."""
        return getattr(self, "_workers", 1)

    @property
    def use_multiprocessing(self) -> bool:
        """Whether processes were asked for (not used: batches are read in the calling thread)."""
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self) -> int:
        """The queue size asked for (not used: nothing is read ahead)."""
        return getattr(self, "_max_queue_size", 10)

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__()")

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch: len(self), or None for a dataset without an end."""
        return len(self)

    def on_epoch_begin(self) -> None:
        """Called before each epoch of fit."""

    def on_epoch_end(self) -> None:
        """Called after each epoch of fit (shuffle the batches here)."""


class Sequence(PyDataset):
    """tf.keras 2's name for PyDataset (no constructor arguments)."""

    def __init__(self) -> None:
        super().__init__()
