"""TF's shape queries and array helpers (`tf.shape`, `tf.size`, `tf.rank`, `tf.one_hot`, `tf.gather`,
`tf.add_n`, `tf.sign`, `tf.round`, `tf.print`, ...) composed of Tensor ops."""

from __future__ import annotations

import builtins
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from rustgrad import _core, _symbolic
from rustgrad._core import Tensor, tensor
from rustgrad.tf_dtypes import _INTEGER_NAMES, cast, convert_to_tensor, dtype_name


def _index_dtype(out_type: Any, op: str) -> None:
    if dtype_name(out_type, op) not in _INTEGER_NAMES:
        raise TypeError(f"{op}: out_type must be int32 or int64, got {out_type!r}")


def shape(input: Any, out_type: Any = "int32", name: Any = None):
    """The dimensions of `input` as a 1-d tensor (whole numbers in float32 storage, as rustgrad's
    integer tensors are; `tf.shape(x)[0]` works wherever a size is taken).

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        out_type: int32 or int64.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: one value per axis.

    Raises:
        TypeError: for another out_type.
    """
    _index_dtype(out_type, "shape")
    return tensor(np.asarray(convert_to_tensor(input).shape, np.float32).reshape(-1))


def size(input: Any, out_type: Any = "int32", name: Any = None):
    """The number of elements of `input`, as a 0-d tensor.

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        out_type: int32 or int64.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the count.

    Raises:
        TypeError: for another out_type.
    """
    _index_dtype(out_type, "size")
    return tensor(float(convert_to_tensor(input).size))


def rank(input: Any, name: Any = None):
    """The number of axes of `input`, as a 0-d tensor.

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the rank.
    """
    return tensor(float(convert_to_tensor(input).ndim))


def is_tensor(x: Any) -> bool:
    """Whether `x` is a rustgrad Tensor (a Variable is one), as tf.is_tensor.

    Args:
        x: anything.

    Returns:
        bool: the answer.
    """
    return isinstance(x, Tensor)


def executing_eagerly() -> bool:
    """True: rustgrad always runs ops at once (tf.function too).

    Returns:
        bool: True.
    """
    return True


def one_hot(
    indices: Any,
    depth: Any = None,
    on_value: Any = None,
    off_value: Any = None,
    axis: Any = None,
    dtype: Any = None,
    name: Any = None,
    *,
    num_classes: Any = None,
):
    """One-hot rows for integer class indices, as tf.one_hot (and, with `num_classes`, the
    PyTorch spelling). Unlike TF, an index outside [0, depth) is refused rather than given a row
    of off_value: a label out of range is far more often a bug than padding.

    Args:
        indices: integer class indices (a Tensor, array or list).
        depth: the number of classes.
        on_value: the value at the index (1 unless given).
        off_value: the value elsewhere (0 unless given).
        axis: where the new axis goes (-1, the last, unless given).
        dtype: float32 or an integer dtype (whole numbers in float32 storage).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).
        num_classes: PyTorch's name for depth.

    Returns:
        Tensor: float32 of shape indices.shape with the new axis of size depth, without gradient.

    Raises:
        TypeError: when depth is missing or given twice.
        InvalidArgumentError: for a negative depth or an index that is not a whole number in
            [0, depth).
    """
    if (depth is None) == (num_classes is None):
        raise TypeError("one_hot: give the number of classes once, as depth (or num_classes)")
    n = depth if depth is not None else num_classes
    n = int(n.item() if isinstance(n, Tensor) else n)
    labels = indices.detach() if isinstance(indices, Tensor) else indices
    out = _core.one_hot(labels, n)
    if on_value is not None or off_value is not None:
        on = 1.0 if on_value is None else float(convert_to_tensor(on_value).item())
        off = 0.0 if off_value is None else float(convert_to_tensor(off_value).item())
        out = (out * (on - off) + off).detach()
    if axis is not None and axis != -1:
        nd = out.ndim
        if not -nd <= axis < nd:
            raise ValueError(f"one_hot: axis {axis} is out of range for a result of rank {nd}")
        order = list(range(nd - 1))
        order.insert(axis % nd, nd - 1)
        out = out.permute(*order)
    return out if dtype is None else cast(out, dtype)


