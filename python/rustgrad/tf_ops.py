"""TensorFlow's top-level ops (`tf.reduce_sum`, `tf.matmul`, `tf.argmax`, `tf.function`, ...) composed of Tensor ops."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from rustgrad import _symbolic
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
    """The sum over `axis`, as tf.reduce_sum.

    Args:
        input_tensor: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints (or a Tensor of them), or None for every axis.
        keepdims: keep the reduced axes with size 1.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range (or empty, for max and min).
    """
    return convert_to_tensor(input_tensor).sum(_axis(axis), keepdims)


def reduce_mean(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    """The mean over `axis`, as tf.reduce_mean.

    Args:
        input_tensor: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints (or a Tensor of them), or None for every axis.
        keepdims: keep the reduced axes with size 1.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range (or empty, for max and min).
    """
    return convert_to_tensor(input_tensor).mean(_axis(axis), keepdims)


def reduce_max(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    """The maximum over `axis`, as tf.reduce_max.

    Args:
        input_tensor: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints (or a Tensor of them), or None for every axis.
        keepdims: keep the reduced axes with size 1.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range (or empty, for max and min).
    """
    return convert_to_tensor(input_tensor).max(_axis(axis), keepdims)


def reduce_min(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Any = None):
    """The minimum over `axis`, as tf.reduce_min.

    Args:
        input_tensor: a Tensor, or anything convert_to_tensor accepts.
        axis: an int, a list or tuple of ints (or a Tensor of them), or None for every axis.
        keepdims: keep the reduced axes with size 1.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the reduced tensor.

    Raises:
        ShapeError: when an axis is out of range (or empty, for max and min).
    """
    return convert_to_tensor(input_tensor).min(_axis(axis), keepdims)


def reshape(tensor: Any, shape: Any, name: Any = None):
    """`tensor` with `shape` (one entry may be -1), as tf.reshape.

    Args:
        tensor: a Tensor, or anything convert_to_tensor accepts.
        shape: a list or tuple of ints (or a Tensor of them).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the reshaped tensor.

    Raises:
        ShapeError: when the element counts differ.
    """
    return convert_to_tensor(tensor).reshape(_shape(shape))


def transpose(a: Any, perm: Sequence[int] | None = None, conjugate: bool = False, name: Any = None):
    """Axes permuted by `perm`; without it the axes are reversed (TF's default), as tf.transpose.

    Args:
        a: a Tensor, or anything convert_to_tensor accepts.
        perm: a permutation of the axes, or None to reverse them.
        conjugate: TF's flag for complex tensors; a no-op for rustgrad's real tensors.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the transposed tensor.

    Raises:
        ShapeError: when `perm` is not a permutation of the axes.
    """
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

    Also `rustgrad.matmul(a, b)`; TF's adjoint_* flags equal transpose_* for real tensors.

    Args:
        a: a Tensor, or anything convert_to_tensor accepts.
        b: a Tensor, or anything convert_to_tensor accepts.
        transpose_a: swap the last two axes of `a` first.
        transpose_b: swap the last two axes of `b` first.
        **kwargs: TF's adjoint_a, adjoint_b (as transpose_*), a_is_sparse, b_is_sparse, grad_a,
            grad_b (hints; unused), output_type (float32 only) and name.

    Returns:
        Tensor: the product.

    Raises:
        TypeError: for another keyword or an output_type other than float32.
        ValueError: when a transposed operand has rank < 2.
        ShapeError: when the inner dimensions differ.
    """
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
    """x * x, elementwise, as tf.math.square.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    t = convert_to_tensor(x)
    return t * t


def sqrt(x: Any, name: Any = None):
    """The square root, elementwise, as tf.math.sqrt.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return convert_to_tensor(x).sqrt()


def exp(x: Any, name: Any = None):
    """e ** x, elementwise, as tf.math.exp.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return convert_to_tensor(x).exp()


def _index_type(output_type: Any, op: str) -> None:
    if dtype_name(output_type, op) not in (int32, int64):
        raise TypeError(f"{op}: output_type must be int32 or int64, got {output_type!r}")


def argmax(input: Any, axis: int | None = None, output_type: Any = int64, name: Any = None):
    """Indices of the largest values along `axis` (TF's default is axis 0, not the flattened tensor),
    as a float32 tensor of whole numbers whatever `output_type` (int32 or int64) names.

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        axis: the axis to reduce (0 when None, as TF).
        output_type: int32 or int64; the values are whole numbers stored as float32.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the indices.

    Raises:
        TypeError: when `output_type` is not int32 or int64.
        ShapeError: when `axis` is out of range.
    """
    _index_type(output_type, "argmax")
    return convert_to_tensor(input).argmax(0 if axis is None else int(axis))


def argmin(input: Any, axis: int | None = None, output_type: Any = int64, name: Any = None):
    """Indices of the smallest values along `axis` (0 when None, as TF), as whole-number float32.

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        axis: the axis to reduce (0 when None).
        output_type: int32 or int64; the values are whole numbers stored as float32.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the indices.

    Raises:
        TypeError: when `output_type` is not int32 or int64.
        ShapeError: when `axis` is out of range.
    """
    _index_type(output_type, "argmin")
    return convert_to_tensor(input).argmin(0 if axis is None else int(axis))


# Comparisons give 0/1 float32 tensors (TF's bool tensors); tf.cast(..., tf.float32) keeps them.
def equal(x: Any, y: Any, name: Any = None):
    """x == y elementwise, as tf.equal, as a float32 tensor of 0s and 1s (TF's bool tensor).

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts; broadcast against x.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: 1.0 where the comparison holds, else 0.0; no gradient flows through it.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x) == convert_to_tensor(y)


def not_equal(x: Any, y: Any, name: Any = None):
    """x != y elementwise, as tf.not_equal, as a float32 tensor of 0s and 1s (TF's bool tensor).

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts; broadcast against x.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: 1.0 where the comparison holds, else 0.0; no gradient flows through it.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x) != convert_to_tensor(y)


def greater(x: Any, y: Any, name: Any = None):
    """x > y elementwise, as tf.greater, as a float32 tensor of 0s and 1s (TF's bool tensor).

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts; broadcast against x.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: 1.0 where the comparison holds, else 0.0; no gradient flows through it.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x) > convert_to_tensor(y)


def greater_equal(x: Any, y: Any, name: Any = None):
    """x >= y elementwise, as tf.greater_equal, as a float32 tensor of 0s and 1s (TF's bool tensor).

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts; broadcast against x.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: 1.0 where the comparison holds, else 0.0; no gradient flows through it.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x) >= convert_to_tensor(y)


def less(x: Any, y: Any, name: Any = None):
    """x < y elementwise, as tf.less, as a float32 tensor of 0s and 1s (TF's bool tensor).

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts; broadcast against x.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: 1.0 where the comparison holds, else 0.0; no gradient flows through it.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x) < convert_to_tensor(y)


def less_equal(x: Any, y: Any, name: Any = None):
    """x <= y elementwise, as tf.less_equal, as a float32 tensor of 0s and 1s (TF's bool tensor).

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts; broadcast against x.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: 1.0 where the comparison holds, else 0.0; no gradient flows through it.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x) <= convert_to_tensor(y)


def add(x: Any, y: Any, name: Any = None):
    """x + y elementwise with broadcasting, as tf.add.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x) + convert_to_tensor(y)


def subtract(x: Any, y: Any, name: Any = None):
    """x - y elementwise with broadcasting, as tf.subtract.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x) - convert_to_tensor(y)


def multiply(x: Any, y: Any, name: Any = None):
    """x * y elementwise with broadcasting, as tf.multiply.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x) * convert_to_tensor(y)


