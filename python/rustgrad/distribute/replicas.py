"""What fit does on several ranks: one seed, weights from rank 0, each rank its shard of every
global batch, gradients averaged in the engine's gradient hook (or in apply_gradients for an
overridden train_step), losses and metrics summed across ranks, and any failure on one rank
aborting them all (so none waits forever in a collective)."""

from __future__ import annotations

import contextlib
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from rustgrad.distribute import _agree, _flat, _state
from rustgrad.distribute import _feeds as feeds


class ReplicaMismatchError(ValueError):
    """Raised on every rank at once (no rank is left waiting), so fit does not abort for it."""

    every_rank = True


class Replicas:
    """One distributed fit's view of its strategy; None stands for "one process" everywhere.

    Args:
        strategy: the multi-rank MPIStrategy the model was compiled under.
    """

    def __init__(self, strategy: Any) -> None:
        self.s, self.comm, self.MPI = strategy, strategy.comm, strategy._MPI
        self.rank, self.size = strategy.rank, strategy.size
        self.started = False

    @classmethod
    def begin(cls, model: Any, feed: Any, batch_size: int) -> Replicas | None:
        """The replicas of a fit, or None when it runs as one process.

        Args:
            model: the model being fit.
            feed: the Dataset / generator / PyDataset feed, or None for arrays.
            batch_size: the global batch size (a fast Dataset's own).

        Returns:
            A Replicas when the model's strategy has several ranks, else None.

        Raises:
            ValueError: the global batch does not divide across the ranks (on every rank).
        """
        s = _state.strategy_of(model)
        if s is None or not s.distributed:
            return None
        # Batches a feed reads one at a time are checked as they come (feeds.local_batches).
        if feed is None or feed.fast:
            what = "batch_size" if feed is None else "the dataset's batch size"
            feeds.check_divides(batch_size, s.size, what)
        r = cls(s)
        feeds.sync_shuffles(r, getattr(feed, "ds", None))
        return r

    def start(self, model: Any) -> None:
        """Rank 0's weights on every rank (shapes checked first); the gradient hook installed.
        A model that builds on its first batch (a subclass fed by a generator) starts there.

        Args:
            model: the model being fit.

        Raises:
            ReplicaMismatchError: the ranks' models have different weight shapes (on every rank).
        """
        if self.started or not model.built:
            return
        self.started = True
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
        """The gradient hook removed (the model trains alone again).

        Args:
            model: the model being fit.
        """
        if self.started:
            model._engine().set_grad_hook(None)

    def reduce_pairs(self, pairs: list, rows: int) -> list:
        """(gradient, variable) pairs of an apply_gradients with each gradient averaged across
        the ranks in one Allreduce, weighted by the rows of each rank's batch.

        Args:
            pairs: (gradient or None, variable) pairs, in the same order on every rank.
            rows: the rows of this rank's batch.

        Returns:
            The pairs with averaged gradients (None where no rank had one).
        """
        shapes = [tuple(v.shape) for _, v in pairs]
        buf = _flat.pack([g for g, _ in pairs], shapes, rows)
        self._average(buf)
        return list(zip(_flat.unpack(buf, shapes), [v for _, v in pairs]))

    def train_step(self, run: Callable[[], dict], rows: int, seen: int) -> dict:
        """`run()` (a call of the model's train_step on this rank's `rows`) with its
        apply_gradients averaging across ranks; its logs averaged over the ranks, weighted by
        the `seen` rows each trained this epoch. Every rank must call apply_gradients as often
        as the others: each call is a collective.

        Args:
            run: calls the train_step and returns its logs as floats.
            rows: the rows of this rank's batch.
            seen: the rows this rank trained on this epoch, this batch included.

        Returns:
            The averaged logs, equal on every rank.
        """
        with _state.reducing(lambda pairs: self.reduce_pairs(pairs, rows)):
            logs = run()
        return _agree.mean_logs(self, logs, seen)

    def check_in_sync(self, model: Any, epoch: int) -> None:
        """After an epoch of an overridden train_step, raise on every rank if the trainable
        weights differ across ranks (see _agree.check_in_sync)."""
        _agree.check_in_sync(self, model, epoch)

    def agree(self, value: Any) -> Any:
        """Rank 0's value on every rank (the shuffle seed, a chunk size).

        Args:
            value: any picklable value.

        Returns:
            Rank 0's `value`.
        """
        return self.comm.bcast(value, root=0)

    def steps(self, n: int | None, bs: int, steps: int) -> int:
        """A last global batch with fewer rows than ranks is skipped (a rank would get none);
        batches read one by one (`n` None) are checked as they come (feeds.local_batches).

        Args:
            n: rows per epoch, or None.
            bs: the global batch size.
            steps: the steps one process would run.

        Returns:
            The steps every rank runs.
        """
        if n is None:
            return steps
        last = n - (steps - 1) * bs
        return steps - 1 if steps and last < self.size else steps

    def shard(self, order: np.ndarray, bs: int, steps: int) -> tuple[np.ndarray, int]:
        """This rank's rows of every global batch of `order`, and the per-rank batch size.

        Args:
            order: the epoch's row order (the same on every rank).
            bs: the global batch size.
            steps: the steps of the epoch.

        Returns:
            (this rank's rows in order, rows per rank of a full batch).
        """
        local, full = bs // self.size, min(steps, len(order) // bs)
        head = order[: full * bs].reshape(full, self.size, local)[:, self.rank].ravel()
        if steps == full:
            return head, local
        last = order[full * bs : steps * bs]
        m = len(last)
        tail = last[self.rank * m // self.size : (self.rank + 1) * m // self.size]
        return np.concatenate([head, tail]), local

    def sums(self, loss_sum: float, seen: int, stats: list) -> tuple[float, int, list]:
        """Loss and metric sums and counts over every rank.

        Args:
            loss_sum: this rank's loss times rows, summed.
            seen: this rank's rows.
            stats: this rank's [sum, count] per metric.

        Returns:
            The same three, summed over the ranks.
        """
        v = np.array([loss_sum, seen, *[x for s in stats for x in s]], np.float64)
        self.comm.Allreduce(self.MPI.IN_PLACE, v, op=self.MPI.SUM)
        return float(v[0]), int(v[1]), v[2:].reshape(-1, 2).tolist()

    def callbacks(self, user: list) -> list:
        """Off the chief, the callbacks that only write files (CSVLogger, TensorBoard) are left
        out; ModelCheckpoint and BackupAndRestore stay, their writes are no-ops there.

        Args:
            user: the callbacks given to fit.

        Returns:
            The callbacks this rank runs.
        """
        if self.rank == 0:
            return user
        from rustgrad.keras.callbacks import CSVLogger, TensorBoard

        return [c for c in user if not isinstance(c, (CSVLogger, TensorBoard))]


def local_sums(loss_sum: float, seen: int, stats: list) -> tuple[float, int, list]:
    """`Replicas.sums` for one process: the numbers as they are.

    Args:
        loss_sum: the loss times rows, summed.
        seen: the rows.
        stats: [sum, count] per metric.

    Returns:
        The same three.
    """
    return loss_sum, seen, stats


@contextlib.contextmanager
def guard(model: Any) -> Iterator[None]:
    """A failure on one rank of a distributed fit aborts every rank (they may be waiting in an
    Allreduce for this one), after printing which rank failed and why.

    Args:
        model: the model being fit.

    Yields:
        None, around the fit.
    """
    try:
        yield
    except BaseException as e:
        s = _state.strategy_of(model)
        if s is not None and s.distributed and not getattr(e, "every_rank", False):
            abort(s, e)
        raise


def abort(s: Any, e: BaseException) -> None:
    """Print the traceback of `e` and which rank failed, then end every rank (MPI_Abort).

    Args:
        s: the strategy.
        e: what this rank raised.
    """
    text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    sys.stderr.write(
        f"{text}rustgrad.distribute: rank {s.rank} of {s.size} failed in fit "
        f"({type(e).__name__}: {e}); aborting every rank\n"
    )
    sys.stderr.flush()
    s.comm.Abort(1)