def where(condition: Any, x: Any = None, y: Any = None, name: Any = None):
    """Elementwise `x` where `condition` holds and `y` elsewhere (all three broadcast), as tf.where
    and torch.where; with neither x nor y, the coordinates of the true elements, one row each.
    The gradient goes to the chosen values only, so an inf or NaN in the other branch stays out of
    both the result and the gradient.

    Args:
        condition: booleans, or numbers (non-zero is true).
        x: the values where the condition holds.
        y: the values elsewhere.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the chosen values (shape of the broadcast), or (true elements, rank) coordinates.

    Raises:
        ValueError: when only one of x and y is given, or the shapes do not broadcast.
    """
    c = condition.detach().numpy() if isinstance(condition, Tensor) else np.asarray(condition)
    c = c != 0
    if x is None and y is None:
        return tensor(np.argwhere(c).astype(np.float32).reshape(-1, c.ndim))
    if x is None or y is None:
        raise ValueError("where: give both x and y, or neither")
    a, b = convert_to_tensor(x), convert_to_tensor(y)
    try:
        out = np.broadcast_shapes(c.shape, tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise ValueError(
            f"where: shapes {c.shape}, {tuple(a.shape)} and {tuple(b.shape)} do not broadcast"
        ) from None
    n = int(np.prod(out, dtype=np.int64))
    # Both branches side by side, then each element picked from one: a gather, whose backward
    # sends the gradient to the picked values alone.
    both = _core.cat([a.broadcast_to(out).reshape(-1), b.broadcast_to(out).reshape(-1)])
    pick = np.where(np.broadcast_to(c, out).reshape(-1), np.arange(n), n + np.arange(n))
    return both[pick].reshape(out)


def add_n(inputs: Sequence[Any], name: Any = None):
    """The elementwise sum of tensors of one shape, as tf.add_n (gradients flow to each).

    Args:
        inputs: a non-empty list of Tensors (or anything convert_to_tensor accepts).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the sum.

    Raises:
        ValueError: for an empty list or tensors of different shapes (add_n does not broadcast).
    """
    ts = [convert_to_tensor(t) for t in inputs]
    if not ts:
        raise ValueError("add_n: inputs must be a non-empty list of tensors")
    shapes = {tuple(t.shape) for t in ts}
    if len(shapes) > 1:
        raise ValueError(f"add_n: all inputs must have the same shape, got {sorted(shapes)}")
    total = ts[0]
    for t in ts[1:]:
        total = total + t
    return total


def gather(
    params: Any,
    indices: Any,
    validate_indices: Any = None,
    axis: Any = None,
    batch_dims: int = 0,
    name: Any = None,
):
    """Slices of `params` along `axis` at `indices`, as tf.gather (the gradient flows to params).

    Args:
        params: a Tensor, or anything convert_to_tensor accepts.
        indices: integer indices (a list, array or Tensor of whole numbers), any shape.
        validate_indices: TF 1's flag, unused (indices are always checked).
        axis: the axis to gather along (0 unless given).
        batch_dims: 0 only.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: params.shape[:axis] + indices.shape + params.shape[axis + 1:].

    Raises:
        ValueError: for batch_dims other than 0 or an axis out of range.
        IndexError: for an index out of range.
    """
    if batch_dims != 0:
        raise ValueError("gather: only batch_dims=0 is supported")
    t = convert_to_tensor(params)
    ax = 0 if axis is None else int(axis)
    if not -t.ndim <= ax < builtins.max(t.ndim, 1):
        raise ValueError(f"gather: axis {axis} is out of range for a tensor of rank {t.ndim}")
    ax %= t.ndim
    idx = indices.detach().numpy() if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.size and (not np.all(np.isfinite(idx)) or np.any(idx != np.trunc(idx))):
        raise ValueError("gather: indices must be whole numbers")
    idx = idx.astype(np.int64)
    n = t.shape[ax]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(
            f"gather: indices must be in [-{n}, {n}) for axis {ax}, got {idx.tolist()}"
        )
    flat = t[(slice(None),) * ax + (idx.reshape(-1) % builtins.max(n, 1),)]
    return flat.reshape(t.shape[:ax] + idx.shape + t.shape[ax + 1 :])


def sign(x: Any, name: Any = None):
    """-1, 0 or 1 by the sign of each value (NaN stays NaN), without gradient as in TF.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the signs.
    """
    return tensor(np.sign(convert_to_tensor(x).detach().numpy()))


def round(x: Any, name: Any = None):
    """Each value rounded to the nearest whole number, halves to even (TF's banker's rounding),
    without gradient as in TF.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the rounded values.
    """
    return tensor(np.round(convert_to_tensor(x).detach().numpy()))


def print(*inputs: Any, output_stream: Any = sys.stderr, sep: str = " ", end: str = "\n", **kw):
    """Print tensors (by their values) and other objects, as tf.print: to stderr unless
    output_stream is given (a file object, or sys.stdout / sys.stderr).

    Args:
        *inputs: Tensors and other objects.
        output_stream: where to write.
        sep: between inputs.
        end: after the last one.
        **kw: TF's summarize (elements shown per axis; None or -1 shows all) and name.

    Raises:
        TypeError: for another keyword.
    """
    unknown = set(kw) - {"summarize", "name"}
    if unknown:
        raise TypeError(f"print: unexpected keyword arguments {sorted(unknown)}")
    summarize = kw.get("summarize", 3)
    opts = {} if summarize in (None, -1) else {"edgeitems": int(summarize), "threshold": 1}
    parts = []
    for v in inputs:
        if isinstance(v, Tensor):
            with np.printoptions(**opts):
                parts.append(np.array2string(v.detach().numpy(), separator=" "))
        else:
            parts.append(str(v))
    builtins.print(*parts, sep=sep, end=end, file=output_stream)


# On KerasTensors these ops become layers of the functional model being built (_symbolic.py).
_symbolic.wrap_module(globals())
