"""TF's dtype names and tensor makers (convert_to_tensor, constant, cast, ones, zeros, *_like) on float32 storage."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad._core import Tensor, full, tensor

# rustgrad stores every tensor as float32. The dtype names below are what tf.cast, tf.constant and
# argmax's output_type accept: an integer or bool dtype gives a float32 tensor holding whole numbers
# (exact up to 2**24) or 0/1, detached from the graph, as TF's casts to integers have no gradient.
float32 = "float32"
int32 = "int32"
int64 = "int64"
bool_ = "bool"
newaxis = None

_INTEGER_NAMES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def dtype_name(dtype: Any, op: str) -> str | None:
    """The dtype's name ("float32", "int64", "bool", ...), or None for None; TypeError for the rest."""
    if dtype is None:
        return None
    if dtype is builtins.float:  # tf.as_dtype(float) is float32, not NumPy's float64
        return float32
    try:
        name = np.dtype(getattr(dtype, "name", dtype)).name
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype") from None
    if name == float32 or name == bool_ or name in _INTEGER_NAMES:
        return name
    raise TypeError(
        f"{op}: dtype {name} is not supported: rustgrad tensors are float32 "
        "(integer and bool dtypes give float32 tensors of whole numbers or 0/1)"
    )


def convert_to_tensor(value: Any, dtype: Any = None, dtype_hint: Any = None, name: Any = None):
    """`value` as a Tensor: a Tensor is returned as it is (its graph kept); anything else is copied.

    Args:
        value: a Tensor, a number, nested lists or a NumPy array.
        dtype: None, or a dtype to cast to (see cast).
        dtype_hint: TF's fallback dtype; unused, as every tensor is float32.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the tensor.

    Raises:
        TypeError: when `value` is not numeric or `dtype` is not supported.
    """
    t = value if isinstance(value, Tensor) else tensor(value)
    return t if dtype is None else cast(t, dtype)


def constant(value: Any, dtype: Any = None, shape: Sequence[int] | None = None, name: Any = None):
    """A new tensor of `value`; with `shape`, a scalar (or 1-element) value fills it and a value with
    as many elements is reshaped to it, as in TF.

    Args:
        value: a number, nested lists, a NumPy array or a Tensor (copied).
        dtype: None, or a dtype to cast to (see cast).
        shape: None, or the shape of the result.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: a new leaf without gradient.

    Raises:
        TypeError: when `value` does not fit `shape` or `dtype` is not supported.
    """
    t = tensor(value)  # always a copy, a leaf without gradient like TF's constants
    if shape is not None:
        shape = tuple(int(d) for d in shape)
        n = int(np.prod(shape, dtype=np.int64))
        if t.size == 1 and n != 1:
            t = full(shape, t.item())
        elif t.size == n:
            t = t.reshape(shape)
        else:
            raise TypeError(
                f"constant: eager execution of tf.constant with an unsupported shape: value has "
                f"{t.size} elements, shape {list(shape)} needs {n}"
            )
    return t if dtype is None else cast(t, dtype)


def cast(x: Any, dtype: Any, name: Any = None):
    """x as `dtype`. float32 returns x itself (gradient flows); integer dtypes truncate toward zero
    and bool maps non-zero to 1, both giving float32 tensors without gradient (see `int32` above).

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        dtype: float32, bool, or an integer dtype (a name, a NumPy dtype or rustgrad.int32).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: float32 values of the cast.

    Raises:
        TypeError: when `dtype` is missing or not one of those.
    """
    target = dtype_name(dtype, "cast")
    if target is None:
        raise TypeError("cast: dtype is required")
    t = convert_to_tensor(x)
    if target == float32:
        return t
    if target == bool_:
        return (t != 0).detach()
    # Non-differentiable in TF too, so NumPy may do the truncation on the detached values.
    return tensor(np.trunc(t.detach().numpy()))


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, Tensor):
        shape = shape.tolist()
    if isinstance(shape, (list, tuple)):  # sizes taken from tensors: (tf.shape(x)[0], 3)
        shape = [d.item() if isinstance(d, Tensor) and d.size == 1 else d for d in shape]
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        return (int(shape),)
    if isinstance(shape, (list, tuple, np.ndarray)) and all(
        isinstance(d, (int, np.integer, float)) and float(d) == int(d) for d in shape
    ):
        return tuple(int(d) for d in shape)
    raise TypeError(f"a shape must be an int or a sequence of ints, got {shape!r}")


def _dims(op: str, dims: tuple, shape: Any) -> tuple:
    # The core's ones/zeros already take ones(2, 3) and ones((2, 3)) and name themselves in errors.
    if shape is None:
        one = dims[0] if len(dims) == 1 else None
        if isinstance(one, (list, tuple)) and any(isinstance(d, Tensor) for d in one):
            return (_shape(one),)  # sizes taken from tensors: zeros((tf.shape(x)[0], 3))
        return dims
    if dims:
        raise TypeError(f"{op}: give the shape once, positionally or as shape=")
    return (_shape(shape),)


