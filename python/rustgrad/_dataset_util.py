"""tf.data helpers: element structures (tuples, dicts, arrays), conversion at the user boundary,
and the shuffle buffer; the Dataset classes are in dataset.py."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Callable

import numpy as np

INFINITE = -1  # tf.data.INFINITE_CARDINALITY
UNKNOWN = -2  # tf.data.UNKNOWN_CARDINALITY


class IntArray(np.ndarray):
    """An integer or bool NumPy array that answers `.numpy()` as a tf.Tensor does.

    rustgrad Tensors hold float32 only, so integer components (labels, Dataset.range, enumerate's
    counter) are yielded as this rather than as a Tensor: the labels keep their dtype (a float32
    Tensor would print 3.0 and lose integers past 2**24) and `y.numpy()` in TF code still works.
    """

    def numpy(self) -> np.ndarray:
        return np.asarray(self)

    def __repr__(self) -> str:
        return repr(np.asarray(self))


# ---- structures: a leaf is an ndarray; a tuple or dict holds leaves or structures ----------------
def flatten(s: Any) -> list:
    if isinstance(s, tuple):
        return [leaf for v in s for leaf in flatten(v)]
    if isinstance(s, dict):
        return [leaf for k in sorted(s) for leaf in flatten(s[k])]
    return [s]


def pack(template: Any, leaves: Iterable) -> Any:
    """The structure of `template` filled with `leaves` in flatten's order."""
    it = iter(leaves)

    def build(t: Any) -> Any:
        if isinstance(t, tuple):
            return tuple(build(v) for v in t)
        if isinstance(t, dict):
            # Keys in sorted order (flatten's), rebuilt in the template's own order.
            vals = {k: build(t[k]) for k in sorted(t)}
            return {k: vals[k] for k in t}
        return next(it)

    return build(template)


def map_leaves(fn: Callable[[Any], Any], s: Any) -> Any:
    return pack(s, [fn(leaf) for leaf in flatten(s)])


def _leaf_in(v: Any, what: str) -> np.ndarray:
    if hasattr(v, "numpy") and not isinstance(v, np.ndarray):
        v = v.numpy()  # a rustgrad Tensor
    try:
        arr = np.asarray(v)
    except ValueError as e:  # a list of arrays of different shapes
        raise ValueError(
            f"{what}: a list is one tensor in tf.data (give several arrays as a tuple): {e}"
        ) from None
    if arr.dtype == object:
        raise ValueError(f"{what}: cannot make a numeric tensor from {type(v).__name__}")
    return arr


def structure_in(v: Any, what: str) -> Any:
    """User data as a structure of ndarrays: tuples and dicts stay structures; a list is one
    tensor, as TF converts it."""
    if isinstance(v, tuple):
        return tuple(structure_in(x, what) for x in v)
    if isinstance(v, dict):
        return {k: structure_in(x, what) for k, x in v.items()}
    return _leaf_in(v, what)


def fn_result(v: Any) -> Any:
    """What a map function returned, as a structure; a list becomes a tuple, as tf.data does."""
    if isinstance(v, list):
        v = tuple(v)
    return structure_in(v, "the map function's result")


def to_user(s: Any) -> Any:
    """An element as iteration yields it: floats as rustgrad Tensors (float32), integers and
    bools as IntArray (see its docstring)."""
    from rustgrad import _core

    def one(a: Any) -> Any:
        a = np.asarray(a)
        if a.dtype.kind in "fc":
            # Not ascontiguousarray: it turns a 0-d element into shape (1,).
            a = np.asarray(a, dtype=np.float32)
            return _core.tensor(a if a.flags.c_contiguous else a.copy())
        return a.view(IntArray)

    return map_leaves(one, s)


def to_numpy(s: Any) -> Any:
    """An element for as_numpy_iterator: arrays, and NumPy scalars for 0-d ones (as TF)."""
    return map_leaves(lambda a: np.asarray(a)[()] if np.ndim(a) == 0 else np.asarray(a), s)


def call(fn: Callable, element: Any) -> Any:
    """fn on an element as tf.data calls it: a tuple's components as positional arguments."""
    user = to_user(element)
    return fn(*user) if isinstance(user, tuple) else fn(user)


def stack(elements: list) -> Any:
    """Elements of one structure stacked along a new first axis, component by component."""
    cols = zip(*(flatten(e) for e in elements))
    try:
        return pack(elements[0], [np.stack(c) for c in cols])
    except ValueError as e:
        raise ValueError(f"Cannot batch elements of different shapes: {e}") from None


def rows(s: Any, what: str) -> int:
    """The first dimension all leaves share (from_tensor_slices slices along it)."""
    leaves = flatten(s)
    for a in leaves:
        if a.ndim == 0:
            raise ValueError(
                f"{what}: a scalar cannot be sliced; every component needs a first axis"
            )
    lengths = {len(a) for a in leaves}
    if len(lengths) != 1:
        raise ValueError(
            f"{what}: all components must have the same size in their first dimension, got "
            f"{[len(a) for a in leaves]}"
        )
    return lengths.pop()


# ---- the shuffle buffer --------------------------------------------------------------------------
def buffer_shuffle(items: Iterable, buffer_size: int, rng: np.random.Generator) -> Iterator:
    """TF's shuffle: fill a buffer of buffer_size items, then repeatedly emit a uniformly chosen
    one and put the next input in its place; once the input ends the buffer drains at random.
    An item can therefore move at most buffer_size - 1 places earlier."""
    it = iter(items)
    buf = [x for _, x in zip(range(buffer_size), it)]
    draws, k = rng.random(1024), 0
    while buf:
        if k == len(draws):  # draws come in blocks: one Generator call per 1024 items
            draws, k = rng.random(1024), 0
        j = int(draws[k] * len(buf))
        k += 1
        out = buf[j]
        try:
            buf[j] = next(it)
        except StopIteration:
            buf[j] = buf[-1]
            buf.pop()
        yield out


def shuffled(items: list | np.ndarray, buffer_size: int, rng: np.random.Generator) -> Any:
    """All of a finite input shuffled: a permutation when the buffer holds it all (the same
    distribution as the buffer, one vectorised call), else the buffer walk."""
    if buffer_size >= len(items):
        order = rng.permutation(len(items))
        return items[order] if isinstance(items, np.ndarray) else [items[i] for i in order]
    out = list(buffer_shuffle(items, buffer_size, rng))
    return np.asarray(out, dtype=np.int64) if isinstance(items, np.ndarray) else out
