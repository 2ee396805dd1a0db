"""Keras' utility layers: Identity, Rescaling, Permute, RepeatVector, GaussianNoise, GaussianDropout,
the global poolings and ActivityRegularization (Rust layers), and Lambda (Python `call`, so a model
holding one runs on the eager engine)."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from rustgrad import _core
from rustgrad.keras import regularizers
from rustgrad.keras.layers.base import Layer

__all__ = [
    "ActivityRegularization",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Identity",
    "Lambda",
    "Permute",
    "RepeatVector",
    "Rescaling",
]


def _seed(seed: Any) -> int:
    # Without a seed, draw one from NumPy's global state so np.random.seed makes runs repeatable.
    return int(np.random.randint(0, 2**31 - 1)) if seed is None else int(seed)


class Identity(Layer):
    """Returns its input unchanged."""

    def _make_core(self, input_shape: tuple) -> Any:
        return _core.Layer.activation("linear")


class Rescaling(Layer):
    """x · scale + offset (scale and offset: numbers or per-channel arrays), e.g. Rescaling(1/255).

    As keras.layers.Rescaling.

    Args:
        scale: a finite number or per-channel array.
        offset: a finite number or per-channel array.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when scale or offset is not finite.
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        for what, v in (("scale", scale), ("offset", offset)):
            a = np.asarray(v, dtype=np.float64) if not isinstance(v, str) else None
            if a is None or not np.all(np.isfinite(a)):
                raise ValueError(f"Rescaling: {what} must be a finite number or array, got {v!r}")

    def _make_core(self, input_shape: tuple) -> Any:
        f = [np.asarray(v, dtype=np.float32) for v in (self.scale, self.offset)]
        return _core.Layer.rescaling(_core.tensor(f[0]), _core.tensor(f[1]))

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Permute(Layer):
    """Reorder the non-batch axes: Permute((2, 1)) swaps the two axes of (batch, a, b).

    As keras.layers.Permute.

    Args:
        dims: a permutation of 1..rank (1-based, the batch axis excluded).
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when dims is not such a permutation.
    """

    def __init__(self, dims: Any, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Permute: dims must be a permutation of 1..{len(self.dims)} (axis 0 is the "
                f"batch), got {dims!r}"
            )

    def _make_core(self, input_shape: tuple) -> Any:
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(
                f"Permute layer '{self.name}': dims {self.dims} do not fit input shape {input_shape}"
            )
        return _core.Layer.permute(list(self.dims))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features).

    As keras.layers.RepeatVector.

    Args:
        n: the number of repeats (a positive int).
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when n is not a positive int.
    """

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise ValueError(f"RepeatVector: n must be a positive integer, got {n!r}")
        self.n = int(n)

    def _make_core(self, input_shape: tuple) -> Any:
        if len(input_shape) != 2:
            raise ValueError(
                f"RepeatVector layer '{self.name}' needs 2-D input (batch, features), got "
                f"shape {input_shape}"
            )
        return _core.Layer.repeat_vector(self.n)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}


class GaussianNoise(Layer):
    """x + N(0, stddev²) while training; the identity at inference.

    As keras.layers.GaussianNoise.

    Args:
        stddev: the noise's standard deviation (finite, >= 0).
        seed: an int for repeatable noise; None draws one from NumPy's global state.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when stddev is negative or not finite.
    """

    _multiplicative = False
    _what = "stddev"

    def __init__(self, stddev: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        v = float(stddev)
        ok = 0.0 <= v < 1.0 if self._multiplicative else v >= 0.0 and math.isfinite(v)
        if not ok:
            bound = "in [0, 1)" if self._multiplicative else ">= 0"
            raise ValueError(f"{type(self).__name__}: {self._what} must be {bound}, got {stddev!r}")
        setattr(self, self._what, v)
        self.seed, self._seed_arg = _seed(seed), seed

    def _make_core(self, input_shape: tuple) -> Any:
        amount = getattr(self, self._what)
        return _core.Layer.gaussian_noise(amount, self.seed, self._multiplicative)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            self._what: getattr(self, self._what),
            "seed": self._seed_arg,
        }


class GaussianDropout(GaussianNoise):
    """x · N(1, rate / (1 − rate)) while training; the identity at inference.

    As keras.layers.GaussianDropout.

    Args:
        rate: the drop probability, in [0, 1).
        seed: an int for repeatable noise; None draws one from NumPy's global state.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when rate is outside [0, 1).
    """

    _multiplicative = True
    _what = "rate"

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)


class _GlobalPooling(Layer):
    """The global pooling layers' shared arguments (GlobalMax/AveragePooling1D/2D).

    Args:
        data_format: None or "channels_last"; anything else is refused.
        keepdims: keep the pooled axes with size 1.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        NotImplementedError: for another data_format.
    """

    _dims, _max = 1, False

    def __init__(self, data_format: Any = None, keepdims: bool = False, **kwargs):
        if data_format not in (None, "channels_last"):
            raise NotImplementedError(
                f"{type(self).__name__}: data_format={data_format!r} is not supported; only 'channels_last'"
            )
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)

    def _make_core(self, input_shape: tuple) -> Any:
        if len(input_shape) != self._dims + 2:
            axes = "steps" if self._dims == 1 else "height, width"
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' needs {self._dims + 2}-D input "
                f"(batch, {axes}, channels), got shape {input_shape}"
            )
        return _core.Layer.global_pool(self._dims, self._max, self.keepdims)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if self.keepdims:
            return (input_shape[0], *[1] * self._dims, input_shape[-1])
        return (input_shape[0], input_shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": "channels_last", "keepdims": self.keepdims}


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width: (batch, h, w, c) -> (batch, c)."""

    _dims, _max = 2, True


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over steps: (batch, steps, c) -> (batch, c)."""

    def __call__(self, x: Any, training: Any = None, mask: Any = None) -> Any:
        if mask is not None:
            raise NotImplementedError("GlobalAveragePooling1D: mask is not supported")
        return super().__call__(x, training=training)


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over steps: (batch, steps, c) -> (batch, c)."""

    _max = True


