"""Keras' Bidirectional wrapper over a recurrent layer: a forward copy and a backward copy
(go_backwards) of it, their outputs merged, one Rust layer over the two halves' Rust layers
(src/layers/bidirectional.rs). The halves keep their own weights, as in Keras' files
(`bidirectional/forward_layer/cell/vars/..`)."""

from __future__ import annotations

from typing import Any

from rustgrad import _core
from rustgrad.keras.layers.recurrent import _Recurrent
from rustgrad.keras.layers.wrapping import Wrapping

__all__ = ["Bidirectional"]

_MODES = ("concat", "sum", "mul", "ave")


def _copy(layer: Any, name: str, **changes: Any) -> Any:
    config = {**layer.get_config(), "name": name, **changes}
    return type(layer).from_config(config)


class Bidirectional(Wrapping):
    """Run `layer` over the sequence and a copy of it over the reversed sequence, then merge.

    As keras.layers.Bidirectional. With return_sequences the backward outputs are flipped back
    into time order before the merge.

    Args:
        layer: a SimpleRNN, LSTM or GRU (its copy, not itself, is trained: Keras rebuilds it
            from its config as `forward_<name>`).
        merge_mode: "concat" (the default), "sum", "mul" or "ave"; None (a list of both
            outputs) is refused.
        weights: initial weights for both halves, forward's first, set when the layer is built.
        backward_layer: the backward half, if not a go_backwards copy of `layer`.
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        ValueError: when a half is not a recurrent layer, for an unknown merge_mode, or when the
            halves' go_backwards or return_sequences do not fit.
        NotImplementedError: for merge_mode=None.
    """

    def __init__(
        self,
        layer: Any,
        merge_mode: Any = "concat",
        weights: Any = None,
        backward_layer: Any = None,
        **kwargs,
    ):
        for what, half in (("layer", layer), ("backward_layer", backward_layer)):
            if half is not None and not isinstance(half, _Recurrent):
                raise ValueError(
                    f"Bidirectional: {what} must be a SimpleRNN, LSTM or GRU layer, got {half!r}"
                )
        if merge_mode is None:
            raise NotImplementedError(
                "Bidirectional: merge_mode=None (two outputs) is not supported"
            )
        if merge_mode not in _MODES:
            raise ValueError(
                f"Bidirectional: merge_mode must be one of {_MODES} or None, got {merge_mode!r}"
            )
        super().__init__(**kwargs)
        base = layer.name.removeprefix("forward_")
        self.forward_layer = _copy(layer, f"forward_{base}")
        if backward_layer is None:
            back = layer.name.removeprefix("backward_")
            backward_layer = _copy(layer, f"backward_{back}", go_backwards=True)
        self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError(
                "Bidirectional: the forward and backward layers must have different go_backwards"
            )
        if self.forward_layer.return_sequences != self.backward_layer.return_sequences:
            raise ValueError(
                "Bidirectional: the forward and backward layers must have the same return_sequences"
            )
        for half in (self.forward_layer, self.backward_layer):
            half.zero_output_for_mask = half.return_sequences  # as Keras (it matters with masks)
        self._adopt()
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = False
        self.stateful = False
        self._initial_weights = None if weights is None else list(weights)

    def _make_core(self, input_shape: tuple) -> Any:
        halves = (self.forward_layer, self.backward_layer)
        for half in halves:
            if not half.built:
                half.build(input_shape)
        core = _core.Layer.bidirectional(
            halves[0].core, halves[1].core, self.merge_mode, self.return_sequences
        )
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            n = len(weights) // 2
            halves[0].set_weights(weights[:n])
            halves[1].set_weights(weights[n:])
        return core

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        forward = self.forward_layer.compute_output_shape(input_shape)
        units = self.backward_layer.compute_output_shape(input_shape)[-1]
        if self.merge_mode == "concat":
            return (*forward[:-1], forward[-1] + units)
        return forward

    def _parts(self) -> list:
        return [("forward_layer", self.forward_layer), ("backward_layer", self.backward_layer)]

    _nested = ("layer", "backward_layer")

    def _attribute(self, key: str) -> str:
        return "forward_layer" if key == "layer" else key

    def get_config(self) -> dict:
        return {**super().get_config(), "merge_mode": self.merge_mode, **self._nested_config()}
