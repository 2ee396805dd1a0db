"""TF's norm clipping (`tf.clip_by_norm`, `tf.clip_by_global_norm`, `tf.linalg.global_norm`),
composed of Tensor ops so that gradients flow through the scaling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rustgrad import _symbolic
from rustgrad._core import tensor
from rustgrad.tf_dtypes import convert_to_tensor


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: Any = None):
    """`t` scaled down so that its L2 norm over `axes` is at most clip_norm, as tf.clip_by_norm.

    Args:
        t: a Tensor, or anything convert_to_tensor accepts.
        clip_norm: the largest norm (> 0).
        axes: None (the whole tensor) or the axes each norm covers.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the clipped values (gradients flow).

    Raises:
        ValueError: when clip_norm is not positive.
    """
    c = float(convert_to_tensor(clip_norm).item())
    if not c > 0:
        raise ValueError(f"clip_by_norm: clip_norm must be > 0, got {c}")
    x = convert_to_tensor(t)
    ax = None if axes is None else (tuple(axes) if isinstance(axes, (list, tuple)) else int(axes))
    norm = (x * x).sum(ax, True).sqrt()
    # x * c / max(norm, c): unchanged below the bound, scaled onto it above.
    return x * (c / norm.clip(c, None))


def global_norm(t_list: Sequence[Any], name: Any = None):
    """sqrt(sum of every element squared) over a list of tensors (None entries skipped).

    Args:
        t_list: Tensors or None.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the norm, 0-d.
    """
    total = None
    for t in t_list:
        if t is not None:
            x = convert_to_tensor(t)
            s = (x * x).sum()
            total = s if total is None else total + s
    return tensor(0.0) if total is None else total.sqrt()


def clip_by_global_norm(t_list: Sequence[Any], clip_norm: Any, use_norm: Any = None, name=None):
    """Every tensor scaled by clip_norm / max(global_norm, clip_norm), as tf.clip_by_global_norm.

    Args:
        t_list: Tensors or None (kept as None).
        clip_norm: the largest global norm (> 0).
        use_norm: a global norm already computed, or None to compute it.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        tuple: (the clipped list, the global norm before clipping).

    Raises:
        ValueError: when clip_norm is not positive.
    """
    c = float(convert_to_tensor(clip_norm).item())
    if not c > 0:
        raise ValueError(f"clip_by_global_norm: clip_norm must be > 0, got {c}")
    norm = global_norm(t_list) if use_norm is None else convert_to_tensor(use_norm)
    scale = c / norm.clip(c, None)
    return [None if t is None else convert_to_tensor(t) * scale for t in t_list], norm


# On KerasTensors these ops become layers of the functional model being built (_symbolic.py).
_symbolic.wrap_module(globals())