# The creation functions refuse any dtype but float32, as rustgrad.tensor does (the core checks).
def ones(
    *dims: Any,
    shape: Any = None,
    dtype: Any = None,
    name: Any = None,
    device: Any = None,
    requires_grad: bool = False,
):
    """Ones of a shape given TF's way (`ones([2, 3])`, `shape=`) or PyTorch's (`ones(2, 3)`).

    Args:
        *dims: the sizes, or one list or tuple of them.
        shape: the shape as a keyword (TF's), instead of `dims`.
        dtype: None or float32 (the only storage); anything else is a TypeError.
        name: TF's op name; accepted and unused.
        device: None or "cpu" (PyTorch's keyword).
        requires_grad: make the result a leaf that records gradients (PyTorch's keyword).

    Returns:
        Tensor: a new leaf.

    Raises:
        TypeError: when the shape is given twice or `dtype` is not float32.
        InvalidArgumentError: when a size is negative or the device is not the CPU.
    """
    return _core.ones(
        *_dims("ones", dims, shape), dtype=dtype, device=device, requires_grad=requires_grad
    )


def zeros(
    *dims: Any,
    shape: Any = None,
    dtype: Any = None,
    name: Any = None,
    device: Any = None,
    requires_grad: bool = False,
):
    """Zeros of a shape given TF's way (`zeros([2, 3])`, `shape=`) or PyTorch's (`zeros(2, 3)`).

    Args:
        *dims: the sizes, or one list or tuple of them.
        shape: the shape as a keyword (TF's), instead of `dims`.
        dtype: None or float32 (the only storage); anything else is a TypeError.
        name: TF's op name; accepted and unused.
        device: None or "cpu" (PyTorch's keyword).
        requires_grad: make the result a leaf that records gradients (PyTorch's keyword).

    Returns:
        Tensor: a new leaf.

    Raises:
        TypeError: when the shape is given twice or `dtype` is not float32.
        InvalidArgumentError: when a size is negative or the device is not the CPU.
    """
    return _core.zeros(
        *_dims("zeros", dims, shape), dtype=dtype, device=device, requires_grad=requires_grad
    )


def ones_like(
    input: Any, dtype: Any = None, name: Any = None, device: Any = None, requires_grad: bool = False
):
    """Ones of `input`'s shape, as tf.ones_like / torch.ones_like.

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        dtype: None or float32 (the only storage); anything else is a TypeError.
        name: TF's op name; accepted and unused.
        device: None or "cpu" (PyTorch's keyword).
        requires_grad: make the result a leaf that records gradients (PyTorch's keyword).

    Returns:
        Tensor: a new leaf.

    Raises:
        TypeError: when `dtype` is not float32.
        InvalidArgumentError: when the device is not the CPU.
    """
    t = convert_to_tensor(input)
    return _core.ones_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def zeros_like(
    input: Any, dtype: Any = None, name: Any = None, device: Any = None, requires_grad: bool = False
):
    """Zeros of `input`'s shape, as tf.zeros_like / torch.zeros_like.

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        dtype: None or float32 (the only storage); anything else is a TypeError.
        name: TF's op name; accepted and unused.
        device: None or "cpu" (PyTorch's keyword).
        requires_grad: make the result a leaf that records gradients (PyTorch's keyword).

    Returns:
        Tensor: a new leaf.

    Raises:
        TypeError: when `dtype` is not float32.
        InvalidArgumentError: when the device is not the CPU.
    """
    t = convert_to_tensor(input)
    return _core.zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def range_(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None, name: Any = None):
    """tf.range: start, start + delta, ... up to (not including) limit; `range_(n)` counts 0..n-1.
    Exported as `rustgrad.range` (the module keeps Python's builtin `range`).

    Args:
        start: the first value (the limit when `limit` is None).
        limit: the end (excluded), or None.
        delta: the spacing (not 0).
        dtype: None, float32 or an integer dtype; integer dtypes truncate the three numbers first,
            as TF casts them (values are whole numbers in float32 storage, see `int32` above).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: a 1-d tensor without gradient.

    Raises:
        TypeError: when a dtype is not supported.
        InvalidArgumentError: when delta is 0 or not finite.
    """
    if limit is None:
        start, limit = 0, start
    nums = [v.item() if isinstance(v, Tensor) else v for v in (start, limit, delta)]
    target = dtype_name(dtype, "range")
    if target in _INTEGER_NAMES:
        nums = [int(v) for v in nums]
    elif target == bool_:
        raise TypeError("range: dtype bool is not supported, as in TF")
    return _core.arange(*[builtins.float(v) for v in nums])
