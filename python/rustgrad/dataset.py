"""tf.data.Dataset: input pipelines over in-memory data (from_tensor_slices, shuffle, batch, map, ...).

A pipeline is a chain of lazy nodes. Elements are structures (tuple / dict / array) of NumPy arrays
inside; they become rustgrad Tensors only when the user sees them (iteration, map and filter
functions; see _dataset_util.to_user). A chain of from_tensor_slices or range followed only by
reordering steps (shuffle, take, skip, finite repeat, cache, prefetch) is an *index plan*: each
iteration computes one array of source rows, so batch gathers whole batches with one fancy index
per component, and fit hands the rows to the core's many-batch call (keras/_dataset_fit.py).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from rustgrad import _dataset_nodes as n
from rustgrad import _dataset_util as u
from rustgrad._dataset_util import INFINITE, UNKNOWN

AUTOTUNE = -1  # tf.data.AUTOTUNE; accepted wherever TF takes it, and means nothing more here

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset", "experimental"]
INFINITE_CARDINALITY, UNKNOWN_CARDINALITY = INFINITE, UNKNOWN


def _count(v: Any, name: str, minimum: int) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {v!r}")
    if v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    return int(v)


class Dataset:
    """A re-iterable pipeline; every transformation returns a new Dataset, as in TF. It wraps one
    node of _dataset_nodes.py, which does the work."""

    def __init__(self, node: n.Node):
        self._node = node

    # ---- creation ------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors: Any, name: Any = None) -> Dataset:
        """One element per row of the first axis, with the structure of `tensors`."""
        return Dataset(n.Slices(u.structure_in(tensors, "from_tensor_slices")))

    @staticmethod
    def from_tensors(tensors: Any, name: Any = None) -> Dataset:
        """One element: `tensors` whole."""
        s = u.map_leaves(lambda a: a[None], u.structure_in(tensors, "from_tensors"))
        return Dataset(n.Slices(s))

    @staticmethod
    def range(*args: Any, **kwargs: Any) -> Dataset:
        """Dataset.range(stop) / (start, stop[, step]) of int64, as Python's range."""
        kwargs.pop("dtype", None)  # TF's output dtype; ints stay int64 here
        return Dataset(n.Slices(np.arange(*args, **kwargs, dtype=np.int64)))

    @staticmethod
    def zip(*datasets: Any, name: Any = None) -> Dataset:
        """Elements of several datasets side by side: zip(a, b) or zip((a, b)) or zip({...})."""
        structure = datasets[0] if len(datasets) == 1 else tuple(datasets)
        if not u.flatten(structure) or not all(
            isinstance(d, Dataset) for d in u.flatten(structure)
        ):
            raise TypeError("Dataset.zip takes datasets (a tuple or dict of them, or several)")
        return Dataset(n.Zip(u.map_leaves(lambda d: d._node, structure)))

    # ---- transformations ----------------------------------------------------------------------
    def shuffle(
        self, buffer_size: int, seed: Any = None, reshuffle_each_iteration: bool = True, name=None
    ) -> Dataset:
        size = _count(buffer_size, "buffer_size", 1)
        return self._then(n.Shuffle, size, seed, reshuffle_each_iteration)

    def batch(
        self,
        batch_size: int,
        drop_remainder: bool = False,
        num_parallel_calls: Any = None,
        deterministic: Any = None,
        name: Any = None,
    ) -> Dataset:
        return self._then(n.Batch, _count(batch_size, "batch_size", 1), bool(drop_remainder))

    def unbatch(self, name: Any = None) -> Dataset:
        return self._then(n.Unbatch)

    def map(
        self,
        map_func: Callable,
        num_parallel_calls: Any = None,
        deterministic: Any = None,
        name=None,
    ) -> Dataset:
        # num_parallel_calls is accepted and ignored: map functions call the Rust engine, which
        # uses both cores itself, and Python threads would only contend for the GIL.
        return self._then(n.Map, map_func)

    def filter(self, predicate: Callable, name: Any = None) -> Dataset:
        return self._then(n.Filter, predicate)

    def repeat(self, count: Any = None, name: Any = None) -> Dataset:
        count = -1 if count is None else _count(count, "count", -1)
        return self if count == 1 else self._then(n.Repeat, count)

    def take(self, count: int, name: Any = None) -> Dataset:
        return self._then(n.Take, _count(count, "count", -1))

    def skip(self, count: int, name: Any = None) -> Dataset:
        return self._then(n.Skip, _count(count, "count", -1))

    def cache(self, filename: str = "", name: Any = None) -> Dataset:
        if filename:
            raise NotImplementedError("cache(filename) is not supported; cache() keeps memory")
        return self._then(n.Cache)

    def prefetch(self, buffer_size: Any, name: Any = None) -> Dataset:
        # A pass-through: the data is in memory and one process computes it, so preparing the
        # next batch early on another thread would only take the GIL from the training step.
        return self._then(n.Pass)

    def concatenate(self, dataset: Dataset, name: Any = None) -> Dataset:
        if not isinstance(dataset, Dataset):
            raise TypeError(f"concatenate takes a Dataset, got {type(dataset).__name__}")
        return Dataset(n.Concat(self._node, dataset._node))

    def enumerate(self, start: int = 0, name: Any = None) -> Dataset:
        return self._then(n.Enumerate, _count(start, "start", -(2**62)))

    def apply(self, transformation_func: Callable) -> Dataset:
        return transformation_func(self)

    def _then(self, node_class: Any, *args: Any) -> Dataset:
        return Dataset(node_class(self._node, *args))

    # ---- consuming ------------------------------------------------------------------------------
    def __iter__(self) -> Iterator:
        return (u.to_user(e) for e in self._node.elements())

    def as_numpy_iterator(self) -> Iterator:
        return (u.to_numpy(e) for e in self._node.elements())

    def cardinality(self) -> Any:
        """The number of elements, or INFINITE_CARDINALITY (-1) / UNKNOWN_CARDINALITY (-2)."""
        return np.asarray(self._node.card, dtype=np.int64).view(u.IntArray)

    def __len__(self) -> int:
        if self._node.card == INFINITE:
            raise TypeError("The dataset is infinite.")
        if self._node.card == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return self._node.card

    def __bool__(self) -> bool:
        return True  # as TF: a dataset is truthy without counting its elements

    def __repr__(self) -> str:
        return f"<{type(self._node).__name__}Dataset cardinality={self._node.card}>"


# tf.data.experimental: the older names of the same constants, and cardinality(dataset).
experimental = SimpleNamespace(
    AUTOTUNE=AUTOTUNE,
    INFINITE_CARDINALITY=INFINITE,
    UNKNOWN_CARDINALITY=UNKNOWN,
    cardinality=lambda dataset: dataset.cardinality(),
)
