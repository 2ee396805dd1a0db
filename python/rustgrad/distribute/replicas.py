"""What fit does on several ranks: one seed, weights from rank 0, each rank its shard of every
global batch, gradients averaged in the core's gradient hook, losses and metrics summed across
ranks, and any failure on one rank aborting them all (so none waits forever in a collective)."""

from __future__ import annotations

import contextlib
import sys
import time
import traceback
from collections.abc import Iterator
from typing import Any

import numpy as np

from rustgrad.distribute import _state


class ReplicaMismatchError(ValueError):
    """Raised on every rank at once (no rank is left waiting), so fit does not abort for it."""

    every_rank = True


def _everywhere(e: Exception) -> Exception:
    """Mark an error every rank raises alike (before any collective): fit re-raises it as is."""
    e.every_rank = True  # type: ignore[attr-defined]
    return e


class Replicas:
    """One distributed fit's view of its strategy; None stands for "one process" everywhere."""

    def __init__(self, strategy: Any) -> None:
        self.s, self.comm, self.MPI = strategy, strategy.comm, strategy._MPI
        self.rank, self.size = strategy.rank, strategy.size

    @classmethod
    def begin(cls, model: Any, custom: bool, feed: Any, batch_size: int) -> Replicas | None:
        s = _state.strategy_of(model)
        if s is None or not s.distributed:
            return None
        if custom or model._is_custom():
            raise _everywhere(
                NotImplementedError(
                    "MPIStrategy trains graphs of built-in layers; a model with Python code in it "
                    "(a subclass, a custom layer, an overridden train_step) is not distributed yet"
                )
            )
        if feed is not None:
            raise _everywhere(
                NotImplementedError(
                    "MPIStrategy shards arrays; pass x and y as arrays, not a Dataset, generator "
                    "or PyDataset"
                )
            )
        if batch_size % s.size:
            raise _everywhere(
                ValueError(
                    f"batch_size {batch_size} is global and must divide evenly across the "
                    f"{s.size} ranks (e.g. {batch_size - batch_size % s.size or s.size})"
                )
            )
        return cls(s)

    def start(self, model: Any) -> None:
        """Rank 0's weights on every rank (shapes checked first); the gradient hook installed."""
        ws = model.get_weights()
        shapes = [tuple(np.shape(w)) for w in ws]
        every = self.comm.allgather(shapes)
        for r, theirs in enumerate(every):
            if theirs != every[0]:
                at = next((i for i, (a, b) in enumerate(zip(every[0], theirs)) if a != b), None)
                what = f"weight {at}: {every[0][at]} vs {theirs[at]}" if at is not None else ""
                raise ReplicaMismatchError(
                    f"rank {r}'s model differs from rank 0's: {len(theirs)} weights vs "
                    f"{len(every[0])}{'; first difference at ' + what if what else ''}"
                )
        flat = np.concatenate([np.ravel(w).astype(np.float32) for w in ws]) if ws else None
        if flat is not None:
            self.comm.Bcast(flat, root=0)
            if self.rank:
                cuts = np.cumsum([int(np.prod(sh)) for sh in shapes])[:-1]
                model.set_weights([p.reshape(sh) for p, sh in zip(np.split(flat, cuts), shapes)])
        model._engine().set_grad_hook(self._average)

    def _average(self, buf: np.ndarray) -> None:
        # buf = gradients (the mean over this rank's rows), then the rows: weighting by rows makes
        # a short last batch split unevenly average exactly as one process would.
        t = time.perf_counter()
        rows = buf[-1]
        buf[:-1] *= rows
        self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM)
        buf[:-1] /= buf[-1]
        self.s.allreduce_seconds += time.perf_counter() - t
        self.s.allreduce_calls += 1

    def end(self, model: Any) -> None:
        model._engine().set_grad_hook(None)

    def agree(self, value: Any) -> Any:
        """Rank 0's value on every rank (the shuffle seed, a chunk size)."""
        return self.comm.bcast(value, root=0)

    def steps(self, n: int, bs: int, steps: int) -> int:
        """A last global batch with fewer rows than ranks is skipped (a rank would get none)."""
        last = n - (steps - 1) * bs
        return steps - 1 if steps and last < self.size else steps

    def shard(self, order: np.ndarray, bs: int, steps: int) -> tuple[np.ndarray, int]:
        """This rank's rows of every global batch of `order`, and the per-rank batch size."""
        local, full = bs // self.size, min(steps, len(order) // bs)
        head = order[: full * bs].reshape(full, self.size, local)[:, self.rank].ravel()
        if steps == full:
            return head, local
        last = order[full * bs : steps * bs]
        m = len(last)
        tail = last[self.rank * m // self.size : (self.rank + 1) * m // self.size]
        return np.concatenate([head, tail]), local

    def sums(self, loss_sum: float, seen: int, stats: list) -> tuple[float, int, list]:
        """Loss and metric sums and counts over every rank."""
        v = np.array([loss_sum, seen, *[x for s in stats for x in s]], np.float64)
        self.comm.Allreduce(self.MPI.IN_PLACE, v, op=self.MPI.SUM)
        return float(v[0]), int(v[1]), v[2:].reshape(-1, 2).tolist()

    def callbacks(self, user: list) -> list:
        """Off the chief, the callbacks that only write files (CSVLogger, TensorBoard) are left
        out; ModelCheckpoint and BackupAndRestore stay, their writes are no-ops there."""
        if self.rank == 0:
            return user
        from rustgrad.keras.callbacks import CSVLogger, TensorBoard

        return [c for c in user if not isinstance(c, (CSVLogger, TensorBoard))]


def local_sums(loss_sum: float, seen: int, stats: list) -> tuple[float, int, list]:
    return loss_sum, seen, stats


@contextlib.contextmanager
def guard(model: Any) -> Iterator[None]:
    """A failure on one rank of a distributed fit aborts every rank (they may be waiting in an
    Allreduce for this one), after printing which rank failed and why."""
    try:
        yield
    except BaseException as e:
        s = _state.strategy_of(model)
        if s is not None and s.distributed and not getattr(e, "every_rank", False):
            abort(s, e)
        raise


def abort(s: Any, e: BaseException) -> None:
    text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    sys.stderr.write(
        f"{text}rustgrad.distribute: rank {s.rank} of {s.size} failed in fit "
        f"({type(e).__name__}: {e}); aborting every rank\n"
    )
    sys.stderr.flush()
    s.comm.Abort(1)
