"""Keras' TimeDistributed: a built-in layer applied to every step of a (batch, time, ...) input,
one Rust call on the (batch·time, ...) reshape (src/layers/time_distributed.rs)."""

from __future__ import annotations

from typing import Any

from rustgrad import _core
from rustgrad.keras.layers.base import Layer
from rustgrad.keras.layers.wrapping import Wrapping

__all__ = ["TimeDistributed"]


class TimeDistributed(Wrapping):
    """`layer` on each step: (batch, time, ...) -> (batch, time, layer's output per step).

    As keras.layers.TimeDistributed. The layer's weights are shared by all steps and stay the
    layer's own (`time_distributed/layer/vars` in a weights file).

    Args:
        layer: a built-in layer (Dense, Conv2D, Dropout, an LSTM, ...).
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when `layer` is not a Layer, or the input has fewer than 3 axes.
        NotImplementedError: for a custom layer (Python code) or a model as `layer`.
    """

    def __init__(self, layer: Any, **kwargs):
        from rustgrad.keras.models import Model

        if not isinstance(layer, Layer):
            raise ValueError(  # noqa: TRY004 (Keras raises ValueError here)
                f"TimeDistributed: layer must be a keras.layers.Layer instance, got {layer!r}"
            )
        if isinstance(layer, Model) or layer._is_custom():
            raise NotImplementedError(
                f"TimeDistributed over {type(layer).__name__} (Python code) is not supported: "
                "only built-in layers"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self._adopt()

    def _parts(self) -> list:
        return [("layer", self.layer)]

    def _step_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) < 3:
            raise ValueError(
                "TimeDistributed: the input needs at least 3 axes (batch, time, ...), got shape "
                f"{input_shape}"
            )
        return (None, *input_shape[2:])

    def _make_core(self, input_shape: tuple) -> Any:
        step = self._step_shape(input_shape)
        if not self.layer.built:
            self.layer.build(step)
        else:
            self.layer._check_input_shape(step)
        return _core.Layer.time_distributed(self.layer.core)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        out = self.layer.compute_output_shape(self._step_shape(input_shape))
        return (input_shape[0], input_shape[1], *out[1:])

    def get_config(self) -> dict:
        return {**super().get_config(), **self._nested_config()}
