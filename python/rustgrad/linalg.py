"""tf.linalg: products, norms and matrix parts composed of Tensor ops (gradients flow)."""

from __future__ import annotations

import math as _pymath
from typing import Any

from rustgrad import _symbolic
from rustgrad._core import eye
from rustgrad.tf_ops import _axis, _swap_last, convert_to_tensor, matmul

__all__ = [
    "adjoint",
    "diag_part",
    "l2_normalize",
    "matmul",
    "matrix_transpose",
    "matvec",
    "norm",
    "trace",
]


def matrix_transpose(a: Any, name: Any = None, conjugate: bool = False):
    """`a` with its last two axes swapped, as tf.linalg.matrix_transpose.

    Args:
        a: a Tensor of rank >= 2, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).
        conjugate: TF's flag for complex tensors; a no-op for rustgrad's real tensors.

    Returns:
        Tensor: the transposed matrices.

    Raises:
        ValueError: when `a` has rank < 2.
    """
    return _swap_last(convert_to_tensor(a))


def adjoint(matrix: Any, name: Any = None):
    """The conjugate transpose of the last two axes: the transpose, for real tensors.

    Args:
        matrix: a Tensor of rank >= 2, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the transposed matrices.

    Raises:
        ValueError: when `matrix` has rank < 2.
    """
    return matrix_transpose(matrix)


def matvec(a: Any, b: Any, transpose_a: bool = False, adjoint_a: bool = False, **kwargs: Any):
    """a @ b for matrices `a` (..., m, n) and vectors `b` (..., n), as tf.linalg.matvec.

    Args:
        a: a Tensor of rank >= 2, or anything convert_to_tensor accepts.
        b: a Tensor of rank >= 1 whose last axis matches a's (transposed) columns.
        transpose_a: multiply by a's transpose.
        adjoint_a: the same as transpose_a for real tensors.
        **kwargs: a_is_sparse, b_is_sparse (hints; unused) and name.

    Returns:
        Tensor: the products, shape (..., m).

    Raises:
        TypeError: for another keyword.
        ValueError: when `b` is a scalar.
        ShapeError: when the sizes do not fit.
    """
    unknown = set(kwargs) - {"a_is_sparse", "b_is_sparse", "name"}
    if unknown:
        raise TypeError(f"matvec: unexpected keyword arguments {sorted(unknown)}")
    b = convert_to_tensor(b)
    if b.ndim < 1:
        raise ValueError("matvec: b must be a vector (rank >= 1), got a scalar")
    out = matmul(a, b.unsqueeze(-1), transpose_a=transpose_a or adjoint_a)
    return out.squeeze(-1)


def norm(tensor: Any, ord: Any = "euclidean", axis: Any = None, keepdims: bool = False, name=None):
    """The vector or matrix norm, as tf.norm / tf.linalg.norm.

    With `axis` None the whole tensor is one vector; an int is a vector axis; a pair of axes holds
    matrices. 'euclidean' (2-norm of vectors, Frobenius norm of matrices), 'fro', 1, 2 (vectors
    only), np.inf and any p >= 1 for vectors; matrices take 'euclidean' or 'fro' only.

    Args:
        tensor: a Tensor, or anything convert_to_tensor accepts.
        ord: the norm's order (see above).
        axis: None, an int, or a pair of ints for matrix norms.
        keepdims: keep the reduced axes with size 1.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the norms.

    Raises:
        ValueError: for an order that the axes do not take, or more than two axes.
    """
    t = convert_to_tensor(tensor)
    axes = _axis(axis)
    matrix = isinstance(axes, tuple) and len(axes) == 2
    if isinstance(axes, tuple) and len(axes) > 2:
        raise ValueError(f"norm: axis must be None, an int or a pair of ints, got {axis!r}")
    if ord in ("euclidean", "fro") or (ord == 2 and not matrix):
        if ord == "fro" and not matrix and axis is not None:
            raise ValueError("norm: ord='fro' needs axis None or a pair of axes (matrices)")
        return (t * t).sum(axes, keepdims).sqrt()
    if matrix:
        raise ValueError(
            f"norm: matrix norms of order {ord!r} are not supported; use 'euclidean' or 'fro'"
        )
    if ord == _pymath.inf:
        return t.abs().max(axes, keepdims)
    if isinstance(ord, bool) or not isinstance(ord, (int, float)) or not ord >= 1:
        raise ValueError(
            f"norm: ord must be 'euclidean', 'fro', np.inf or a number >= 1, got {ord!r}"
        )
    if ord == 1:
        return t.abs().sum(axes, keepdims)
    return (t.abs() ** float(ord)).sum(axes, keepdims) ** (1.0 / float(ord))


def l2_normalize(x: Any, axis: Any = None, epsilon: float = 1e-12, name: Any = None, dim=None):
    """x / sqrt(max(sum(x**2, axis), epsilon)), as tf.math.l2_normalize.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: None (all elements), an int or a tuple of ints.
        epsilon: the lower bound of the sum of squares, so that zero vectors stay zero.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).
        dim: TF 1's name for axis.

    Returns:
        Tensor: the normalized values.

    Raises:
        ValueError: when both axis and dim are given.
    """
    if dim is not None:
        if axis is not None:
            raise ValueError("l2_normalize: pass axis or dim, not both")
        axis = dim
    t = convert_to_tensor(x)
    squares = (t * t).sum(_axis(axis), True)
    return t / squares.clip(float(epsilon), None).sqrt()


def _diagonal_mask(t: Any, op: str):
    if t.ndim < 2:
        raise ValueError(f"{op}: expected matrices (rank >= 2), got shape {t.shape}")
    return eye(t.shape[-2], t.shape[-1])


def diag_part(input: Any, name: Any = None, k: int = 0, padding_value: Any = 0, align=None):
    """The main diagonal of the last two axes, as tf.linalg.diag_part (k = 0 only).

    Args:
        input: a Tensor of rank >= 2, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).
        k: the diagonal; only 0, the main one, is supported.
        padding_value: TF's fill for diagonals out of the matrix; none is needed for k = 0.
        align: TF's alignment of off-diagonals; none is needed for k = 0.

    Returns:
        Tensor: the diagonals, shape (..., min(m, n)).

    Raises:
        ValueError: for another k, or a tensor of rank < 2.
    """
    if k != 0:
        raise ValueError(f"diag_part: only the main diagonal (k=0) is supported, got k={k!r}")
    t = convert_to_tensor(input)
    on_diagonal = t * _diagonal_mask(t, "diag_part")
    # Summed along the longer side, each of the min(m, n) diagonal values is kept once.
    return on_diagonal.sum(-1 if t.shape[-2] <= t.shape[-1] else -2)


def trace(x: Any, name: Any = None):
    """The sum of the main diagonal of the last two axes, as tf.linalg.trace.

    Args:
        x: a Tensor of rank >= 2, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the traces, shape (...).

    Raises:
        ValueError: for a tensor of rank < 2.
    """
    t = convert_to_tensor(x)
    return (t * _diagonal_mask(t, "trace")).sum((-2, -1))


# On KerasTensors these ops become layers of the functional model being built (_symbolic.py).
_symbolic.wrap_module(globals(), __all__)
