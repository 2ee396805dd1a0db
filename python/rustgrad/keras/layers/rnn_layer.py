"""Keras' generic `RNN(cell)` over the built-in cells SimpleRNNCell, LSTMCell and GRUCell: the
cell holds a step's configuration and the RNN layer runs the same Rust recurrence as SimpleRNN,
LSTM and GRU (`RNN(LSTMCell(64))` is `LSTM(64)`), with the weights kept on the cell as Keras
keeps them (`rnn/cell/vars/0..2`)."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.layers.base import Layer
from rustgrad.keras.layers.recurrent import GRU, LSTM, SimpleRNN
from rustgrad.keras.layers.wrapping import Wrapping

__all__ = ["RNN", "GRUCell", "LSTMCell", "SimpleRNNCell"]

# What a recurrent layer's config has and a cell's has not.
_SEQUENCE_KEYS = (
    "return_sequences",
    "return_state",
    "go_backwards",
    "stateful",
    "unroll",
    "zero_output_for_mask",
    "activity_regularizer",
)
_LAYER_KEYS = ("name", "trainable", "dtype")


class _Cell(Layer):
    """A cell: the arguments of its recurrent layer without the sequence ones, checked by
    building that layer's configuration once."""

    _layer_class: type = LSTM

    def __init__(self, units: int, **kwargs):
        base = {k: kwargs.pop(k) for k in _LAYER_KEYS if k in kwargs}
        # Named, so that it takes no number from the names of the user's layers.
        self._prototype = self._layer_class(units, name="cell_arguments", **kwargs)
        super().__init__(**base)
        self.units = self._prototype.units
        self._rnn: Any = None  # the RNN layer running this cell, once given to one

    @property
    def state_size(self) -> Any:
        """The sizes of the states the cell carries (LSTM: h and c)."""
        return [self.units, self.units] if self._layer_class is LSTM else self.units

    @property
    def output_size(self) -> int:
        """The size of a step's output."""
        return self.units

    def _step_config(self) -> dict:
        config = self._prototype.get_config()
        out = {k: v for k, v in config.items() if k not in _SEQUENCE_KEYS + _LAYER_KEYS}
        return {**out, "seed": self._prototype._seed_arg}  # SimpleRNN's layer config lacks it

    def get_config(self) -> dict:
        return {**super().get_config(), **self._step_config()}

    def build(self, input_shape: Any) -> None:
        """Record one step's input shape (batch, features), as Keras' cell build does; the
        weights are made by the RNN layer running the cell.

        Args:
            input_shape: the shape of one step's input.
        """
        self.input_shape = tuple(input_shape)
        self._built_custom = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__}: a cell runs inside keras.layers.RNN(cell) here; calling it "
            "on one step's inputs and states is not supported"
        )

    def _weight(self, name: str) -> Any:
        if self._rnn is None or not self._rnn.built:
            raise AttributeError(
                f"{type(self).__name__} '{self.name}' has no {name} yet: it is made when the RNN "
                "layer running it is built"
            )
        return getattr(self._rnn._layer, name)

    kernel = property(lambda self: self._weight("kernel"), doc="The input kernel Variable.")
    recurrent_kernel = property(
        lambda self: self._weight("recurrent_kernel"), doc="The recurrent kernel Variable."
    )
    bias = property(lambda self: self._weight("bias"), doc="The bias Variable.")

    @property
    def weights(self) -> list:
        """The cell's weights: its RNN layer's (none before that layer is built)."""
        return [] if self._rnn is None else self._rnn.weights

    def _h5_children(self, path: str) -> list:
        return []  # the prototype layer holds no weights

    def _h5_own_variables(self) -> list:
        layer = self._rnn._layer
        return layer._variables(layer.core.params(), layer._param_names, True)


