"""Inputs read one batch at a time on several ranks (a Dataset, generator or PyDataset): every
rank reads the same global batches and trains on its contiguous slice of each.

Each batch costs one tiny Allgather (rows and a checksum per rank) before anything trains on
it, so ranks agree on where an epoch ends: a rank that runs out of batches before the others,
or gets a batch of other rows, makes every rank raise the same error naming it, instead of
leaving the others waiting in the gradient Allreduce.
"""

from __future__ import annotations

import itertools
import warnings
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from rustgrad import _dataset_nodes as nodes


def everywhere(e: Exception) -> Exception:
    """Mark an error every rank raises alike (before any collective): fit re-raises it as is,
    without aborting the other ranks.

    Args:
        e: the exception.

    Returns:
        `e`, marked.
    """
    e.every_rank = True  # type: ignore[attr-defined]
    return e


def check_divides(batch: int, size: int, what: str) -> None:
    """Refuse a global batch that does not split evenly across the ranks.

    Args:
        batch: the global batch's rows.
        size: the number of ranks.
        what: how the message names the batch size ("batch_size", ...).

    Raises:
        ValueError: `batch` is not a multiple of `size` (raised alike on every rank).
    """
    if batch % size:
        raise everywhere(
            ValueError(
                f"{what} {batch} is global and must divide evenly across the {size} ranks "
                f"(e.g. {batch - batch % size or size})"
            )
        )


def _rows(a: Any) -> int:
    return len(a[0]) if isinstance(a, list) else len(a)


def _take(a: Any, lo: int, hi: int) -> Any:
    if a is None:
        return None
    return [v[lo:hi] for v in a] if isinstance(a, list) else a[lo:hi]


def checksum(batch: tuple) -> int:
    """Adler-32 of the bytes of every array in `batch` (arrays, lists of arrays or None)."""
    c = 1
    for part in batch:
        for a in part if isinstance(part, list) else [part]:
            if a is not None:
                c = zlib.adler32(np.ascontiguousarray(a).view(np.uint8).reshape(-1), c)
    return c


def local_batches(r: Any, model: Any, batches: Iterator[tuple]) -> Iterator[tuple]:
    """This rank's slice of every global batch, once all ranks agree they have that batch.

    Args:
        r: the fit's Replicas.
        model: the model (its weights are broadcast when it first has some).
        batches: the global batches as (x, y, sample_weight) arrays (y, sample_weight may be None).

    Yields:
        (x, y, sample_weight) with the rows [rank·m/N, (rank+1)·m/N) of each m-row batch.

    Raises:
        RuntimeError: some ranks ran out of batches before the others (on every rank).
        ValueError: ranks got batches of different rows, or the first batch's rows do not
            divide by the number of ranks (on every rank).
    """
    for step in itertools.count():
        batch = next(batches, None)
        mine = np.array([-1, 0] if batch is None else [_rows(batch[0]), checksum(batch)])
        every = np.empty((r.size, 2), np.int64)
        r.comm.Allgather(mine.astype(np.int64), every)
        rows = every[:, 0]
        if (rows < 0).all():
            return
        _same_rows(r, step, rows)
        if not getattr(r, "first_checked", False):
            check_divides(int(rows[0]), r.size, "the first batch's size")
            r.first_checked = True
        if (every[:, 1] != every[0, 1]).any() and not getattr(r, "warned_data", False):
            r.warned_data = True
            if r.rank == 0:
                differ = np.flatnonzero(every[:, 1] != every[0, 1]).tolist()
                warnings.warn(
                    f"rustgrad.distribute: batch {step} of ranks {differ} differs from rank 0's; "
                    "each rank trains on its slice of its own batches, so N ranks do not see "
                    "the data one process would (seed the input's shuffling alike on every rank)",
                    stacklevel=2,
                )
        m = int(rows[0])
        if m < r.size:
            if r.rank == 0:
                warnings.warn(
                    f"rustgrad.distribute: batch {step} has {m} rows, fewer than the {r.size} "
                    "ranks; it is skipped on every rank",
                    stacklevel=2,
                )
            continue
        r.start(model)
        lo, hi = r.rank * m // r.size, (r.rank + 1) * m // r.size
        yield tuple(_take(part, lo, hi) for part in batch)


def _same_rows(r: Any, step: int, rows: np.ndarray) -> None:
    out = np.flatnonzero(rows < 0).tolist()
    if out:
        have = np.flatnonzero(rows >= 0).tolist()
        raise everywhere(
            RuntimeError(
                f"rustgrad.distribute: rank(s) {out} ran out of batches at batch {step} of the "
                f"epoch while rank(s) {have} had one: every rank must read the same batches "
                "(or pass steps_per_epoch)"
            )
        )
    odd = np.flatnonzero(rows != rows[0]).tolist()
    if odd:
        raise everywhere(
            ValueError(
                f"rustgrad.distribute: batch {step} has {int(rows[odd[0]])} rows on rank "
                f"{odd[0]} but {int(rows[0])} on rank 0: every rank must read the same batches"
            )
        )


def sync_shuffles(r: Any, ds: Any) -> None:
    """Rank 0's seed and epoch count for every shuffle of a Dataset, so every rank draws the same
    order (an unseeded shuffle drew its seed from each rank's own NumPy state).

    Args:
        r: the fit's Replicas.
        ds: a rustgrad Dataset, or None.

    Raises:
        ValueError: the ranks' datasets have different numbers of shuffles.
    """
    if ds is None:
        return
    found, stack = [], [ds._node]
    while stack:
        node = stack.pop()
        if isinstance(node, nodes.Shuffle):
            found.append(node)
        stack += [getattr(node, a) for a in ("_parent", "_first", "_second") if hasattr(node, a)]
        stack += list(getattr(node, "_parts", ()))
    chief = r.agree([(n._seed, n._epoch) for n in found])
    if len(chief) != len(found):
        raise ValueError(
            f"rank {r.rank}'s dataset has {len(found)} shuffle(s), rank 0's {len(chief)}: every "
            "rank must build the same dataset"
        )
    for node, (seed, epoch) in zip(found, chief):
        node._seed, node._epoch = seed, epoch
