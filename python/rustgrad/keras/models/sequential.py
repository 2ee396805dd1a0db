"""Sequential: layers applied in order, the chain case of a functional model; built (traced from an
Input) as soon as the input shape is known, from the first data otherwise."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.layers.base import InputLayer, Layer
from rustgrad.keras.layers.naming import auto_name
from rustgrad.keras.layers.node import KerasTensor
from rustgrad.keras.models.functional import Functional
from rustgrad.keras.models.model import Model

__all__ = ["Sequential"]


def _declared_input_shape(layer: Layer) -> tuple | None:
    """The per-sample input shape a first layer declares (input_shape=..., or a built model's)."""
    if isinstance(layer, Functional) and layer.built and len(layer.inputs) == 1:
        return tuple(layer.inputs[0].shape[1:])
    return layer.input_shape_arg


class Sequential(Functional):
    """Layers applied in order; `Sequential([Dense(...), ...])` or `.add(layer)`, as in Keras.

    The model builds as soon as its input shape is known (from keras.Input, the first layer's
    `input_shape=`, build() or the first data fit/predict see).

    Args:
        layers: the layers to add, in order (a keras.Input first is allowed).
        name: the model's name ("sequential", "sequential_1", ... when None).
        trainable: whether fit updates the weights.

    Raises:
        ValueError: as `add` does for a layer in `layers`.
        TypeError: when an element of `layers` is not a Layer.
    """

    def __init__(self, layers: Any = None, name: str | None = None, trainable: bool = True):
        Model.__init__(self, name=name or auto_name("sequential"), trainable=trainable)
        self._seq: list[Layer] = []
        self._input_shape: tuple | None = None  # per sample, without the batch axis
        self._input_tensor: KerasTensor | None = None  # from an Input, or made at build
        self._own_nodes: list = []  # the nodes this model's trace added to its layers
        self._inputs = self._outputs = self._nodes = self._layers = []
        self._input_keys = self._output_keys = None
        for layer in layers or []:
            self.add(layer)

    # ---- structure -------------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        return list(self._seq)

    def add(self, layer: Any) -> None:
        """Append a layer (or a keras.Input, first only), and build when the input shape is known.

        Args:
            layer: a Layer, or the KerasTensor of keras.Input as the first entry.

        Raises:
            ValueError: when an Input comes after layers, or the layer (or its name) is already in
                the model.
            TypeError: when `layer` is not a Layer.
        """
        if isinstance(layer, KerasTensor) and layer.node is not None and layer.node.is_input:
            layer = layer.node.layer  # Sequential([keras.Input(shape), ...])
        if isinstance(layer, InputLayer):
            if self._seq:
                raise ValueError("Input must be the first layer of a Sequential model")
            self._input_shape = tuple(layer.input_shape[1:])
            self._input_tensor = layer.output
        elif isinstance(layer, Layer):
            if any(layer is existing for existing in self._seq):
                raise ValueError(f"layer '{layer.name}' is already in model '{self.name}'")
            if any(layer.name == existing.name for existing in self._seq):
                raise ValueError(
                    "All layers added to a Sequential model should have unique names. Name "
                    f'"{layer.name}" is already the name of a layer in this model. Update the '
                    "`name` argument to pass a unique name."
                )
            if not self._seq and self._input_shape is None:
                self._input_shape = _declared_input_shape(layer)
            self._seq.append(layer)
        else:
            raise TypeError(f"Sequential.add expects a keras Layer, got {layer!r}")
        self._reset()
        if self._input_shape is not None:  # Keras builds as soon as the input shape is known
            self.build()

    def pop(self) -> Layer:
        """Remove the last layer, as keras.Sequential.pop.

        Returns:
            Layer: the removed layer.

        Raises:
            TypeError: when the model has no layers (as Keras).
        """
        if not self._seq:
            raise TypeError("There are no layers in the model.")
        layer = self._seq.pop()
        self._reset()
        if self._input_shape is not None and self._seq:
            self.build()
        return layer

    def _reset(self) -> None:
        """Forget the traced graph (and the nodes it added to the layers) and the core model."""
        for node in self._own_nodes:
            node.layer._inbound_nodes.remove(node)
        self._own_nodes = []
        self._inputs = self._outputs = self._nodes = self._layers = []
        with self._build_lock:
            self._core, self._core_compiled = None, False

    def build(self, input_shape: Any = None) -> None:
        """Trace the layers from an Input of `input_shape` (with the batch axis) and build them.

        Args:
            input_shape: the input shape with the batch axis first; None uses the shape already
                known.

        Raises:
            ValueError: when no input shape is known, or a layer does not fit the shape.
        """
        if input_shape is not None:
            self._input_shape = tuple(int(d) for d in tuple(input_shape)[1:])
        if self._input_shape is None:
            raise ValueError(
                f"model '{self.name}' does not know its input shape yet: give the first layer "
                "input_shape=..., start with Input(shape=...), or call fit/predict with data"
            )
        self._reset()
        t = self._input_tensor
        if t is None or tuple(t.shape[1:]) != self._input_shape:
            name = f"{self._seq[0].name}_input" if self._seq else f"{self.name}_input"
            t = self._input_tensor = InputLayer(shape=self._input_shape, name=name).output
        x = t
        try:
            for layer in self._seq:
                x = layer(x)
                self._own_nodes.append(x.node)
        except BaseException:
            self._reset()
            raise
        self._set_graph(t, x)

    def _ensure_built(self, data_shape: tuple) -> None:
        if not self._outputs:
            if self._input_shape is None:
                self._input_shape = tuple(data_shape[1:])
            self.build()

    def _call_symbolic(self, x: Any) -> Any:
        if not self.built and isinstance(x, KerasTensor):
            self._ensure_built(x.shape)
        return super()._call_symbolic(x)

    def _call_data(self, x: Any, training: bool) -> Any:
        self._ensure_built((None, *_shape_of(x)[1:]))
        if any(la.activity_regularizer is not None for la in self._flat_layers()):
            return super()._call_data(x, training)  # node by node: layers keep their losses
        return self._engine().forward(x, training=training)

    # ---- shapes ----------------------------------------------------------------------------
    @property
    def inputs(self) -> list[KerasTensor]:
        if not self._inputs:
            raise AttributeError(f"Sequential model '{self.name}' has no defined inputs yet.")
        return list(self._inputs)

    @property
    def outputs(self) -> list[KerasTensor]:
        if not self._outputs:
            raise AttributeError(f"Sequential model '{self.name}' has no defined outputs yet.")
        return list(self._outputs)

    @property
    def output_names(self) -> list[str]:
        if self.built:
            return super().output_names
        return [self._seq[-1].name if self._seq else self.name]

    @property
    def input_shape(self) -> tuple:
        if self._input_shape is None:
            raise AttributeError(f"model '{self.name}' has no defined input shape yet")
        return (None, *self._input_shape)

    @property
    def output_shape(self) -> tuple:
        if not self.built:
            raise AttributeError(f"model '{self.name}' is not built yet")
        return self._outputs[0].shape

    def __repr__(self) -> str:
        return f"<Sequential name={self.name!r}, {len(self._seq)} layers>"


def _shape_of(x: Any) -> tuple:
    import numpy as np

    return np.shape(x.numpy() if hasattr(x, "numpy") else x)