class SimpleRNNCell(_Cell):
    """One step of SimpleRNN, for keras.layers.RNN.

    As keras.layers.SimpleRNNCell; the arguments are SimpleRNN's without the sequence ones
    (return_sequences, go_backwards, ...).

    Args:
        units: the size of the state (a positive int).
        **kwargs: activation, use_bias, the initializers, regularizers and constraints, dropout,
            recurrent_dropout, seed, and Layer's arguments.
    """

    _layer_class = SimpleRNN


class LSTMCell(_Cell):
    """One step of LSTM, for keras.layers.RNN.

    As keras.layers.LSTMCell; the arguments are LSTM's without the sequence ones.

    Args:
        units: the size of the state (a positive int).
        **kwargs: activation, recurrent_activation, use_bias, unit_forget_bias, the
            initializers, regularizers and constraints, dropout, recurrent_dropout, seed, and
            Layer's arguments.
    """

    _layer_class = LSTM


class GRUCell(_Cell):
    """One step of GRU, for keras.layers.RNN.

    As keras.layers.GRUCell; the arguments are GRU's without the sequence ones.

    Args:
        units: the size of the state (a positive int).
        **kwargs: activation, recurrent_activation, use_bias, reset_after, the initializers,
            regularizers and constraints, dropout, recurrent_dropout, seed, and Layer's arguments.
    """

    _layer_class = GRU


class RNN(Wrapping):
    """A recurrent layer over a built-in cell: `RNN(LSTMCell(64))` computes what `LSTM(64)` does.

    As keras.layers.RNN.

    Args:
        cell: a SimpleRNNCell, LSTMCell or GRUCell.
        return_sequences: return every step's output, not only the last.
        return_state: only False.
        go_backwards: run over the sequence from its end.
        stateful: only False.
        unroll: accepted; the steps are always unrolled into one op.
        zero_output_for_mask: kept in the config (no masks reach the layer).
        **kwargs: Layer's arguments (name, input_shape, trainable, dtype).

    Raises:
        NotImplementedError: for a list of cells (stack RNN layers instead), a custom cell, a
            cell already used by another RNN, return_state=True or stateful=True.
    """

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):
            raise NotImplementedError(
                "RNN: a list of cells (StackedRNNCells) is not supported; stack RNN layers "
                "(return_sequences=True on all but the last) instead"
            )
        if not isinstance(cell, _Cell):
            raise NotImplementedError(
                f"RNN over {type(cell).__name__} is not supported: only keras.layers."
                "SimpleRNNCell, LSTMCell and GRUCell (a custom cell would run Python per step)"
            )
        if cell._rnn is not None:
            raise NotImplementedError(f"RNN: cell '{cell.name}' already belongs to another RNN")
        super().__init__(**kwargs)
        sequence = {
            "return_sequences": return_sequences,
            "return_state": return_state,
            "go_backwards": go_backwards,
            "stateful": stateful,
            "unroll": unroll,
            "zero_output_for_mask": zero_output_for_mask,
        }
        layer_class = cell._layer_class
        self._layer = layer_class.from_config(
            {**cell._step_config(), **sequence, "name": self.name}
        )
        for key, value in sequence.items():
            setattr(self, key, getattr(self._layer, key, value))
        self.cell = cell
        cell._rnn = cell._h5_owner = self
        self._adopt()

    def _parts(self) -> list:
        return [("layer", self._layer)]

    def _h5_children(self, path: str) -> list:
        return [(f"{path}/cell", self.cell)]

    def _make_core(self, input_shape: tuple) -> Any:
        self._layer.build(input_shape)
        self.cell.build((input_shape[0], input_shape[-1]))
        return self._layer.core

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return self._layer.compute_output_shape(input_shape)

    _nested = ("cell",)

    def get_config(self) -> dict:
        keys = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")
        return {
            **super().get_config(),
            **{k: getattr(self, k) for k in keys},
            "zero_output_for_mask": self.zero_output_for_mask,
            **self._nested_config(),
        }
