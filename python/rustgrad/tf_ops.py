"""TensorFlow's top-level ops (`tf.reduce_sum`, `tf.matmul`, `tf.argmax`, `tf.function`, ...) composed of Tensor ops."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from rustgrad._core import Tensor, concatenate
from rustgrad.tf_dtypes import (  # noqa: F401  (re-exported: tf_ops is the TF top level)
    _INTEGER_NAMES,
    _shape,
    bool_,
    cast,
    constant,
    convert_to_tensor,
    dtype_name,
    float32,
    int32,
    int64,
    newaxis,
    ones,
    ones_like,
    zeros,
    zeros_like,
)


def _axis(axis: Any):
    if axis is None or isinstance(axis, int):
        return axis
    if isinstance(axis, Tensor):
        axis = axis.tolist()
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


def reduce_sum(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    """Sum over `axis` (an int, a list of ints, or None for every axis)."""
    return convert_to_tensor(input_tensor).sum(_axis(axis), keepdims)


def reduce_mean(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    return convert_to_tensor(input_tensor).mean(_axis(axis), keepdims)


def reduce_max(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    return convert_to_tensor(input_tensor).max(_axis(axis), keepdims)


def reduce_min(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    return convert_to_tensor(input_tensor).min(_axis(axis), keepdims)


def reshape(tensor: Any, shape: Any, name: Any = None):
    """`tensor` with `shape` (one entry may be -1)."""
    return convert_to_tensor(tensor).reshape(_shape(shape))


def transpose(a: Any, perm: Sequence[int] | None = None, conjugate: bool = False, name: Any = None):
    """Axes permuted by `perm`; without it the axes are reversed (TF's default)."""
    t = convert_to_tensor(a)
    return t.transpose() if perm is None else t.transpose(_shape(perm))


def _swap_last(t: Tensor) -> Tensor:
    if t.ndim < 2:
        raise ValueError(
            f"matmul: transpose_a/transpose_b need a tensor of rank >= 2, got {t.shape}"
        )
    return t.transpose(t.ndim - 2, t.ndim - 1)


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False, **kwargs: Any):
    """a @ b (batched over leading axes), each optionally transposed in its last two axes first.

    Also `rustgrad.matmul(a, b)`; TF's adjoint_* flags equal transpose_* for real tensors."""
    allowed = {
        "adjoint_a",
        "adjoint_b",
        "a_is_sparse",
        "b_is_sparse",
        "output_type",
        "grad_a",
        "grad_b",
    }
    unknown = set(kwargs) - allowed - {"name"}
    if unknown:
        raise TypeError(f"matmul: unexpected keyword arguments {sorted(unknown)}")
    if dtype_name(kwargs.get("output_type"), "matmul") not in (None, float32):
        raise TypeError("matmul: output_type must be float32 (rustgrad multiplies in float32)")
    a, b = convert_to_tensor(a), convert_to_tensor(b)
    if transpose_a or kwargs.get("adjoint_a"):
        a = _swap_last(a)
    if transpose_b or kwargs.get("adjoint_b"):
        b = _swap_last(b)
    return a @ b


def square(x: Any, name: Any = None):
    t = convert_to_tensor(x)
    return t * t


def sqrt(x: Any, name: Any = None):
    return convert_to_tensor(x).sqrt()


def exp(x: Any, name: Any = None):
    return convert_to_tensor(x).exp()


def _index_type(output_type: Any, op: str) -> None:
    if dtype_name(output_type, op) not in (int32, int64):
        raise TypeError(f"{op}: output_type must be int32 or int64, got {output_type!r}")


def argmax(input: Any, axis: int | None = None, output_type: Any = int64, name: Any = None):
    """Indices of the largest values along `axis` (TF's default is axis 0, not the flattened tensor),
    as a float32 tensor of whole numbers whatever `output_type` (int32 or int64) names."""
    _index_type(output_type, "argmax")
    return convert_to_tensor(input).argmax(0 if axis is None else int(axis))


def argmin(input: Any, axis: int | None = None, output_type: Any = int64, name: Any = None):
    _index_type(output_type, "argmin")
    return convert_to_tensor(input).argmin(0 if axis is None else int(axis))


# Comparisons give 0/1 float32 tensors (TF's bool tensors); tf.cast(..., tf.float32) keeps them.
def equal(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x) == convert_to_tensor(y)


def not_equal(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x) != convert_to_tensor(y)


def greater(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x) > convert_to_tensor(y)


def greater_equal(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x) >= convert_to_tensor(y)


def less(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x) < convert_to_tensor(y)


def less_equal(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x) <= convert_to_tensor(y)


def add(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x) + convert_to_tensor(y)


def subtract(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x) - convert_to_tensor(y)


def multiply(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x) * convert_to_tensor(y)


def divide(x: Any, y: Any, name: Any = None):
    return convert_to_tensor(x) / convert_to_tensor(y)


def expand_dims(input: Any, axis: int, name: Any = None):
    return convert_to_tensor(input).expand_dims(int(axis))


def squeeze(input: Any, axis: Any = None, name: Any = None):
    """Size-1 axes removed: all of them, or those `axis` names (an error if one is not size 1)."""
    return convert_to_tensor(input).squeeze(_axis(axis))


def concat(values: Sequence[Any], axis: int, name: Any = None):
    """The tensors joined along an existing axis (TF's name for concatenate)."""
    return concatenate([convert_to_tensor(v) for v in values], int(axis))


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: Any = None):
    return convert_to_tensor(t).clip(float(clip_value_min), float(clip_value_max))


def identity(input: Any, name: Any = None):
    return convert_to_tensor(input)


def stop_gradient(input: Any, name: Any = None):
    """The same values cut from the graph: no gradient flows back through it."""
    return convert_to_tensor(input).detach()


def function(
    func: Callable | None = None,
    input_signature: Any = None,
    autograph: bool = True,
    jit_compile: bool | None = None,
    reduce_retracing: bool = False,
    experimental_implements: Any = None,
    experimental_autograph_options: Any = None,
    experimental_attributes: Any = None,
    experimental_relax_shapes: Any = None,
    experimental_compile: Any = None,
    experimental_follow_type_hints: Any = None,
):
    """tf.function's signature, as `@tf.function` or `@tf.function(jit_compile=True, ...)`, but the
    function runs eagerly: rustgrad has no graph compiler, so nothing is traced, retraced or
    compiled, and every argument besides `func` is accepted and ignored. Python side effects (print)
    therefore run on every call, not only while tracing as in TF. The original function is
    `.python_function`, as on TF's Function."""

    def wrap(f: Callable) -> Callable:
        if not callable(f):
            raise TypeError(f"function: expected a callable to decorate, got {type(f).__name__}")

        @functools.wraps(f)
        def eager(*args: Any, **kwargs: Any) -> Any:
            return f(*args, **kwargs)

        eager.python_function = f  # type: ignore[attr-defined]
        return eager

    return wrap if func is None else wrap(func)
