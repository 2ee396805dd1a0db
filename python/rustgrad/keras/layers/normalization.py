"""Keras' Normalization preprocessing layer: `adapt` computes the mean and variance of the user's
data here, in NumPy; the Rust half (src/layers/normalization.rs) applies them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras.layers.base import Layer

__all__ = ["Normalization"]


def _axes(axis: Any) -> tuple[int, ...]:
    if axis is None:
        return ()
    items = (axis,) if isinstance(axis, (int, np.integer)) else axis
    try:
        out = tuple(items)
    except TypeError:
        out = (items,)
    if any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in out):
        raise TypeError(
            f"Normalization: axis must be an int, a tuple of ints or None, got {axis!r}"
        )
    return tuple(int(a) for a in out)


def _first_input(batch: Any) -> Any:
    """x of a batch that may be (x, y) or (x, y, sample_weight)."""
    return batch[0] if isinstance(batch, tuple) else batch


def _values(x: Any) -> np.ndarray:
    return x.numpy() if isinstance(x, _core.Tensor) else np.asarray(x)


class Normalization(Layer):
    """Shift and scale inputs to mean 0 and standard deviation 1: (x - mean) / sqrt(variance),
    with the mean and variance given or computed from data by `adapt` before training.

    As keras.layers.Normalization. An adapted layer keeps its statistics as non-trainable weights
    (`mean`, `variance` and Keras' `count`), saved and loaded with the model; a layer given
    `mean` and `variance` has no weights, as in Keras.

    Args:
        axis: the axis or axes that keep a separate mean and variance per index (-1: one per
            feature of the last axis); None for one scalar mean and variance.
        mean: the mean to use (a number or an array that broadcasts to the kept axes); given
            together with `variance`.
        variance: the variance to use, the same shape as `mean`.
        invert: apply the inverse, mean + x * sqrt(variance), turning normalized values back.
        **kwargs: Layer's arguments (name, input_shape, dtype, ...).

    Raises:
        TypeError: when axis is not an int, a tuple of ints or None.
        ValueError: when only one of mean and variance is given, their shapes differ, or mean
            has more axes than `axis` names.
    """

    _state_names = ("mean", "variance", "count")

    def __init__(
        self, axis: Any = -1, mean: Any = None, variance: Any = None, invert: bool = False, **kwargs
    ):
        super().__init__(**kwargs)
        self.axis = _axes(axis)
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: when setting values directly, both mean and variance must be "
                f"set; got mean={mean} and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Normalization: mean and variance must have the same shape, got "
                    f"{np.shape(mean)} and {np.shape(variance)}"
                )
            if np.ndim(mean) > len(self.axis):
                raise ValueError(
                    f"Normalization: mean has {np.ndim(mean)} axes, more than the {len(self.axis)} "
                    f"kept axes of axis={self.axis}"
                )
            for what, v in (("mean", mean), ("variance", variance)):
                if not np.all(np.isfinite(np.asarray(v, dtype=np.float64))):
                    raise ValueError(f"Normalization: {what} must be finite, got {v!r}")

    # ---- shapes ------------------------------------------------------------------------------
    def _plan(self, input_shape: tuple) -> tuple[tuple, tuple, list]:
        """The kept axes, the reduced axes and the broadcast shape for inputs of this shape."""
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                f"Normalization layer '{self.name}': every axis must be in [-{ndim}, {ndim}) for "
                f"inputs of shape {tuple(input_shape)}, got axis={self.axis}"
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if input_shape[d] is None:
                raise ValueError(
                    f"Normalization layer '{self.name}': axis {d} is kept (axis={self.axis}), so "
                    f"its size must be known; got inputs of shape {tuple(input_shape)}"
                )
        reduce = tuple(d for d in range(ndim) if d not in keep)
        broadcast = [int(input_shape[d]) if d in keep else 1 for d in range(ndim)]
        return keep, reduce, broadcast

    def _make_core(self, input_shape: tuple) -> Any:
        keep, self._reduce_axis, broadcast = self._plan(input_shape)
        self._keep_axis, self._broadcast_shape = keep, broadcast
        self._mean_and_var_shape = tuple(int(input_shape[d]) for d in keep)
        if self.input_mean is None:
            mean = np.zeros(self._mean_and_var_shape, np.float32)
            var = np.ones(self._mean_and_var_shape, np.float32)
            return _core.Layer.normalization(mean, var, broadcast, self.invert, True)
        mean, var = (
            self._given(v, keep, broadcast) for v in (self.input_mean, self.input_variance)
        )
        return _core.Layer.normalization(mean, var, broadcast, self.invert, False)

    def _given(self, value: Any, keep: tuple, broadcast: list) -> np.ndarray:
        """A given mean or variance in the broadcast shape: its axes line up with the kept axes
        from the right, as Keras aligns them."""
        v = np.asarray(value, dtype=np.float32)
        if v.ndim:
            expanded = [1] * len(broadcast)
            for i in range(1, v.ndim + 1):
                expanded[keep[-i]] = v.shape[-i]
            v = v.reshape(expanded)
        try:
            return np.ascontiguousarray(np.broadcast_to(v, broadcast))
        except ValueError:
            raise ValueError(
                f"Normalization layer '{self.name}': a mean/variance of shape {np.shape(value)} "
                f"does not broadcast to the kept axes' shape {tuple(broadcast)}"
            ) from None

    def _check_input_shape(self, shape: Any) -> None:
        """Any input the statistics broadcast against, as Keras computes without checking."""
        b = self._broadcast_shape
        s = tuple(shape)
        if len(b) > len(s) or any(
            n != 1 and d is not None and d != n for n, d in zip(b[::-1], s[::-1])
        ):
            raise ValueError(
                f"Input of layer '{self.name}' (Normalization) is incompatible with the layer: "
                f"its statistics have the shape {tuple(b)}, which does not broadcast to inputs "
                f"of shape {s}"
            )

    def _call_symbolic(self, x: Any) -> Any:
        # adapt() builds the layer for the data's shape (a real batch size, maybe another rank, as
        # Keras does); in a model its output shape is the one of the model's call.
        out = super()._call_symbolic(x)
        self.output_shape = out.shape
        return out

    # ---- the statistics -------------------------------------------------------------------------
    @property
    def adapt_mean(self) -> Any:
        """The `mean` weight (the kept axes' shape), once the layer is built; None otherwise."""
        return self._weight(0)

    @property
    def adapt_variance(self) -> Any:
        """The `variance` weight, once the layer is built; None otherwise."""
        return self._weight(1)

    @property
    def count(self) -> Any:
        """Keras' `count` weight (0: Keras 3's adapt does not update it either)."""
        return self._weight(2)

    def _weight(self, i: int) -> Any:
        w = self.weights
        return w[i] if len(w) > i else None

    @property
    def mean(self) -> Any:
        """The mean in the broadcast shape (e.g. (1, features)) as a Tensor; None before build."""
        return self._broadcast(0)

    @property
    def variance(self) -> Any:
        """The variance in the broadcast shape as a Tensor; None before build."""
        return self._broadcast(1)

    def _broadcast(self, i: int) -> Any:
        if not self.built:
            return None
        if self.input_mean is not None:
            given = (self.input_mean, self.input_variance)[i]
            return _core.Tensor(self._given(given, self._keep_axis, self._broadcast_shape))
        return _core.Tensor(self.weights[i].numpy().reshape(self._broadcast_shape))

    def adapt(self, data: Any) -> None:
        """Compute the mean and variance of `data` over the reduced axes and store them.

        Args:
            data: the whole data as a NumPy array or Tensor (NumPy's mean and var of it), or
                batches of it: a tf.data Dataset (unbatched elements are batched by 128, as Keras
                does), a PyDataset, or a list or generator of arrays; batches may be (x, y)
                tuples, and are merged one by one in float32, as Keras merges them.

        Raises:
            TypeError: for data that is none of those, or batches without a shape.
            ValueError: for no batches, a shape that differs from the built one on a kept axis,
                non-finite data, or a layer given mean and variance (nothing to adapt).
        """
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization layer '{self.name}' was given mean and variance; adapt() "
                "computes them for a layer made without them"
            )
        if isinstance(data, (np.ndarray, _core.Tensor)):
            batches: Any = [_values(data)]
        else:
            from rustgrad.keras._pydataset import PyDataset

            if isinstance(data, PyDataset):
                data = map(data.__getitem__, range(len(data)))
            elif _is_dataset(data) and _rank_of_first(data) == 1:
                data = data.batch(128)
            elif not hasattr(data, "__iter__") or isinstance(data, (str, bytes, dict)):
                raise TypeError(
                    f"Normalization.adapt: unsupported data type {type(data).__name__}; it takes a "
                    "NumPy array or Tensor, a tf.data Dataset, a PyDataset, or an iterable of batches"
                )
            batches = _batches(data)
        mean, var = self._merged(batches)
        for w, v in zip(self.weights, (mean, var)):
            np.copyto(w.numpy(), np.asarray(v, dtype=np.float32).reshape(w.numpy().shape))

    def _merged(self, batches: Any) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance over all batches, merged one batch at a time (Keras' formula); one
        batch (the whole array) is NumPy's own mean and var."""
        total_mean = total_var = None
        total_count = 0
        for batch in batches:
            batch = _real(batch)
            if not self.built:
                self.build(tuple(batch.shape))
            self._check_batch(batch.shape)
            if not np.all(np.isfinite(batch)):
                raise ValueError("Normalization.adapt: the data holds NaN or infinite values")
            mean = np.mean(batch, axis=self._reduce_axis)
            var = np.var(batch, axis=self._reduce_axis)
            if total_mean is None:
                total_mean, total_var = mean, var
                total_count = math.prod(batch.shape[d] for d in self._reduce_axis)
                continue
            count = math.prod(batch.shape[d] for d in self._reduce_axis)
            total_count += count
            w = float(count) / total_count
            merged = total_mean * (1.0 - w) + mean * w
            total_var = (total_var + (total_mean - merged) ** 2) * (1.0 - w) + (
                var + (mean - merged) ** 2
            ) * w
            total_mean = merged
        if total_mean is None:
            raise ValueError("Normalization.adapt: the data has no batches")
        return total_mean, total_var

    def _check_batch(self, shape: tuple) -> None:
        built = self.input_shape
        if len(shape) != len(built) or any(
            shape[d] != built[d] for d in self._keep_axis if built[d] is not None
        ):
            raise ValueError(
                f"Normalization layer '{self.name}' was built for inputs of shape {built}, but "
                f"adapt() got data of an incompatible shape {tuple(shape)}"
            )

    # ---- configs -------------------------------------------------------------------------------
    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }

    @classmethod
    def from_config(cls, config: dict) -> Any:
        """A layer from get_config's dict (or Keras'), its axis list read back as a tuple.

        Args:
            config: the constructor arguments under Keras 3's keys.

        Returns:
            Normalization: the new, unbuilt layer.
        """
        config = dict(config)
        if isinstance(config.get("axis"), list):
            config["axis"] = tuple(config["axis"])
        return super().from_config(config)


def _real(batch: np.ndarray) -> np.ndarray:
    """Numbers as they are; booleans and objects that are numbers (a DataFrame of float and
    one-hot bool columns gives objects) as float64, as NumPy's mean would take them."""
    if batch.dtype.kind in "iuf":
        return batch
    if batch.dtype.kind in "bO":
        try:
            return batch.astype(np.float64)
        except (TypeError, ValueError):
            pass
    raise TypeError(f"Normalization.adapt: data must be real numbers, got dtype {batch.dtype}")


def _is_dataset(data: Any) -> bool:
    from rustgrad.dataset import Dataset

    return isinstance(data, Dataset)


def _rank_of_first(data: Any) -> int:
    for element in data.take(1):
        return np.ndim(_values(_first_input(element)))
    return 0


def _batches(data: Any):
    """Each batch's x as float32, as Keras converts them before merging."""
    for batch in data:
        x = _first_input(batch)
        if not hasattr(x, "shape"):
            raise TypeError(
                "Normalization.adapt: an iterable must yield arrays or Tensors (with a shape); "
                f"got an element of type {type(x).__name__}"
            )
        yield _values(x).astype(np.float32, copy=False)