class ActivityRegularization(Layer):
    """The identity, adding (l1·Σ|x| + l2·Σx²) / batch size to the loss (Keras 3); a Rust layer
    whose activity penalty the train step adds, as any layer's `activity_regularizer`.

    As keras.layers.ActivityRegularization.

    Args:
        l1: the L1 factor (>= 0).
        l2: the L2 factor (>= 0).
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when a factor is negative.
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs):
        for what, v in (("l1", l1), ("l2", l2)):
            if not (float(v) >= 0.0 and math.isfinite(float(v))):
                raise ValueError(f"ActivityRegularization: {what} must be >= 0, got {v!r}")
        self.l1, self.l2 = float(l1), float(l2)
        super().__init__(activity_regularizer=regularizers.L1L2(self.l1, self.l2), **kwargs)

    def _make_core(self, input_shape: tuple) -> Any:
        return _core.Layer.activation("linear")

    def get_config(self) -> dict:
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}


class Lambda(Layer):
    """A function of Tensors as a layer: Lambda(lambda x: x * 2). Runs in Python (eager engine).

    As keras.layers.Lambda.

    Args:
        function: the callable applied to the inputs.
        output_shape: kept for get_config; the shape is found by running the function.
        mask: only None.
        arguments: extra keyword arguments passed to `function`.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        NotImplementedError: when mask is given.
        TypeError: when function is not callable.
    """

    def __init__(
        self,
        function: Callable,
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict | None = None,
        **kwargs,
    ):
        if mask is not None:
            raise NotImplementedError("Lambda: mask is not supported")
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {function!r}")
        super().__init__(**kwargs)
        self.function, self.arguments = function, dict(arguments or {})
        # The output shape is found by running the function; a given one is kept for get_config.
        self.output_shape_arg = output_shape

    def call(self, inputs: Any) -> Any:
        return self.function(inputs, **self.arguments)

    @classmethod
    def from_config(cls, config: dict) -> Lambda:
        """As Keras: a lambda's code is loaded only with safe_mode=False; a function given by
        name must be registered (keras.saving.register_keras_serializable) or in custom_objects.

        Args:
            config: the layer's config, its function serialized as Keras writes it.

        Returns:
            Lambda: the new layer.

        Raises:
            NotImplementedError: when output_shape is a function.
            ValueError: when the function is a lambda and safe_mode is on.
        """
        from rustgrad.keras.saving import serialization

        config = dict(config)
        fn = config.get("function")
        if isinstance(fn, dict) and fn.get("class_name") == "__lambda__":
            config["function"] = serialization.load_lambda(fn)
        elif isinstance(fn, dict):
            config["function"] = serialization.deserialize_keras_object(
                fn, safe_mode=serialization.in_safe_mode()
            )
        if isinstance(config.get("output_shape"), dict):
            raise NotImplementedError("Lambda: an output_shape function is not supported")
        return super().from_config(config)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "function": self.function,
            "output_shape": self.output_shape_arg,
            "arguments": self.arguments,
        }
