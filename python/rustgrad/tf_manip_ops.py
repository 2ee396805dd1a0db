"""TF's tensor manipulation ops (`tf.broadcast_to`, `tf.tile`, `tf.split`, `tf.unstack`, `tf.pad`,
`tf.sort`, `tf.argsort`, `tf.math.top_k`, `tf.boolean_mask`, `tf.unique`, `tf.math.floor/ceil`):
built from slicing, gathering and concatenation, so gradients flow where TF has them."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from rustgrad import _core, _symbolic
from rustgrad._core import Tensor
from rustgrad.tf_dtypes import _shape, convert_to_tensor


def _axis_of(t: Tensor, axis: Any, op: str) -> int:
    ax = int(axis)
    if not -t.ndim <= ax < t.ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of rank {t.ndim}")
    return ax % t.ndim


def _take(t: Tensor, idx: Any, axis: int) -> Tensor:
    return t[(slice(None),) * axis + (np.asarray(idx, np.int64),)]


def broadcast_to(input: Any, shape: Any, name: Any = None):
    """`input` repeated along new or size-1 axes to `shape` (NumPy's rules); the gradient sums
    back over the repeats.

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        shape: the target shape.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the broadcast tensor.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(input).broadcast_to(_shape(shape))


def tile(input: Any, multiples: Any, name: Any = None):
    """`input` repeated `multiples[i]` times along axis i, as tf.tile.

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        multiples: one count >= 0 per axis.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: shape input.shape[i] * multiples[i].

    Raises:
        ValueError: when multiples has not one count per axis or a count is negative.
    """
    t = convert_to_tensor(input)
    reps = _shape(multiples)
    if len(reps) != t.ndim or any(r < 0 for r in reps):
        raise ValueError(f"tile: multiples {reps} needs one count >= 0 per axis of {t.shape}")
    # (r0, d0, r1, d1, ...) by broadcasting a (1, d0, 1, d1, ...) view, then merged pairwise.
    inter = tuple(v for d in t.shape for v in (1, d))
    wide = tuple(v for r, d in zip(reps, t.shape) for v in (r, d))
    out = tuple(r * d for r, d in zip(reps, t.shape))
    return t.reshape(inter).broadcast_to(wide).reshape(out)


def split(value: Any, num_or_size_splits: Any, axis: int = 0, num: Any = None, name: Any = None):
    """Pieces of `value` along `axis`: a count of equal pieces, or a list of sizes (one may be -1
    for the rest), as tf.split.

    Args:
        value: a Tensor, or anything convert_to_tensor accepts.
        num_or_size_splits: an int dividing the axis, or a list of sizes.
        axis: the axis to cut.
        num: TF's count of outputs when it cannot be inferred; checked against the sizes.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        list[Tensor]: the pieces (views with gradients).

    Raises:
        ValueError: when the pieces do not add up to the axis.
    """
    t = convert_to_tensor(value)
    ax = _axis_of(t, axis, "split")
    n = t.shape[ax]
    if isinstance(num_or_size_splits, (int, np.integer)):
        k = int(num_or_size_splits)
        if k <= 0 or n % k:
            raise ValueError(f"split: {k} equal pieces do not divide an axis of size {n}")
        sizes = [n // k] * k
    else:
        sizes = [int(s) for s in num_or_size_splits]
        if sizes.count(-1) > 1:
            raise ValueError("split: at most one size may be -1")
        if -1 in sizes:
            sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"split: sizes {sizes} do not add up to the axis size {n}")
    if num is not None and int(num) != len(sizes):
        raise ValueError(f"split: num={num} but the sizes give {len(sizes)} pieces")
    starts = np.cumsum([0, *sizes])
    lead = (slice(None),) * ax
    return [t[(*lead, slice(int(a), int(b)))] for a, b in zip(starts[:-1], starts[1:])]


def unstack(value: Any, num: Any = None, axis: int = 0, name: Any = None):
    """The slices of `value` along `axis`, each without that axis, as tf.unstack.

    Args:
        value: a Tensor of rank >= 1, or anything convert_to_tensor accepts.
        num: the axis size, checked when given.
        axis: the axis to unstack.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        list[Tensor]: the slices.

    Raises:
        ValueError: for a scalar, or num other than the axis size.
    """
    t = convert_to_tensor(value)
    if t.ndim == 0:
        raise ValueError("unstack: value must have at least one axis")
    ax = _axis_of(t, axis, "unstack")
    if num is not None and int(num) != t.shape[ax]:
        raise ValueError(f"unstack: num={num} but the axis has size {t.shape[ax]}")
    return [t[(slice(None),) * ax + (i,)] for i in range(t.shape[ax])]


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", constant_values: Any = 0, name=None):
    """`tensor` with `paddings[i] = (before, after)` values added on axis i: constant_values
    (mode CONSTANT), or mirrored (REFLECT without the edge, SYMMETRIC with it), as tf.pad.

    Args:
        tensor: a Tensor, or anything convert_to_tensor accepts.
        paddings: one (before, after) pair of counts >= 0 per axis.
        mode: "CONSTANT", "REFLECT" or "SYMMETRIC" (any case).
        constant_values: the fill of CONSTANT.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the padded tensor (the gradient reaches the original values).

    Raises:
        ValueError: for paddings not one pair per axis, a negative count, another mode, or a
            mirror wider than the axis allows.
    """
    t = convert_to_tensor(tensor)
    pads = np.asarray(paddings.numpy() if isinstance(paddings, Tensor) else paddings)
    if pads.shape != (t.ndim, 2) or (pads < 0).any() or (pads != np.trunc(pads)).any():
        raise ValueError(
            f"pad: paddings must be {t.ndim} pairs of counts >= 0, got {pads.tolist()}"
        )
    kind = str(mode).upper()
    if kind not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(f"pad: mode must be CONSTANT, REFLECT or SYMMETRIC, got {mode!r}")
    fill = float(convert_to_tensor(constant_values).item())
    for ax, (lo, hi) in enumerate(pads.astype(int)):
        if lo == hi == 0:
            continue
        n = t.shape[ax]
        if kind == "CONSTANT":
            pieces = []
            for k, part in ((lo, None), (0, t), (hi, None)):
                if part is not None:
                    pieces.append(part)
                elif k:
                    shape = list(t.shape)
                    shape[ax] = k
                    pieces.append(_core.full(tuple(shape), fill))
            t = _core.cat(pieces, ax)
            continue
        edge = 0 if kind == "SYMMETRIC" else 1
        if max(lo, hi) > n - edge:
            raise ValueError(f"pad: {kind} padding of {max(lo, hi)} needs an axis of size > {n}")
        before = np.arange(lo, 0, -1) - 1 + edge
        after = n - 1 - np.arange(1, hi + 1) + 1 - edge
        t = _take(t, np.concatenate([before, np.arange(n), after]), ax)
    return t


def _order(t: Tensor, axis: Any, direction: str, op: str) -> tuple[int, np.ndarray]:
    if str(direction).upper() not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"{op}: direction must be ASCENDING or DESCENDING, got {direction!r}")
    ax = _axis_of(t, axis, op)
    v = t.detach().numpy()
    idx = np.argsort(-v if str(direction).upper() == "DESCENDING" else v, axis=ax, kind="stable")
    return ax, idx


