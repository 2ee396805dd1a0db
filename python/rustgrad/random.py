"""tf.random: normal and uniform draws with TF's global-seed / operation-seed rules, and set_seed."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from rustgrad._core import manual_seed, rand, randn, tensor
from rustgrad.tf_ops import _INTEGER_NAMES, _shape, dtype_name, float32

__all__ = ["normal", "set_seed", "uniform"]

# TF's rules (tf.random.set_seed): with no op seed, draws come from the global stream, which
# set_seed makes reproducible; with an op seed, the global seed (a default when unset) and the op
# seed fix the sequence, and repeated calls with one op seed step through it (TF's eager counter),
# restarting at set_seed. The values differ from TF's (another generator), the rules do not.
_DEFAULT_GLOBAL_SEED = 87654321
_state = {"global": None, "counters": {}}
_lock = threading.Lock()


def set_seed(seed: int) -> None:
    """Seed rustgrad's global generator (`rustgrad.manual_seed`: rand, randn and every tf.random
    draw without an op seed) and restart the op-seeded sequences. It does not seed NumPy, which
    Keras' weight initialisers and Dropout here draw from: use keras.utils.set_random_seed or
    np.random.seed for those.

    Args:
        seed: an int.
    """
    seed = int(seed)
    with _lock:
        manual_seed(seed)
        _state["global"] = seed
        _state["counters"] = {}


def _op_generator(seed: Any) -> np.random.Generator:
    with _lock:
        glob = _state["global"]
        glob = _DEFAULT_GLOBAL_SEED if glob is None else glob
        count = _state["counters"].get(int(seed), 0)
        _state["counters"][int(seed)] = count + 1
    # SeedSequence takes non-negative words; the masks keep negative seeds distinct and valid.
    words = [glob & (2**64 - 1), int(seed) & (2**64 - 1), count]
    return np.random.default_rng(np.random.SeedSequence(words))


def _check_float(dtype: Any, op: str) -> None:
    name = dtype_name(dtype, op)
    if name not in (None, float32):
        raise TypeError(f"{op}: dtype {name}: only float32 is supported")


def normal(
    shape: Any,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = float32,
    seed: Any = None,
    name=None,
):
    """Normal draws of `shape` (a list/tuple of ints, or an int), as a float32 leaf tensor.

    As tf.random.normal.

    Args:
        shape: a list or tuple of ints, or an int.
        mean: the mean.
        stddev: the standard deviation.
        dtype: only float32.
        seed: None (the generator manual_seed / set_seed govern), or an int: as TF's op seed,
            repeated calls with one seed give a sequence that set_seed repeats.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the draws.

    Raises:
        TypeError: for another dtype.
    """
    _check_float(dtype, "normal")
    dims = _shape(shape)
    if seed is None:
        z = randn(dims)
    else:
        z = tensor(_op_generator(seed).standard_normal(dims, dtype=np.float32))
    return z * float(stddev) + float(mean) if (stddev, mean) != (1.0, 0.0) else z


def uniform(
    shape: Any,
    minval: Any = 0,
    maxval: Any = None,
    dtype: Any = float32,
    seed: Any = None,
    name=None,
):
    """Uniform draws in [minval, maxval) of `shape`. Float32 by default (maxval defaults to 1); an
    integer dtype needs maxval and gives whole numbers (in a float32 tensor, see tf_dtypes.int32).

    As tf.random.uniform.

    Args:
        shape: a list or tuple of ints, or an int.
        minval: the lower bound (included).
        maxval: the upper bound (excluded); 1 for floats when None.
        dtype: float32 or an integer dtype.
        seed: None (the generator manual_seed / set_seed govern), or an int: as TF's op seed,
            repeated calls with one seed give a sequence that set_seed repeats.
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the draws.

    Raises:
        TypeError: for another dtype.
        ValueError: for an integer dtype without maxval, or minval >= maxval.
    """
    kind = dtype_name(dtype, "uniform")
    if kind not in (float32, *_INTEGER_NAMES):
        raise TypeError(f"uniform: dtype {kind}: only float32 or an integer dtype is supported")
    integer = kind != float32
    if maxval is None:
        if integer:
            raise ValueError(f"uniform: an integer dtype ({kind}) needs maxval")
        maxval = 1.0
    lo, hi = float(minval), float(maxval)
    if integer and not lo < hi:
        raise ValueError(f"uniform: need minval < maxval for an integer dtype, got [{lo}, {hi})")
    dims = _shape(shape)
    if seed is None:
        u = rand(dims)
    else:
        u = tensor(_op_generator(seed).random(dims, dtype=np.float32))
    out = u * (hi - lo) + lo if (lo, hi) != (0.0, 1.0) else u
    if integer:
        # Draws are not differentiable, so flooring their values in NumPy takes nothing from a graph.
        out = tensor(np.minimum(np.floor(out.numpy()), hi - 1))
    return out
