"""Keras' Embedding and LayerNormalization, thin Python halves of Rust layers (src/layers/embedding.rs)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras.layers.base import Layer
from rustgrad.keras.layers.variables import named_weight
from rustgrad.keras.layers.weight_options import WeightOptions

__all__ = ["Embedding", "LayerNormalization"]


def _positive_int(value: Any, what: str, layer: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer}: {what} must be a positive integer, got {value!r}")
    return int(value)


class Embedding(Layer):
    """Integer ids (batch, ...) -> rows of an (input_dim, output_dim) table (batch, ..., output_dim).
    The gradient reaches only the rows that were looked up.

    As keras.layers.Embedding.

    Args:
        input_dim: the vocabulary size (a positive int).
        output_dim: the size of each row (a positive int).
        embeddings_initializer: an initializer name or object ("uniform" by default).
        mask_zero: only False (no layer consumes masks yet).
        input_length: tf.keras 2's fixed sequence length; sets input_shape.
        **kwargs: embeddings_regularizer, embeddings_constraint, activity_regularizer, and
            Layer's arguments; sparse=True and lora_rank are refused.

    Raises:
        ValueError: when a size is not a positive int.
        NotImplementedError: for mask_zero=True, sparse=True or lora_rank.
    """

    _weight_spec = (("embeddings", "uniform"),)

    _param_names = ("embeddings",)
    embeddings = named_weight("embeddings")

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        mask_zero: bool = False,
        input_length: Any = None,
        **kwargs,
    ):
        kwargs["embeddings_initializer"] = embeddings_initializer
        self._weight_options = WeightOptions("Embedding", kwargs, weights=self._weight_spec)
        if kwargs.pop("sparse", False):
            raise NotImplementedError("Embedding: sparse=True is not supported")
        if kwargs.pop("lora_rank", None) is not None:
            raise NotImplementedError("Embedding: lora_rank is not supported")
        if mask_zero:
            raise NotImplementedError(
                "Embedding: mask_zero=True is not supported (no layer consumes masks yet)"
            )
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim = _positive_int(input_dim, "input_dim", "Embedding")
        self.output_dim = _positive_int(output_dim, "output_dim", "Embedding")
        self.mask_zero = False

    def _make_core(self, input_shape: tuple) -> Any:
        return self._weight_options.apply(_core.Layer.embedding(self.input_dim, self.output_dim))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape, self.output_dim)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "mask_zero": self.mask_zero,
            **self._weight_options.config(),
            "quantization_config": None,
        }


class LayerNormalization(Layer):
    """Per sample, (x - mean) / sqrt(var + epsilon) over `axis`, then * gamma + beta (Keras 3
    defaults: axis=-1, epsilon=1e-3, center and scale on).

    As keras.layers.LayerNormalization.

    Args:
        axis: an int or a list of ints to normalise over.
        epsilon: added to the variance (> 0).
        center: whether to add beta.
        scale: whether to multiply by gamma.
        rms_scaling: only False.
        **kwargs: ``beta_``/``gamma_`` initializer, regularizer and constraint, and Layer's arguments.

    Raises:
        ValueError: for an empty or invalid axis, or epsilon <= 0.
        NotImplementedError: for rms_scaling=True.
    """

    _weight_spec = (("gamma", "ones"), ("beta", "zeros"))

    gamma = named_weight("gamma")
    beta = named_weight("beta")

    def __init__(
        self,
        axis: Any = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        rms_scaling: bool = False,
        **kwargs,
    ):
        self._weight_options = WeightOptions(
            "LayerNormalization", kwargs, weights=self._weight_spec
        )
        if rms_scaling:
            raise NotImplementedError("LayerNormalization: rms_scaling=True is not supported")
        super().__init__(**kwargs)
        axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
        if not axes or any(
            isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in axes
        ):
            raise ValueError(
                f"LayerNormalization: axis must be an int or a list of ints, got {axis!r}"
            )
        self.axis = int(axis) if isinstance(axis, (int, np.integer)) else [int(a) for a in axes]
        self._axes = [int(a) for a in axes]
        self.epsilon = float(epsilon)
        if not self.epsilon > 0:
            raise ValueError(f"LayerNormalization: epsilon must be positive, got {epsilon!r}")
        self.center, self.scale = bool(center), bool(scale)

    def _make_core(self, input_shape: tuple) -> Any:
        rank = len(input_shape)
        norm = sorted({a % rank if -rank <= a < rank else -1 for a in self._axes})
        if -1 in norm or 0 in norm:
            raise ValueError(
                f"LayerNormalization layer '{self.name}': axis {self.axis!r} is out of range "
                f"for input shape {input_shape} (the batch axis cannot be normalised)"
            )
        if norm != list(range(rank - len(norm), rank)):
            raise NotImplementedError(
                f"LayerNormalization: axis={self.axis!r} must be the trailing axes of the input "
                f"(shape {input_shape})"
            )
        shape = [int(input_shape[a]) for a in norm]
        core = _core.Layer.layer_normalization(shape, self.epsilon, self.center, self.scale)
        return self._weight_options.apply(core, self._param_names)

    @property
    def _param_names(self) -> tuple:  # type: ignore[override]
        return tuple(n for n, on in (("gamma", self.scale), ("beta", self.center)) if on)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": False,
            **self._weight_options.config(activity_key=False),
        }