def _pick(t: Tensor, idx: np.ndarray, ax: int) -> Tensor:
    # Along-axis gather through flat indices: exact values, the gradient to the picked elements.
    grid = np.indices(idx.shape)
    grid[ax] = idx
    flat = np.ravel_multi_index(tuple(grid), t.shape)
    return t.reshape(-1)[flat.reshape(-1)].reshape(idx.shape)


def sort(values: Any, axis: int = -1, direction: str = "ASCENDING", name: Any = None):
    """`values` sorted along `axis` (the gradient follows each value to its place), as tf.sort.

    Args:
        values: a Tensor, or anything convert_to_tensor accepts.
        axis: the axis to sort.
        direction: "ASCENDING" or "DESCENDING".
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the sorted values.

    Raises:
        ValueError: for another direction or an axis out of range.
    """
    t = convert_to_tensor(values)
    ax, idx = _order(t, axis, direction, "sort")
    return _pick(t, idx, ax)


def argsort(
    values: Any, axis: int = -1, direction: str = "ASCENDING", stable: bool = False, name=None
):
    """The indices that sort `values` along `axis` (ties keep their order), as tf.argsort.

    Args:
        values: a Tensor, or anything convert_to_tensor accepts.
        axis: the axis to sort.
        direction: "ASCENDING" or "DESCENDING".
        stable: TF's request for a stable order; rustgrad's is always stable.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: whole-number indices (float32 storage, see tf.int32).

    Raises:
        ValueError: for another direction or an axis out of range.
    """
    t = convert_to_tensor(values)
    return _core.tensor(_order(t, axis, direction, "argsort")[1].astype(np.float32))


