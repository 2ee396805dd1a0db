"""The eager engine's gradients as one flat float32 buffer for the Allreduce, and back.

The layout is the graph engine's (every gradient in order, the batch's rows last) with one flag
per tensor before the rows: a tensor that got no gradient on a rank (a branch its rows did not
take) is zeros there, and it stays without a gradient only if no rank gave it one, exactly as
one process over all the rows would see it.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _array(g: Any) -> np.ndarray | None:
    if g is None:
        return None
    return np.asarray(g.numpy() if hasattr(g, "numpy") else g, dtype=np.float32)


def pack(grads: list, shapes: list[tuple], rows: int) -> np.ndarray:
    """Gradients (arrays, Tensors or None) of tensors of `shapes`, their presence flags and
    `rows`, in one new float32 buffer.

    Args:
        grads: one gradient per tensor, or None where the tensor got none.
        shapes: each tensor's shape.
        rows: the rows of the batch these gradients are the mean over.

    Returns:
        The buffer: sizes summed, then one flag per tensor, then `rows`.

    Raises:
        ValueError: a gradient's size differs from its tensor's.
    """
    sizes = [int(np.prod(s)) for s in shapes]
    total = sum(sizes)
    buf = np.zeros(total + len(sizes) + 1, np.float32)
    at = 0
    for i, (g, n) in enumerate(zip(grads, sizes)):
        a = _array(g)
        if a is not None:
            if a.size != n:
                raise ValueError(
                    f"gradient {i} has {a.size} values but its variable has shape {shapes[i]}"
                )
            buf[at : at + n] = a.ravel()
            buf[total + i] = 1.0
        at += n
    buf[-1] = rows
    return buf


def unpack(buf: np.ndarray, shapes: list[tuple]) -> list[np.ndarray | None]:
    """The averaged gradients out of a buffer `pack` made (after the Allreduce).

    Args:
        buf: the buffer.
        shapes: each tensor's shape, as given to `pack`.

    Returns:
        One float32 array per tensor (a view into `buf`), or None for a tensor no rank had a
        gradient for.
    """
    sizes = [int(np.prod(s)) for s in shapes]
    total, at, out = sum(sizes), 0, []
    for i, (n, shape) in enumerate(zip(sizes, shapes)):
        present = buf[total + i] > 0
        out.append(buf[at : at + n].reshape(shape) if present else None)
        at += n
    return out
