"""What ranks compare or average besides the gradients: the logs an overridden train_step returns
(averaged, weighted by rows) and, after each of its epochs, the trainable weights (which stay
equal only when the step updates them through apply_gradients)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad.distribute._feeds import checksum, everywhere


def check_in_sync(r: Any, model: Any, epoch: int) -> None:
    """After an epoch of an overridden train_step: the ranks' trainable weights must still be
    equal (they drift apart when the step updates them other than by apply_gradients).

    Args:
        r: the fit's Replicas.
        model: the model being fit.
        epoch: the epoch just trained (0-based), for the message.

    Raises:
        RuntimeError: some rank's weights differ from rank 0's (on every rank).
    """
    every = r.comm.allgather(checksum(([w.numpy() for w in model.trainable_weights],)))
    odd = [rank for rank, c in enumerate(every) if c != every[0]]
    if odd:
        raise everywhere(
            RuntimeError(
                f"rustgrad.distribute: after epoch {epoch + 1} the trainable weights of rank(s) "
                f"{odd} differ from rank 0's: an overridden train_step must update them with "
                "self.optimizer.apply_gradients(...) or apply(...), which averages the "
                "gradients across ranks"
            )
        )


def mean_logs(r: Any, logs: dict, seen: int) -> dict:
    """The logs of every rank's train_step, averaged weighted by the rows each rank has trained
    on this epoch (exact for the loss tracker and for means over rows such as accuracy).

    Args:
        r: the fit's Replicas.
        logs: this rank's logs ({name: float or array}).
        seen: the rows this rank trained on this epoch so far.

    Returns:
        The same logs on every rank (summed in rank order, so bit for bit equal).

    Raises:
        ValueError: the ranks' train_steps returned different names (on every rank).
    """
    every = r.comm.allgather((list(logs), [np.asarray(v, np.float64) for v in logs.values()], seen))
    keys = every[0][0]
    for rank, (theirs, _, _) in enumerate(every):
        if theirs != keys:
            raise everywhere(
                ValueError(
                    f"rank {rank}'s train_step returned logs {theirs} but rank 0's {keys}: every "
                    "rank must return the same names"
                )
            )
    total = sum(s for _, _, s in every)
    out = {}
    for i, key in enumerate(keys):
        acc = sum(vals[i] * (s if total else 1) for _, vals, s in every) / (total or len(every))
        out[key] = float(acc) if np.size(acc) == 1 else acc
    return out