TopKV2 = namedtuple("TopKV2", ["values", "indices"])


def top_k(input: Any, k: int = 1, sorted: bool = True, index_type: Any = None, name: Any = None):
    """The k largest values along the last axis and their indices, as tf.math.top_k.

    Args:
        input: a Tensor of rank >= 1, or anything convert_to_tensor accepts.
        k: how many (at most the last axis' size).
        sorted: largest first (always the case here).
        index_type: int32 or int64 (indices are whole numbers in float32 storage).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        TopKV2: (values, indices); the gradient reaches the chosen values.

    Raises:
        ValueError: for k outside [0, last axis size] or a scalar.
    """
    t = convert_to_tensor(input)
    if t.ndim == 0 or not 0 <= int(k) <= t.shape[-1]:
        raise ValueError(f"top_k: k={k} must be in [0, {t.shape[-1] if t.ndim else 0}]")
    ax, idx = _order(t, -1, "DESCENDING", "top_k")
    idx = idx[..., : int(k)]
    return TopKV2(_pick(t, idx, ax), _core.tensor(idx.astype(np.float32)))


def boolean_mask(tensor: Any, mask: Any, axis: Any = None, name: Any = None):
    """The elements (or slices) of `tensor` where `mask` is true, as tf.boolean_mask: the mask
    covers the axes from `axis` (0 unless given) and they become one axis.

    Args:
        tensor: a Tensor, or anything convert_to_tensor accepts.
        mask: booleans (or numbers, non-zero true) shaped as those axes.
        axis: the first axis the mask covers.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the kept values (gradients flow to them).

    Raises:
        ValueError: when the mask's shape does not match the tensor's axes.
    """
    t = convert_to_tensor(tensor)
    m = (mask.detach().numpy() if isinstance(mask, Tensor) else np.asarray(mask)) != 0
    ax = 0 if axis is None else _axis_of(t, axis, "boolean_mask")
    covered = tuple(t.shape[ax : ax + m.ndim])
    if m.ndim == 0 or covered != m.shape:
        raise ValueError(f"boolean_mask: mask {m.shape} does not match axes {covered} of {t.shape}")
    merged = t.reshape((*t.shape[:ax], int(np.prod(covered)), *t.shape[ax + m.ndim :]))
    return _take(merged, np.flatnonzero(m), ax)


Unique = namedtuple("Unique", ["y", "idx"])


def unique(x: Any, out_idx: Any = None, name: Any = None):
    """The distinct values of a 1-d tensor in order of first appearance, and for each element the
    index of its value among them, as tf.unique (no gradient).

    Args:
        x: a 1-d Tensor, or anything convert_to_tensor accepts.
        out_idx: int32 or int64 (indices are whole numbers in float32 storage).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Unique: (y, idx).

    Raises:
        ValueError: when x is not 1-d.
    """
    v = convert_to_tensor(x).detach().numpy()
    if v.ndim != 1:
        raise ValueError(f"unique: x must be 1-d, got shape {v.shape}")
    values, first, inverse = np.unique(v, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # by first appearance, as TF
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return Unique(_core.tensor(values[order]), _core.tensor(rank[inverse].astype(np.float32)))


def floor(x: Any, name: Any = None):
    """The largest whole number <= each value (no gradient), as tf.math.floor.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the floors.
    """
    return _core.tensor(np.floor(convert_to_tensor(x).detach().numpy()))


def ceil(x: Any, name: Any = None):
    """The smallest whole number >= each value (no gradient), as tf.math.ceil.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the ceilings.
    """
    return _core.tensor(np.ceil(convert_to_tensor(x).detach().numpy()))


# On KerasTensors these ops become layers of the functional model being built (_symbolic.py).
_symbolic.wrap_module(globals())
