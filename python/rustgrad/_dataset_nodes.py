"""tf.data's pipeline nodes: each yields elements (structures of NumPy arrays) lazily, knows its
cardinality, and, when it only reorders rows of a from_tensor_slices source, its index plan."""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import islice
from typing import Any, Callable

import numpy as np

from rustgrad import _dataset_util as u
from rustgrad._dataset_util import INFINITE, UNKNOWN


class Node:
    """What every node gives: card, elements(); source() and indices() for an index plan (the
    rows of source() one iteration visits; None from source() means there is none)."""

    card: int = UNKNOWN

    def elements(self) -> Iterator:
        src = self.source()
        if src is None:
            return self.stream()
        return (src.row(int(i)) for i in self.indices())

    def stream(self) -> Iterator:
        """The elements when there is no index plan."""
        raise NotImplementedError

    def indices(self) -> np.ndarray:
        raise NotImplementedError


class Slices(Node):
    def __init__(self, structure: Any):
        self.card = u.rows(structure, "from_tensor_slices")
        self._structure, self._leaves = structure, u.flatten(structure)

    def source(self) -> Slices:
        return self

    def indices(self) -> np.ndarray:
        return np.arange(self.card, dtype=np.int64)

    def row(self, i: int) -> Any:
        return u.pack(self._structure, [a[i] for a in self._leaves])

    def gather(self, idx: np.ndarray) -> Any:
        return u.pack(self._structure, [a[idx] for a in self._leaves])


class Unary(Node):
    """A node over one parent; by default it keeps the parent's size and index plan."""

    def __init__(self, parent: Node):
        self._parent, self.card = parent, parent.card

    def source(self) -> Any:
        return self._parent.source()

    def indices(self) -> np.ndarray:
        return self._parent.indices()

    def stream(self) -> Iterator:
        return self._parent.elements()


class Pass(Unary):
    pass


class NoPlan(Unary):
    """A node whose elements are not rows of the source (batches, map results): no index plan."""

    def source(self) -> Any:
        return None


class Shuffle(Unary):
    def __init__(self, parent: Node, buffer_size: int, seed: Any, reshuffle: bool):
        super().__init__(parent)
        self._buffer, self._reshuffle, self._epoch = buffer_size, bool(reshuffle), 0
        # Unseeded shuffles draw their seed from NumPy's global state (as fit's shuffling does),
        # so np.random.seed(...) makes a whole run repeatable.
        self._seed = int(np.random.randint(0, 2**31 - 1)) if seed is None else int(seed)

    def _rng(self) -> np.random.Generator:
        """Each iteration's generator: a new one per iteration from (seed, iteration) when
        reshuffling, else the same one every time; either way seeded runs repeat exactly."""
        epoch = self._epoch
        self._epoch += 1
        return np.random.default_rng([self._seed, epoch if self._reshuffle else 0])

    def indices(self) -> np.ndarray:
        return u.shuffled(self._parent.indices(), self._buffer, self._rng())

    def stream(self) -> Iterator:
        rng = self._rng()
        if self.card >= 0 and self._buffer >= self.card:
            return iter(u.shuffled(list(self._parent.elements()), self._buffer, rng))
        return u.buffer_shuffle(self._parent.elements(), self._buffer, rng)


class Take(Unary):
    def __init__(self, parent: Node, count: int):
        super().__init__(parent)
        self._n = count
        if count >= 0 and parent.card != UNKNOWN:
            self.card = count if parent.card == INFINITE else min(count, parent.card)

    def indices(self) -> np.ndarray:
        idx = self._parent.indices()
        return idx if self._n < 0 else idx[: self._n]

    def stream(self) -> Iterator:
        it = self._parent.elements()
        return it if self._n < 0 else islice(it, self._n)


class Skip(Unary):
    def __init__(self, parent: Node, count: int):
        super().__init__(parent)
        self._n = count
        if count < 0:
            self.card = 0 if parent.card != INFINITE else INFINITE
        elif parent.card >= 0:
            self.card = max(parent.card - count, 0)

    def indices(self) -> np.ndarray:
        idx = self._parent.indices()
        return idx[len(idx) :] if self._n < 0 else idx[self._n :]

    def stream(self) -> Iterator:
        it = self._parent.elements()
        if self._n < 0:
            for _ in it:  # as TF: skip(-1) still runs the input, for its side effects
                pass
        yield from islice(it, max(self._n, 0), None)


