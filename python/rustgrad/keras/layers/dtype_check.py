"""What a layer's or weight's `dtype` may be: rustgrad computes in float32, so a float dtype (or
Keras' DTypePolicy of one, as saved configs carry) means float32; anything else is refused rather
than dropped, since integer or mixed-precision code would otherwise run with other numbers."""

from __future__ import annotations

from typing import Any

import numpy as np

_FLOAT_NAMES = ("float32", "float64", "float16", "float", "bfloat16")


def dtype_name(dtype: Any) -> str | None:
    """The dtype's name: None stays None; a DTypePolicy (object or saved config) gives its name."""
    if dtype is None:
        return None
    if isinstance(dtype, dict):  # Keras 3 config: {"class_name": "DTypePolicy", "config": {...}}
        return dtype.get("config", {}).get("name")
    if isinstance(dtype, str):
        return dtype
    if dtype is float:
        return "float"
    name = getattr(dtype, "name", None)
    if isinstance(name, str):
        return name
    try:
        return np.dtype(dtype).name
    except TypeError:
        return repr(dtype)


def check_float_dtype(dtype: Any, who: str, integers_ok: bool = False) -> None:
    """Refuse a dtype that is not a float one (integers too when `integers_ok`, for weights fit
    does not train: they hold whole numbers in float32).

    Args:
        dtype: None, a dtype name, a NumPy dtype, a DTypePolicy or its config.
        who: what is asking, for the message.
        integers_ok: whether integer and bool dtypes are accepted too.

    Raises:
        ValueError: when the dtype is not accepted.
    """
    name = dtype_name(dtype)
    if name is None or name in _FLOAT_NAMES:
        return
    if integers_ok and (name == "bool" or name.startswith(("int", "uint"))):
        return
    raise ValueError(
        f"{who}: dtype {name!r} is not supported; rustgrad computes in float32 (pass a float "
        "dtype or None)"
    )
