"""keras.random (Keras 3): draws with a seed that is an int (the same values at every call), a
SeedGenerator (new values at each call, reproducible from its seed), or None (NumPy's global
generator, which keras.utils.set_random_seed seeds); dropout and shuffle keep gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad._core import tensor
from rustgrad.random import _categorical_draws, _truncated_draws
from rustgrad.tf_dtypes import _INTEGER_NAMES, _shape, convert_to_tensor, dtype_name, float32

__all__ = [
    "SeedGenerator",
    "categorical",
    "dropout",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]


class SeedGenerator:
    """A seed state: each draw that takes it gets a fresh generator and advances the state, so
    successive draws differ and a SeedGenerator made with the same seed repeats them.

    Args:
        seed: an int, or None for one drawn from NumPy's global generator.
        name: an optional name, kept as `.name`.

    Raises:
        TypeError: when seed is not an int or None.
    """

    def __init__(self, seed: Any = None, name: Any = None):
        if seed is None:
            seed = int(np.random.randint(0, 2**31 - 1))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"SeedGenerator: seed must be an int or None, got {seed!r}")
        self._seed, self._count, self.name = int(seed), 0, name

    def next(self) -> np.random.Generator:
        """A generator for the next draw (the state advances).

        Returns:
            numpy.random.Generator: seeded from (seed, draws so far).
        """
        words = [self._seed & (2**64 - 1), self._count]
        self._count += 1
        return np.random.default_rng(np.random.SeedSequence(words))


def _generator(seed: Any, op: str) -> np.random.Generator:
    if seed is None:
        # Seeded from NumPy's global stream, so keras.utils.set_random_seed makes it reproducible.
        return np.random.default_rng(int(np.random.randint(0, 2**63 - 1, dtype=np.int64)))
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{op}: seed must be an int, a SeedGenerator or None, got {seed!r}")
    return np.random.default_rng(int(seed) & (2**64 - 1))


def _float(dtype: Any, op: str) -> None:
    if dtype_name(dtype, op) not in (None, float32):
        raise TypeError(f"{op}: dtype {dtype!r}: only float32 is supported")


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed=None):
    """Draws from N(mean, stddev²).

    Args:
        shape: the result's shape (ints, or sizes taken from tensors).
        mean: the mean.
        stddev: the standard deviation.
        dtype: None or float32.
        seed: an int, a SeedGenerator or None (see the module docstring).

    Returns:
        Tensor: float32 draws.

    Raises:
        TypeError: for a bad shape, dtype or seed.
    """
    _float(dtype, "normal")
    rng = _generator(seed, "normal")
    return tensor(rng.normal(float(mean), float(stddev), _shape(shape)).astype(np.float32))


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed=None):
    """Draws from U[minval, maxval).

    Args:
        shape: the result's shape (ints, or sizes taken from tensors).
        minval: the lower bound (included).
        maxval: the upper bound (excluded).
        dtype: None or float32.
        seed: an int, a SeedGenerator or None (see the module docstring).

    Returns:
        Tensor: float32 draws.

    Raises:
        TypeError: for a bad shape, dtype or seed.
        ValueError: when maxval is not above minval.
    """
    _float(dtype, "uniform")
    if not float(maxval) > float(minval):
        raise ValueError(f"uniform: maxval ({maxval}) must be above minval ({minval})")
    rng = _generator(seed, "uniform")
    return tensor(rng.uniform(float(minval), float(maxval), _shape(shape)).astype(np.float32))


def truncated_normal(shape: Any, mean=0.0, stddev=1.0, dtype: Any = None, seed: Any = None):
    """Draws from N(mean, stddev²) with those beyond two standard deviations drawn again.

    Args:
        shape: the result's shape (ints, or sizes taken from tensors).
        mean: the mean.
        stddev: the standard deviation before truncation.
        dtype: None or float32.
        seed: an int, a SeedGenerator or None (see the module docstring).

    Returns:
        Tensor: float32 draws within mean ± 2·stddev.

    Raises:
        TypeError: for a bad shape, dtype or seed.
    """
    _float(dtype, "truncated_normal")
    z = _truncated_draws(_generator(seed, "truncated_normal"), _shape(shape))
    return tensor((float(mean) + float(stddev) * z).astype(np.float32))


def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Any = None):
    """Whole numbers drawn uniformly from [minval, maxval) (float32 storage, see tf.int32).

    Args:
        shape: the result's shape (ints, or sizes taken from tensors).
        minval: the lowest value.
        maxval: the end (excluded).
        dtype: an integer dtype.
        seed: an int, a SeedGenerator or None (see the module docstring).

    Returns:
        Tensor: the draws.

    Raises:
        TypeError: for a bad shape, dtype or seed.
        ValueError: when maxval is not above minval.
    """
    if dtype_name(dtype, "randint") not in _INTEGER_NAMES:
        raise TypeError(f"randint: dtype must be an integer dtype, got {dtype!r}")
    if not int(maxval) > int(minval):
        raise ValueError(f"randint: maxval ({maxval}) must be above minval ({minval})")
    rng = _generator(seed, "randint")
    return tensor(rng.integers(int(minval), int(maxval), _shape(shape)).astype(np.float32))


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None):
    """Each value zeroed with probability `rate` and the rest scaled by 1 / (1 - rate); the mask
    broadcasts from `noise_shape` (None: the input's shape). Gradients flow through the kept values.

    Args:
        inputs: a Tensor, or anything convert_to_tensor accepts.
        rate: the drop probability, in [0, 1).
        noise_shape: the mask's shape (broadcastable to the input's), or None.
        seed: an int, a SeedGenerator or None (see the module docstring).

    Returns:
        Tensor: the dropped-out values.

    Raises:
        ValueError: for a rate outside [0, 1).
    """
    if not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate!r}")
    x = convert_to_tensor(inputs)
    dims = tuple(x.shape) if noise_shape is None else _noise_shape(noise_shape, x.shape)
    keep = _generator(seed, "dropout").random(dims) >= float(rate)
    return x * tensor((keep / (1.0 - float(rate))).astype(np.float32))


def _noise_shape(noise_shape: Any, shape: tuple) -> tuple:
    # Keras lets None in noise_shape stand for the input's size on that axis.
    dims = tuple(shape[i] if d is None else int(d) for i, d in enumerate(noise_shape))
    if len(dims) != len(shape) or any(d not in (1, s) for d, s in zip(dims, shape)):
        raise ValueError(f"dropout: noise_shape {tuple(noise_shape)} does not broadcast to {shape}")
    return dims


def shuffle(x: Any, axis: int = 0, seed: Any = None):
    """`x` with its slices along `axis` in a random order (gradients follow the values).

    Args:
        x: a Tensor, or anything convert_to_tensor accepts.
        axis: the axis to shuffle.
        seed: an int, a SeedGenerator or None (see the module docstring).

    Returns:
        Tensor: the shuffled tensor.

    Raises:
        ValueError: for an axis out of range.
    """
    t = convert_to_tensor(x)
    if not -t.ndim <= int(axis) < max(t.ndim, 1) or t.ndim == 0:
        raise ValueError(f"shuffle: axis {axis} is out of range for a tensor of rank {t.ndim}")
    ax = int(axis) % t.ndim
    order = _generator(seed, "shuffle").permutation(t.shape[ax])
    return t[(slice(None),) * ax + (order,)]


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None):
    """Class indices drawn from softmax(logits) per row, as keras.random.categorical.

    Args:
        logits: (batch, classes) unnormalised log-probabilities.
        num_samples: draws per row.
        dtype: an integer dtype (whole numbers in float32 storage).
        seed: an int, a SeedGenerator or None (see the module docstring).

    Returns:
        Tensor: (batch, num_samples) indices.

    Raises:
        ValueError: when logits is not 2-d.
        TypeError: for a dtype that is not an integer one.
    """
    if dtype_name(dtype, "categorical") not in _INTEGER_NAMES:
        raise TypeError(f"categorical: dtype must be an integer dtype, got {dtype!r}")
    return _categorical_draws(
        _generator(seed, "categorical"), convert_to_tensor(logits), num_samples
    )