class Repeat(Unary):
    def __init__(self, parent: Node, count: int):
        super().__init__(parent)
        self._n = count
        if count < 0:
            self.card = 0 if parent.card == 0 else INFINITE
        elif parent.card >= 0:
            self.card = parent.card * count

    def source(self) -> Any:
        return None if self._n < 0 else self._parent.source()

    def indices(self) -> np.ndarray:
        parts = [self._parent.indices() for _ in range(self._n)]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def stream(self) -> Iterator:
        done = 0
        while self._n < 0 or done < self._n:
            empty = True
            for e in self._parent.elements():
                empty = False
                yield e
            done += 1
            if empty:  # as TF: repeating an empty dataset ends instead of spinning forever
                return


class Cache(Unary):
    """The first complete iteration is kept and replayed; an unfinished one keeps nothing."""

    def __init__(self, parent: Node):
        super().__init__(parent)
        self._kept: Any = None

    def indices(self) -> np.ndarray:
        if self._kept is None:
            self._kept = self._parent.indices()
        return self._kept

    def stream(self) -> Iterator:
        if self._kept is not None:
            yield from self._kept
            return
        seen = []
        for e in self._parent.elements():
            seen.append(e)
            yield e
        self._kept = seen


class Batch(NoPlan):
    def __init__(self, parent: Node, batch_size: int, drop_remainder: bool):
        super().__init__(parent)
        self.batch_size, self.drop_remainder = batch_size, drop_remainder
        if parent.card >= 0:
            n = parent.card
            self.card = n // batch_size if drop_remainder else math.ceil(n / batch_size)

    def plan(self) -> Any:
        """(source, rows of this iteration trimmed to whole batches if drop_remainder) when the
        parent is an index plan, else None: keras/_dataset_fit.py trains on these directly."""
        src = self._parent.source()
        if src is None:
            return None
        idx = self._parent.indices()
        if self.drop_remainder:
            idx = idx[: len(idx) // self.batch_size * self.batch_size]
        return src, idx

    def elements(self) -> Iterator:
        plan, bs = self.plan(), self.batch_size
        if plan is not None:
            src, idx = plan
            # One gather per component and batch: no per-element Python work.
            for start in range(0, len(idx), bs):
                yield src.gather(idx[start : start + bs])
            return
        chunk: list = []
        for e in self._parent.elements():
            chunk.append(e)
            if len(chunk) == bs:
                yield u.stack(chunk)
                chunk = []
        if chunk and not self.drop_remainder:
            yield u.stack(chunk)


class Unbatch(NoPlan):
    def __init__(self, parent: Node):
        super().__init__(parent)
        self.card = UNKNOWN

    def elements(self) -> Iterator:
        for e in self._parent.elements():
            leaves = u.flatten(e)
            for i in range(u.rows(e, "unbatch")):
                yield u.pack(e, [a[i] for a in leaves])


class Map(NoPlan):
    def __init__(self, parent: Node, fn: Callable):
        super().__init__(parent)
        self._fn = fn

    def elements(self) -> Iterator:
        return (u.fn_result(u.call(self._fn, e)) for e in self._parent.elements())


class Filter(Map):
    def __init__(self, parent: Node, predicate: Callable):
        super().__init__(parent, predicate)
        self.card = UNKNOWN

    def elements(self) -> Iterator:
        return (e for e in self._parent.elements() if bool(u.call(self._fn, e)))


class Enumerate(NoPlan):
    def __init__(self, parent: Node, start: int):
        super().__init__(parent)
        self._start = start

    def elements(self) -> Iterator:
        for i, e in enumerate(self._parent.elements(), self._start):
            yield np.int64(i), e


class Zip(Node):
    def __init__(self, structure: Any):
        self._structure, self._parts = structure, u.flatten(structure)
        cards = [d.card for d in self._parts]
        if UNKNOWN in cards:
            self.card = UNKNOWN
        else:
            finite = [c for c in cards if c >= 0]
            self.card = min(finite) if finite else INFINITE

    def elements(self) -> Iterator:
        iters = [d.elements() for d in self._parts]
        return (u.pack(self._structure, parts) for parts in zip(*iters))


class Concat(Node):
    def __init__(self, first: Node, second: Node):
        self._first, self._second = first, second
        a, b = first.card, second.card
        if INFINITE in (a, b):
            self.card = INFINITE
        elif UNKNOWN in (a, b):
            self.card = UNKNOWN
        else:
            self.card = a + b

    def elements(self) -> Iterator:
        yield from self._first.elements()
        yield from self._second.elements()
