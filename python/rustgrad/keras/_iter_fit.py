"""fit / evaluate / predict on a Python generator or iterator of (x, y[, sample_weight]) batches
and on a keras.utils.PyDataset: Keras' rules for their steps, fed through _dataset_fit's per-batch
loops (one element per batch, as a tf.data.Dataset's)."""

from __future__ import annotations

import collections.abc
from itertools import islice
from typing import Any

from rustgrad.keras import _dataset_fit, _inputs
from rustgrad.keras._pydataset import PyDataset


def is_batches(x: Any) -> bool:
    """A PyDataset, or an iterator (a generator too) whose elements are batches."""
    return isinstance(x, (PyDataset, collections.abc.Iterator))


def check_args(what: str, y: Any, batch_size: Any, sample_weight: Any, split: Any = 0.0) -> None:
    """Keras' refusals: the batches carry the targets and weights and have their size."""
    kind = "a generator or PyDataset"
    for name, value in (("y", y), ("batch_size", batch_size), ("sample_weight", sample_weight)):
        if value is not None:
            raise ValueError(
                f"`{name}` argument is not supported when {what} gets {kind}: its batches are "
                "(x, y) or (x, y, sample_weight) tuples of the batch size they were made with"
            )
    if split:
        raise ValueError(
            f"`validation_split` is only supported for NumPy arrays and Tensors, not for {kind}: "
            "pass validation_data=(another generator or PyDataset)"
        )


def _length(ds: PyDataset) -> int | None:
    n = ds.num_batches
    return None if n is None else int(n)


def elements(source: Any, steps: Any, what: str) -> Any:
    """The batches one pass of evaluate/predict/validation reads: `steps` of them, else a
    PyDataset's length or the iterator until it ends."""
    steps = None if steps is None else _inputs.positive_int(steps, "steps")
    if isinstance(source, PyDataset):
        n = _length(source)
        if n is None and steps is None:
            raise ValueError(
                f"The PyDataset given to {what} has no end (num_batches is None): pass "
                f"{'validation_steps' if what == 'validation' else 'steps'}=... to say how many "
                "batches to use"
            )
        count = steps if n is None else min(steps or n, n)
        return (source[i] for i in range(count))
    return islice(source, steps)


def pass_steps(source: Any, steps: Any) -> int:
    """Steps for evaluate's progress bar (0 when unknown)."""
    if steps is not None:
        return int(steps)
    return (_length(source) or 0) if isinstance(source, PyDataset) else 0


class IterFeed(_dataset_fit.TrainFeed):
    """What fit trains on for a generator or PyDataset: TrainFeed's per-batch epoch, with its
    batches read from here. A PyDataset starts each epoch at batch 0; an iterator goes on where
    the last epoch stopped (so without steps_per_epoch the first epoch reads it to its end, and
    a second finds it empty, warns and stops, as Keras)."""

    def __init__(self, model: Any, source: Any, steps_per_epoch: Any, class_weight: Any, custom):
        self.source, self.class_weight, self.fast = source, class_weight, False
        self.need_y = model._losses is not None and not custom
        if steps_per_epoch is not None:
            steps_per_epoch = _inputs.positive_int(steps_per_epoch, "steps_per_epoch")
        if isinstance(source, PyDataset):
            n = _length(source)
            if n is None and steps_per_epoch is None:
                raise ValueError(
                    "The PyDataset given to fit has no end (num_batches is None): pass "
                    "steps_per_epoch=... to say how many batches make an epoch"
                )
            self.steps = steps_per_epoch if n is None else min(steps_per_epoch or n, n)
            self._reset = True
        else:
            self.steps, self._reset, self._iterator = steps_per_epoch or 0, False, source

    def _epoch_batches(self) -> Any:
        if isinstance(self.source, PyDataset):
            return (self.source[i] for i in range(self.steps))
        return islice(self._iterator, self.steps or None)

    def begin_epoch(self) -> None:
        if isinstance(self.source, PyDataset):
            self.source.on_epoch_begin()

    def end_epoch(self) -> None:
        if isinstance(self.source, PyDataset):
            self.source.on_epoch_end()
