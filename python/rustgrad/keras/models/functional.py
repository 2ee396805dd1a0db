"""Functional models: `keras.Model(inputs, outputs)` over traced KerasTensors, run by the core as one
graph of Rust layers; usable as a layer inside another model (its graph is inlined there)."""

from __future__ import annotations

from typing import Any

from rustgrad import _core
from rustgrad.keras.eager import _as_tensor
from rustgrad.keras.layers.base import Layer, _compatible
from rustgrad.keras.layers.naming import auto_name
from rustgrad.keras.layers.node import KerasTensor, Node
from rustgrad.keras.models import graph as graph_mod
from rustgrad.keras.models import subclassed
from rustgrad.keras.models.model import Model

__all__ = ["Functional"]


def _flat(value: Any, what: str) -> tuple[list, list[str] | None]:
    """(tensors, dict keys or None) from one tensor, a list/tuple, or a dict of tensors."""
    if isinstance(value, dict):
        return list(value.values()), [str(k) for k in value]
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"a functional model needs at least one of its {what}")
        return list(value), None
    return [value], None


class Functional(Model):
    """A model from its inputs (keras.Input tensors) and the outputs computed from them.

    As Keras' functional API: `keras.Model(inputs, outputs)` returns one. A graph of built-in
    layers trains in the Rust engine; one with custom layers runs eagerly.

    Args:
        inputs: a KerasTensor from keras.Input, or a list or dict of them.
        outputs: the KerasTensors computed from `inputs` (one, a list or a dict).
        name: the model's name ("model", "model_1", ... when None).
        trainable: whether fit updates the weights.
        **kwargs: passed on to Model.

    Raises:
        TypeError: when `inputs` or `outputs` is missing.
        ValueError: when an output does not depend on the inputs or an input is not from
            keras.Input.
    """

    def __init__(
        self,
        inputs: Any = None,
        outputs: Any = None,
        name: str | None = None,
        trainable: bool = True,
        **kwargs: Any,
    ):
        if inputs is None or outputs is None:
            raise TypeError("keras.Model needs inputs= and outputs= (KerasTensors)")
        super().__init__(name=name or auto_name("model"), **kwargs)
        self._set_graph(inputs, outputs)
        if not trainable:
            self.trainable = False

    def _set_graph(self, inputs: Any, outputs: Any) -> None:
        """Trace the graph between `inputs` and `outputs` and build the core model that runs it."""
        ins, self._input_keys = _flat(inputs, "inputs")
        outs, self._output_keys = _flat(outputs, "outputs")
        graph_mod.check_inputs(ins)
        nodes, layers = graph_mod.map_graph(ins, outs)
        self._inputs, self._outputs, self._nodes, self._layers = ins, outs, nodes, layers
        self._core, self._core_compiled = None, False

    @property
    def built(self) -> bool:
        return bool(self._outputs)

    def _engine(self) -> Any:
        """The core model running this graph, made at first use (one per traced graph)."""
        with self._build_lock:
            if self._core is None and subclassed.needs_eager(self):
                self._core_layers, self._core_compiled = [], False
                self._core = subclassed.graph_engine(self)
            if self._core is None:
                layers, graph, ins, outs = graph_mod.core_graph(self)
                cores = [layer.core for layer in layers]
                if graph_mod.is_chain(graph, ins, outs):
                    core = _core.Model(cores)  # Sequential's chain, as the core has always run it
                else:
                    core = _core.Model(cores, graph=graph, inputs=ins, outputs=outs)
                self._core_layers, self._core_compiled, self._core = layers, False, core
            return self._core

    # ---- structure -------------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    @property
    def inputs(self) -> list[KerasTensor]:
        """The input KerasTensors, in order."""
        return list(self._inputs)

    @property
    def outputs(self) -> list[KerasTensor]:
        """The output KerasTensors, in order."""
        return list(self._outputs)

    @property
    def input_names(self) -> list[str]:
        return self._input_keys or [t.node.layer.name for t in self._inputs]

    @property
    def output_names(self) -> list[str]:
        return self._output_keys or [t.node.layer.name for t in self._outputs]

    def _pack(self, values: list, keys: list[str] | None) -> Any:
        if keys is not None:
            return dict(zip(keys, values))
        return values[0] if len(values) == 1 else list(values)

    def _pack_outputs(self, values: list) -> Any:
        """One value per output, in the structure the outputs were given in."""
        return self._pack(values, self._output_keys)

    @property
    def input(self) -> Any:
        """The inputs in the structure given (one KerasTensor, a list or a dict)."""
        return self._pack(self._inputs, self._input_keys)

    @property
    def output(self) -> Any:
        """The outputs in the structure given (one KerasTensor, a list or a dict)."""
        return self._pack_outputs(self._outputs)

    @property
    def input_shape(self) -> Any:
        """The input shape with None for the batch axis (a list of them for several inputs)."""
        return self._pack([t.shape for t in self._inputs], None)

    @property
    def output_shape(self) -> Any:
        """The output shape with None for the batch axis (a list of them for several outputs)."""
        return self._pack([t.shape for t in self._outputs], None)

    @property
    def losses(self) -> list:
        """The model's own add_loss terms, then every layer's (nested models opened): the
        activity penalties of the last call and the weight penalties, as Keras' model.losses."""
        return self._own_losses() + [v for la in self._flat_layers() for v in la.losses]

    def _take_losses(self) -> list:
        """`losses`, with the last call's add_loss and activity terms cleared. A functional model
        tracks no attributes, so the layers' terms are taken through its graph's layers."""
        out = self._own_losses()
        self._added_losses, self._activity_losses = [], []
        return out + [v for la in self._flat_layers() for v in la._take_losses()]

    def _output_shapes(self) -> list[tuple]:
        return [t.shape for t in self._outputs]

    def _input_shapes(self) -> list[tuple]:
        return [t.shape for t in self._inputs]

    def _flat_inputs(self, x: Any, what: str) -> list:
        """x (one value, a list in input order, or a dict by input name) as a list in input order."""
        names = self.input_names
        if isinstance(x, dict):
            missing = [n for n in names if n not in x]
            if missing:
                raise ValueError(
                    f"{what} is a dict without the input(s) {missing} of model '{self.name}' "
                    f"(its inputs are {names}; the dict has {list(x)})"
                )
            return [x[n] for n in names]
        if isinstance(x, (list, tuple)) and (len(names) > 1 or len(x) == 1):
            if len(x) != len(names):
                raise ValueError(
                    f"model '{self.name}' has {len(names)} inputs {names} but {what} has "
                    f"{len(x)} entries"
                )
            return list(x)
        if len(names) != 1:
            raise ValueError(
                f"model '{self.name}' has {len(names)} inputs {names}: give {what} as a list "
                "or a dict of arrays"
            )
        return [x]

    # ---- calls -----------------------------------------------------------------------------
    def _call_symbolic(self, x: Any) -> Any:
        """The model as a layer: one node; the outer model inlines this model's graph there."""
        flat = self._flat_inputs(x, "the call's input")
        for t, expected in zip(flat, self._inputs):
            if not _compatible(expected.shape, t.shape):
                raise ValueError(
                    f"Input '{expected.name}' of model '{self.name}' is incompatible with the "
                    f"model: expected shape {expected.shape}, but received input with shape "
                    f"{t.shape}"
                )
        outs = [KerasTensor(t.shape) for t in self._outputs]
        Node(self, flat, outs)
        return self._pack_outputs(outs)

    def _call_data(self, x: Any, training: bool) -> Any:
        flat = self._flat_inputs(x, "the model's input")
        if len(flat) > 1:
            flat = [t if isinstance(t, _core.Tensor) else _core.tensor(t) for t in flat]
        if any(la.activity_regularizer is not None for la in self._flat_layers()):
            # Node by node (built-in layers still in Rust), so that each layer keeps the
            # activity penalty of this call in its `losses`, as Keras' model(x) does.
            engine = subclassed.graph_engine(self)
            out = engine._forward([_as_tensor(v) for v in flat], training)
        else:
            out = self._engine().forward(flat[0] if len(flat) == 1 else flat, training=training)
        return self._pack_outputs(out if isinstance(out, list) else [out])
