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
    node of _dataset_nodes.py, which does the work.

    Make one with from_tensor_slices, from_tensors, range or zip, not with the constructor.

    Args:
        node: the pipeline node (internal).
    """

    def __init__(self, node: n.Node):
        self._node = node

    # ---- creation ------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors: Any, name: Any = None) -> Dataset:
        """One element per row of the first axis, with the structure of `tensors`.

        Args:
            tensors: an array, a Tensor, or a tuple or dict of them with equal first axes.
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.

        Raises:
            ValueError: when the components' first axes differ.
        """
        return Dataset(n.Slices(u.structure_in(tensors, "from_tensor_slices")))

    @staticmethod
    def from_tensors(tensors: Any, name: Any = None) -> Dataset:
        """One element: `tensors` whole.

        Args:
            tensors: an array, a Tensor, or a tuple or dict of them.
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: a dataset of one element.
        """
        s = u.map_leaves(lambda a: a[None], u.structure_in(tensors, "from_tensors"))
        return Dataset(n.Slices(s))

    @staticmethod
    def range(*args: Any, **kwargs: Any) -> Dataset:
        """Dataset.range(stop) / (start, stop[, step]) of int64, as Python's range.

        Args:
            *args: stop, or start, stop and step, as Python's range.
            **kwargs: `dtype` (accepted; the values are int64) and numpy.arange's keywords.

        Returns:
            Dataset: a dataset of 0-d int64 elements.
        """
        kwargs.pop("dtype", None)  # TF's output dtype; ints stay int64 here
        return Dataset(n.Slices(np.arange(*args, **kwargs, dtype=np.int64)))

    @staticmethod
    def zip(*datasets: Any, name: Any = None) -> Dataset:
        """Elements of several datasets side by side: zip(a, b) or zip((a, b)) or zip({...}).

        Args:
            *datasets: Datasets, or one tuple or dict of them.
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: a dataset as long as the shortest one.

        Raises:
            TypeError: when something other than datasets is given.
        """
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
        """Elements in random order from a buffer of `buffer_size`, as tf.data.Dataset.shuffle.

        Args:
            buffer_size: how many elements the buffer holds (>= 1); at least the dataset's size gives
                a uniform shuffle.
            seed: None, or an int for the same order on every run.
            reshuffle_each_iteration: a new order on each pass (else the first pass's order repeats).
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.

        Raises:
            TypeError: when `buffer_size` is not an int.
            ValueError: when `buffer_size` < 1.
        """
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
        """Consecutive elements stacked into batches, as tf.data.Dataset.batch.

        Args:
            batch_size: elements per batch (>= 1).
            drop_remainder: drop a last, smaller batch.
            num_parallel_calls: accepted and unused (batches are gathered in one NumPy index).
            deterministic: accepted and unused (the order is always deterministic).
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.

        Raises:
            TypeError: when `batch_size` is not an int.
            ValueError: when `batch_size` < 1.
        """
        return self._then(n.Batch, _count(batch_size, "batch_size", 1), bool(drop_remainder))

    def unbatch(self, name: Any = None) -> Dataset:
        """Each batch split back into its elements, as tf.data.Dataset.unbatch.

        Args:
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.
        """
        return self._then(n.Unbatch)

    def map(
        self,
        map_func: Callable,
        num_parallel_calls: Any = None,
        deterministic: Any = None,
        name=None,
    ) -> Dataset:
        """`map_func` applied to each element, as tf.data.Dataset.map.

        Args:
            map_func: a function of the element's components (Tensors) returning the new element.
            num_parallel_calls: accepted and unused: map functions call the Rust engine, which uses
                every core itself, and Python threads would only contend for the GIL.
            deterministic: accepted and unused (the order is always deterministic).
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.
        """
        # num_parallel_calls is accepted and ignored: map functions call the Rust engine, which
        # uses both cores itself, and Python threads would only contend for the GIL.
        return self._then(n.Map, map_func)

    def filter(self, predicate: Callable, name: Any = None) -> Dataset:
        """Only the elements for which `predicate` is true, as tf.data.Dataset.filter.

        Args:
            predicate: a function of the element's components returning a bool (or a 0-d Tensor).
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.
        """
        return self._then(n.Filter, predicate)

    def repeat(self, count: Any = None, name: Any = None) -> Dataset:
        """The dataset `count` times over (forever when None or -1), as tf.data.Dataset.repeat.

        Args:
            count: the number of passes, or None / -1 for an infinite dataset.
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.

        Raises:
            TypeError: when `count` is not an int.
            ValueError: when `count` < -1.
        """
        count = -1 if count is None else _count(count, "count", -1)
        return self if count == 1 else self._then(n.Repeat, count)

    def take(self, count: int, name: Any = None) -> Dataset:
        """The first `count` elements (all when -1), as tf.data.Dataset.take.

        Args:
            count: how many elements.
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.

        Raises:
            TypeError: when `count` is not an int.
            ValueError: when `count` < -1.
        """
        return self._then(n.Take, _count(count, "count", -1))

    def skip(self, count: int, name: Any = None) -> Dataset:
        """All but the first `count` elements (none when -1), as tf.data.Dataset.skip.

        Args:
            count: how many elements to drop.
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.

        Raises:
            TypeError: when `count` is not an int.
            ValueError: when `count` < -1.
        """
        return self._then(n.Skip, _count(count, "count", -1))

    def cache(self, filename: str = "", name: Any = None) -> Dataset:
        """The elements kept in memory after the first pass, as tf.data.Dataset.cache().

        Args:
            filename: only "" (memory); a file cache is not supported.
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.

        Raises:
            NotImplementedError: when `filename` is given.
        """
        if filename:
            raise NotImplementedError("cache(filename) is not supported; cache() keeps memory")
        return self._then(n.Cache)

    def prefetch(self, buffer_size: Any, name: Any = None) -> Dataset:
        """The same dataset: a pass-through, as the data is in memory and one process computes it.

        Args:
            buffer_size: accepted (any value, AUTOTUNE included) and unused.
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.
        """
        # A pass-through: the data is in memory and one process computes it, so preparing the
        # next batch early on another thread would only take the GIL from the training step.
        return self._then(n.Pass)

    def concatenate(self, dataset: Dataset, name: Any = None) -> Dataset:
        """This dataset's elements, then `dataset`'s, as tf.data.Dataset.concatenate.

        Args:
            dataset: a Dataset whose elements have the same structure.
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.

        Raises:
            TypeError: when `dataset` is not a Dataset.
        """
        if not isinstance(dataset, Dataset):
            raise TypeError(f"concatenate takes a Dataset, got {type(dataset).__name__}")
        return Dataset(n.Concat(self._node, dataset._node))

    def enumerate(self, start: int = 0, name: Any = None) -> Dataset:
        """(index, element) pairs, counting from `start`, as tf.data.Dataset.enumerate.

        Args:
            start: the first index.
            name: TF's name for the step; accepted and unused.

        Returns:
            Dataset: the new dataset.
        """
        return self._then(n.Enumerate, _count(start, "start", -(2**62)))

    def apply(self, transformation_func: Callable) -> Dataset:
        """`transformation_func(self)`, as tf.data.Dataset.apply.

        Args:
            transformation_func: a function from a Dataset to a Dataset.

        Returns:
            Dataset: what the function returns.
        """
        return transformation_func(self)

    def _then(self, node_class: Any, *args: Any) -> Dataset:
        return Dataset(node_class(self._node, *args))

    # ---- consuming ------------------------------------------------------------------------------
    def __iter__(self) -> Iterator:
        return (u.to_user(e) for e in self._node.elements())

    def as_numpy_iterator(self) -> Iterator:
        """An iterator over the elements as NumPy arrays (tf.data.Dataset.as_numpy_iterator).

        Returns:
            Iterator: elements with the dataset's structure, of NumPy arrays.
        """
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
