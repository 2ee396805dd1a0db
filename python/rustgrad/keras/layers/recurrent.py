"""Keras' recurrent layers SimpleRNN, LSTM and GRU, thin Python halves of one Rust layer
(src/layers/recurrent.rs): (batch, timesteps, features) -> the last output (batch, units), or
every step's (batch, timesteps, units) with return_sequences. As in Keras 3 the weights live
on the layer's `cell` (`lstm/cell/vars/0..2` in a weights file)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras.layers.base import Layer
from rustgrad.keras.layers.core import resolve_activation
from rustgrad.keras.layers.rnn_cell import RNNCellWeights
from rustgrad.keras.layers.variables import named_weight
from rustgrad.keras.layers.weight_options import WeightOptions

__all__ = ["GRU", "LSTM", "SimpleRNN"]

# Keras' option stems: recurrent_initializer / _regularizer / _constraint are the recurrent kernel's.
_WEIGHTS = (("kernel", "glorot_uniform"), ("recurrent", "orthogonal"), ("bias", "zeros"))


def _rate(value: Any, what: str, layer: str) -> float:
    rate = float(value)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"{layer}: {what} must be in [0, 1), got {value!r}")
    return rate


class _Recurrent(Layer):
    """What SimpleRNN, LSTM and GRU share; `_cell` names the Rust cell."""

    _cell = ""
    _weight_spec = _WEIGHTS
    _param_names = ("kernel", "recurrent_kernel", "bias")
    kernel = named_weight("kernel")
    recurrent_kernel = named_weight("recurrent_kernel")
    bias = named_weight("bias")

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        seed: int | None = None,
        **kwargs,
    ):
        name = self._cell
        self._weight_options = WeightOptions(name, kwargs, weights=_WEIGHTS)
        self.use_cudnn = kwargs.pop("use_cudnn", "auto")
        if self.use_cudnn is True:
            raise NotImplementedError(f"{name}: use_cudnn=True needs a GPU; rustgrad runs on CPU")
        kwargs.pop("implementation", None)  # tf.keras' choice of kernel; the values are the same
        if kwargs.pop("time_major", False):
            raise NotImplementedError(f"{name}: time_major=True is not supported")
        self.zero_output_for_mask = bool(kwargs.pop("zero_output_for_mask", False))
        if return_state:
            raise NotImplementedError(f"{name}: return_state=True is not supported yet")
        if stateful:
            raise NotImplementedError(f"{name}: stateful=True is not supported")
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"{name}: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = resolve_activation(activation)
        self.use_bias = bool(use_bias)
        self.dropout = _rate(dropout, "dropout", name)
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", name)
        self.return_sequences = bool(return_sequences)
        self.return_state = False
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        # The steps are always unrolled into the autograd graph, so unroll changes nothing.
        self.unroll = bool(unroll)
        self._seed_arg = seed
        self.seed = int(np.random.randint(0, 2**31 - 1)) if seed is None else int(seed)
        self.cell = RNNCellWeights(self)

    def _cell_options(self) -> dict:
        """The cell's own arguments (recurrent_activation, unit_forget_bias, reset_after): given
        to the core and written to the config under the same keys."""
        return {}

    def _features(self, input_shape: tuple) -> int:
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{self._cell} '{self.name}' expects inputs of shape (batch, timesteps, features) "
                f"with the features known, got {input_shape}"
            )
        return int(input_shape[-1])

    def _make_core(self, input_shape: tuple) -> Any:
        opts = self._cell_options()
        core = _core.Layer.recurrent(
            self._cell,
            self._features(input_shape),
            self.units,
            self.activation,
            opts.pop("recurrent_activation", "linear"),
            self.use_bias,
            self.return_sequences,
            self.go_backwards,
            self.dropout,
            self.recurrent_dropout,
            self.seed,
            **opts,
        )
        names = ("kernel", "recurrent", "bias")[: len(core.params())]
        core = self._weight_options.apply(core, names)
        self._forget_bias(core)
        return core

    def _forget_bias(self, core: Any) -> None:
        """LSTM's unit_forget_bias over a bias_initializer of the user's (see LSTM)."""

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._features(input_shape)
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.units)
        return (input_shape[0], self.units)

    def _h5_children(self, path: str) -> list:
        return [(f"{path}/cell", self.cell)]

    def get_config(self) -> dict:
        wo = self._weight_options.config()
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "units": self.units,
            "activation": self.activation,
            **self._cell_options(),
            "use_bias": self.use_bias,
            **wo,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self._seed_arg,
        }


class SimpleRNN(_Recurrent):
    """h_t = activation(x_t @ kernel + h_(t-1) @ recurrent_kernel + bias), h_0 = 0.

    As keras.layers.SimpleRNN.

    Args:
        units: the size of the state and of the output (a positive int).
        activation: an activation name or function ("tanh" by default; None is linear).
        use_bias: whether to add a bias.
        dropout: the fraction of the inputs dropped in training (one mask per sequence).
        recurrent_dropout: the fraction of the state dropped before its product in training.
        return_sequences: return every step's output, not only the last.
        return_state: only False.
        go_backwards: run over the sequence from its end (the outputs come in that order).
        stateful: only False.
        unroll: accepted; the steps are always unrolled into the autograd graph.
        seed: an int for repeatable dropout masks.
        **kwargs: ``kernel_``, ``recurrent_`` and ``bias_`` initializer, regularizer (l1/l2) and
            constraint, activity_regularizer, and Layer's arguments.

    Raises:
        ValueError: for units <= 0, a rate outside [0, 1) or an unknown activation.
        NotImplementedError: for return_state=True, stateful=True or time_major=True.
    """

    _cell = "SimpleRNN"

    def get_config(self) -> dict:
        config = super().get_config()
        del config["seed"]  # Keras 3's SimpleRNN config has none (the argument is taken)
        return config


class _Gated(_Recurrent):
    """LSTM and GRU: a recurrent layer whose gates have their own activation."""

    def __init__(
        self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid", **kwargs
    ):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = resolve_activation(recurrent_activation)

    def _cell_options(self) -> dict:
        return {"recurrent_activation": self.recurrent_activation}


class LSTM(_Gated):
    """Long short-term memory, Keras 3's gates i, f, c, o: c_t = f*c_(t-1) + i*activation(z_c),
    h_t = o*activation(c_t), the gates through `recurrent_activation`.

    As keras.layers.LSTM. The arguments are SimpleRNN's and:

    Args:
        units: the size of the state and of the output (a positive int).
        activation: the candidate's and the cell output's activation ("tanh").
        recurrent_activation: the gates' activation ("sigmoid").
        unit_forget_bias: start the forget gate's bias at 1 (Jozefowicz et al.), as Keras.
        **kwargs: SimpleRNN's other arguments.

    Raises:
        ValueError: for units <= 0, a rate outside [0, 1) or an unknown activation.
        NotImplementedError: for return_state=True, stateful=True or time_major=True.
    """

    _cell = "LSTM"

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        unit_forget_bias: bool = True,
        **kwargs,
    ):
        super().__init__(units, activation, recurrent_activation, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _cell_options(self) -> dict:
        return {**super()._cell_options(), "unit_forget_bias": self.unit_forget_bias}

    def _forget_bias(self, core: Any) -> None:
        # Keras builds the bias as bias_initializer(units), ones(units), bias_initializer(2 units);
        # the core does so itself for the default initializer.
        if (
            self.use_bias
            and self.unit_forget_bias
            and self._weight_options.inits["bias_initializer"]
        ):
            core.params()[2].numpy()[self.units : 2 * self.units] = 1.0


class GRU(_Gated):
    """Gated recurrent unit, Keras 3's gates z, r, h: h_t = z*h_(t-1) + (1 - z)*candidate. With
    reset_after (the default, as Keras 3) r multiplies the recurrent product and the bias is
    (2, 3 units); without it r multiplies the state before its product.

    As keras.layers.GRU. The arguments are SimpleRNN's and:

    Args:
        units: the size of the state and of the output (a positive int).
        activation: the candidate's activation ("tanh").
        recurrent_activation: the gates' activation ("sigmoid").
        reset_after: where the reset gate applies (see above).
        **kwargs: SimpleRNN's other arguments.

    Raises:
        ValueError: for units <= 0, a rate outside [0, 1) or an unknown activation.
        NotImplementedError: for return_state=True, stateful=True or time_major=True.
    """

    _cell = "GRU"

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        reset_after: bool = True,
        **kwargs,
    ):
        super().__init__(units, activation, recurrent_activation, **kwargs)
        self.reset_after = bool(reset_after)

    def _cell_options(self) -> dict:
        return {**super()._cell_options(), "reset_after": self.reset_after}
