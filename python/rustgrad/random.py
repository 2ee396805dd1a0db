"""tf.random: normal and uniform draws with TF's global-seed / operation-seed rules, and set_seed."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from rustgrad._core import manual_seed, rand, randn, tensor
from rustgrad.tf_ops import _INTEGER_NAMES, _shape, dtype_name, float32

__all__ = ["categorical", "normal", "set_seed", "shuffle", "truncated_normal", "uniform"]

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


def _generator(seed: Any) -> np.random.Generator:
    """A NumPy generator under TF's rules: from the global stream (four of its uniform draws seed
    it, so set_seed repeats it) without an op seed, else the op seed's sequence."""
    if seed is None:
        words = (rand(4).numpy().astype(np.float64) * 2**24).astype(np.int64)
        return np.random.default_rng(np.random.SeedSequence([int(w) for w in words]))
    return _op_generator(seed)


def truncated_normal(
    shape: Any,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = float32,
    seed: Any = None,
    name=None,
):
    """Normal draws with those beyond two standard deviations drawn again, as
    tf.random.truncated_normal (TF's seed rules, see normal).

    Args:
        shape: a list or tuple of ints, or an int.
        mean: the mean.
        stddev: the standard deviation before truncation.
        dtype: only float32.
        seed: None or an int op seed (see normal).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the draws, within mean ± 2·stddev.

    Raises:
        TypeError: for another dtype.
    """
    _check_float(dtype, "truncated_normal")
    z = _truncated_draws(_generator(seed), _shape(shape))
    return tensor((float(mean) + float(stddev) * z).astype(np.float32))


def _truncated_draws(rng: np.random.Generator, dims: tuple) -> np.ndarray:
    """Standard normal draws of `dims`, those beyond ±2 drawn again (tf and keras.random's)."""
    z = rng.standard_normal(dims)
    bad = np.abs(z) > 2
    while bad.any():
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return z


def shuffle(value: Any, seed: Any = None, name=None):
    """`value` with its rows (first axis) in a random order, as tf.random.shuffle; the gradient
    follows the rows.

    Args:
        value: a Tensor, or anything convert_to_tensor accepts, of rank >= 1.
        seed: None or an int op seed (see normal).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: the shuffled tensor.

    Raises:
        ValueError: for a scalar.
    """
    from rustgrad.tf_dtypes import convert_to_tensor

    t = convert_to_tensor(value)
    if t.ndim == 0:
        raise ValueError("shuffle: value must have at least one axis")
    return t[_generator(seed).permutation(t.shape[0])]


def categorical(logits: Any, num_samples: int, dtype: Any = None, seed: Any = None, name=None):
    """Class indices drawn from softmax(logits) per row, as tf.random.categorical.

    Args:
        logits: (batch, classes) unnormalised log-probabilities.
        num_samples: draws per row.
        dtype: None, int32 or int64 (whole numbers in float32 storage).
        seed: None or an int op seed (see normal).
        name: TF's op name; accepted and unused (rustgrad's ops have no names).

    Returns:
        Tensor: (batch, num_samples) indices.

    Raises:
        ValueError: when logits is not 2-d.
        TypeError: for another dtype.
    """
    from rustgrad.tf_dtypes import convert_to_tensor

    if dtype is not None and dtype_name(dtype, "categorical") not in _INTEGER_NAMES:
        raise TypeError(f"categorical: dtype must be int32 or int64, got {dtype!r}")
    return _categorical_draws(_generator(seed), convert_to_tensor(logits), num_samples)


def _categorical_draws(rng: np.random.Generator, logits: Any, num_samples: int) -> Any:
    """(batch, num_samples) class indices drawn from softmax(logits) per row, as a Tensor."""
    z = logits.detach().numpy().astype(np.float64)
    if z.ndim != 2:
        raise ValueError(f"categorical: logits must be (batch, classes), got shape {z.shape}")
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    draws = [rng.choice(z.shape[1], size=int(num_samples), p=row) for row in p]
    return tensor(np.asarray(draws, np.float32).reshape(z.shape[0], int(num_samples)))
