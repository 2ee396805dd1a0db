"""keras.backend (`from rustgrad.keras import backend as K`): the configuration functions (epsilon,
floatx, image_data_format) and the helpers old Keras code calls on tensors and variables."""

from __future__ import annotations

import gc
from typing import Any

import numpy as np

__all__ = [
    "clear_session",
    "count_params",
    "epsilon",
    "floatx",
    "get_value",
    "image_data_format",
    "int_shape",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_value",
]

# Keras' fuzz factor; the core's probability clipping uses the same 1e-7.
_EPSILON = 1e-7


def epsilon() -> float:
    """Keras' fuzz factor (1e-7 unless set_epsilon changed it).

    Returns:
        float: the value.
    """
    return _EPSILON


def set_epsilon(value: float) -> None:
    """As Keras; the Rust losses keep clipping at 1e-7 (DESIGN: numerics), so only callers of
    epsilon() see the new value.

    Args:
        value: the new fuzz factor.
    """
    global _EPSILON
    _EPSILON = float(value)


def floatx() -> str:
    """The default float type: always "float32".

    Returns:
        str: "float32".
    """
    return "float32"


def set_floatx(value: str) -> None:
    """Set the default float type; only "float32" is accepted.

    Args:
        value: the dtype name.

    Raises:
        NotImplementedError: for any other dtype.
    """
    if value != "float32":
        raise NotImplementedError(
            f"set_floatx({value!r}): rustgrad stores every tensor as float32; only 'float32' works"
        )


def image_data_format() -> str:
    """The image layout: always "channels_last".

    Returns:
        str: "channels_last".
    """
    return "channels_last"


def set_image_data_format(data_format: str) -> None:
    """Set the image layout; only "channels_last" is accepted.

    Args:
        data_format: "channels_last" (or "channels_first", which is refused).

    Raises:
        ValueError: for a name that is neither.
        NotImplementedError: for "channels_first".
    """
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}"
        )
    if data_format != "channels_last":
        raise NotImplementedError(
            "set_image_data_format('channels_first'): rustgrad's image layers are channels_last"
        )


def clear_session(free_memory: bool = True) -> None:
    """Restart automatic layer and model names (dense, dense_1, ...), as Keras does. Models hold
    their own state, so nothing else is global to clear.

    Args:
        free_memory: as Keras 3, run the garbage collector so that models no longer referenced
            (and their Rust buffers) are freed now.
    """
    from rustgrad.keras.layers import naming

    naming._name_counts.clear()
    if free_memory:
        gc.collect()


def get_value(x: Any) -> np.ndarray:
    """The value of a variable or tensor as a NumPy array (a copy).

    Args:
        x: a Variable, Tensor or array-like.

    Returns:
        numpy.ndarray: the copy.
    """
    if hasattr(x, "numpy"):
        return np.array(x.numpy())
    return np.array(x)


def set_value(x: Any, value: Any) -> None:
    """Write `value` into variable or tensor `x` in place; the shapes must match.

    Args:
        x: a Variable or Tensor.
        value: an array-like of x's shape.

    Raises:
        ValueError: when the shapes differ.
        TypeError: when x is neither a variable nor a tensor.
    """
    arr = np.asarray(value, dtype=np.float32)
    if tuple(arr.shape) != tuple(x.shape):
        raise ValueError(
            f"set_value: value of shape {tuple(arr.shape)} does not match the variable's "
            f"shape {tuple(x.shape)}"
        )
    if hasattr(x, "assign"):
        x.assign(arr)
    elif hasattr(x, "copy_"):
        from rustgrad.autograd import no_grad

        with no_grad():
            x.copy_(arr)
    else:
        raise TypeError(f"set_value needs a variable or tensor, got {type(x).__name__}")


def int_shape(x: Any) -> tuple:
    """The shape as a tuple of ints (None for an unknown batch size of a keras.Input).

    Args:
        x: a Tensor, Variable, array or KerasTensor.

    Returns:
        tuple: the shape.
    """
    return tuple(None if d is None else int(d) for d in x.shape)


def count_params(x: Any) -> int:
    """The number of scalars in a variable or tensor.

    Args:
        x: a Variable, Tensor or array.

    Returns:
        int: the element count.

    Raises:
        ValueError: when the shape is not fully known.
    """
    shape = int_shape(x)
    if any(d is None for d in shape):
        raise ValueError(f"count_params: the shape {shape} is not fully known")
    return int(np.prod(shape, dtype=np.int64))