def divide(x: Any, y: Any, name: Any = None):
    """x / y elementwise with broadcasting, as tf.divide.

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        y: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the result, recorded for autograd.

    Raises:
        ShapeError: when the shapes do not broadcast.
    """
    return convert_to_tensor(x) / convert_to_tensor(y)


def expand_dims(input: Any, axis: int, name: Any = None):
    """A new size-1 axis at `axis`, as tf.expand_dims.

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        axis: the position of the new axis.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the tensor with one more axis.

    Raises:
        ShapeError: when `axis` is out of range.
    """
    return convert_to_tensor(input).expand_dims(int(axis))


def squeeze(input: Any, axis: Any = None, name: Any = None):
    """Size-1 axes removed: all of them, or those `axis` names (an error if one is not size 1).

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        axis: None, an int or a list of ints.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the squeezed tensor.

    Raises:
        ShapeError: when a named axis is out of range or not of size 1.
    """
    return convert_to_tensor(input).squeeze(_axis(axis))


def concat(values: Sequence[Any], axis: int, name: Any = None):
    """The tensors joined along an existing axis (TF's name for concatenate), as tf.concat.

    Args:
        values: a sequence of Tensors or array-likes.
        axis: the axis to join along.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the joined tensor.

    Raises:
        ShapeError: when the sequence is empty or the other axes differ.
    """
    return concatenate([convert_to_tensor(v) for v in values], int(axis))


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: Any = None):
    """t limited to [clip_value_min, clip_value_max], as tf.clip_by_value.

    Args:
        t: a Tensor, or anything convert_to_tensor accepts.
        clip_value_min: the lower bound (a number).
        clip_value_max: the upper bound (a number).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the clipped tensor; the gradient is 0 where a bound applies.

    Raises:
        InvalidArgumentError: when the lower bound is above the upper one.
    """
    return convert_to_tensor(t).clip(float(clip_value_min), float(clip_value_max))


def identity(input: Any, name: Any = None):
    """`input` as a Tensor (the same Tensor when it is one), as tf.identity.

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the tensor.
    """
    return convert_to_tensor(input)


def stop_gradient(input: Any, name: Any = None):
    """The same values cut from the graph: no gradient flows back through it (tf.stop_gradient).

    Args:
        input: a Tensor, or anything convert_to_tensor accepts.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: a detached copy.
    """
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
    `.python_function`, as on TF's Function.

    Args:
        func: the function to wrap; None when used as `@tf.function(...)`.
        input_signature: ignored (nothing is traced).
        autograph: ignored.
        jit_compile: ignored (there is no XLA).
        reduce_retracing: ignored.
        experimental_implements: ignored.
        experimental_autograph_options: ignored.
        experimental_attributes: ignored.
        experimental_relax_shapes: ignored.
        experimental_compile: ignored.
        experimental_follow_type_hints: ignored.

    Returns:
        The wrapped function, or a decorator when `func` is None.

    Raises:
        TypeError: when the decorated object is not callable.
    """

    def wrap(f: Callable) -> Callable:
        if not callable(f):
            raise TypeError(f"function: expected a callable to decorate, got {type(f).__name__}")

        @functools.wraps(f)
        def eager(*args: Any, **kwargs: Any) -> Any:
            return f(*args, **kwargs)

        eager.python_function = f  # type: ignore[attr-defined]
        return eager

    return wrap if func is None else wrap(func)


# On KerasTensors these ops become layers of the functional model being built (_symbolic.py).
_symbolic.wrap_module(globals())
