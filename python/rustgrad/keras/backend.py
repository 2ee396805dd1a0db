"""keras.backend (`from rustgrad.keras import backend as K`): the configuration functions (epsilon,
floatx, image_data_format) and the helpers old Keras code calls on tensors and variables."""

from __future__ import annotations

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
    return _EPSILON


def set_epsilon(value: float) -> None:
    """As Keras; the Rust losses keep clipping at 1e-7 (DESIGN: numerics), so only callers of
    epsilon() see the new value."""
    global _EPSILON
    _EPSILON = float(value)


def floatx() -> str:
    return "float32"


def set_floatx(value: str) -> None:
    if value != "float32":
        raise NotImplementedError(
            f"set_floatx({value!r}): rustgrad stores every tensor as float32; only 'float32' works"
        )


def image_data_format() -> str:
    return "channels_last"


def set_image_data_format(data_format: str) -> None:
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
    their own state, so nothing else is global to clear."""
    from rustgrad.keras.layers import naming

    naming._name_counts.clear()


def get_value(x: Any) -> np.ndarray:
    """The value of a variable or tensor as a NumPy array (a copy)."""
    if hasattr(x, "numpy"):
        return np.array(x.numpy())
    return np.array(x)


def set_value(x: Any, value: Any) -> None:
    """Write `value` into variable or tensor `x` in place; the shapes must match."""
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
    """The shape as a tuple of ints (None for an unknown batch size of a keras.Input)."""
    return tuple(None if d is None else int(d) for d in x.shape)


def count_params(x: Any) -> int:
    """The number of scalars in a variable or tensor."""
    shape = int_shape(x)
    if any(d is None for d in shape):
        raise ValueError(f"count_params: the shape {shape} is not fully known")
    return int(np.prod(shape, dtype=np.int64))
