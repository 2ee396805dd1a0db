"""`layer.cell` of SimpleRNN, LSTM and GRU: where Keras 3 keeps a recurrent layer's weights, so
weights files have Keras' paths (`lstm/cell/vars/0..2`) and `layer.cell.kernel` works."""

from __future__ import annotations

from typing import Any

__all__ = ["RNNCellWeights"]

_CELL_NAMES = {"SimpleRNN": "simple_rnn_cell", "LSTM": "lstm_cell", "GRU": "gru_cell"}


class RNNCellWeights:
    """`layer.cell`: where Keras 3 keeps a recurrent layer's kernel, recurrent_kernel and bias."""

    def __init__(self, layer: Any):
        self._h5_owner = layer

    units = property(lambda self: self._h5_owner.units)
    name = property(lambda self: _CELL_NAMES[self._h5_owner._cell])
    kernel = property(lambda self: self._h5_owner.kernel)
    recurrent_kernel = property(lambda self: self._h5_owner.recurrent_kernel)
    bias = property(lambda self: self._h5_owner.bias)
    trainable = property(lambda self: self._h5_owner.trainable)

    @property
    def weights(self) -> list:
        """The layer's weights (the cell holds them all)."""
        return self._h5_owner.weights

    def _h5_own_variables(self) -> list:
        layer = self._h5_owner
        return layer._variables(layer.core.params(), layer._param_names, True)
