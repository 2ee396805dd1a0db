"""Keras' merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate) and their
functional forms (add, concatenate, ...): one output from a list of inputs, computed in Rust."""

from __future__ import annotations

from typing import Any

from rustgrad import _core
from rustgrad.keras.layers.base import Layer

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Maximum",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]


def _same(a: Any, b: Any) -> bool:
    return a is None or b is None or a == b


class _Merge(Layer):
    """Elementwise merge of inputs of one shape (an unknown axis, None, matches any size)."""

    _multi_input = True
    _kind = ""

    def build(self, input_shape: Any) -> tuple:
        shapes = self._shapes(input_shape)
        self.output_shape = self.compute_output_shape(shapes)
        self.input_shape = tuple(shapes)
        self.core = self._make_core(self.input_shape)
        return self.output_shape

    def _shapes(self, input_shape: Any) -> list[tuple]:
        if not isinstance(input_shape, (list, tuple)) or not all(
            isinstance(s, (list, tuple)) for s in input_shape
        ):
            raise ValueError(
                f"A merge layer ('{self.name}', {type(self).__name__}) should be called on a list "
                f"of inputs. Received: input_shape={input_shape}"
            )
        shapes = [tuple(s) for s in input_shape]
        if len(shapes) < 2:
            raise ValueError(
                f"A merge layer ('{self.name}', {type(self).__name__}) should be called on a list "
                f"of at least 2 inputs. Got {len(shapes)} inputs."
            )
        return shapes

    def _make_core(self, input_shape: tuple) -> Any:
        return _core.Layer.merge(self._kind)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._shapes(input_shape)
        first = shapes[0]
        for other in shapes[1:]:
            if len(other) != len(first) or not all(map(_same, first, other)):
                raise ValueError(
                    f"Inputs of layer '{self.name}' ({type(self).__name__}) have incompatible "
                    f"shapes. Received shapes {first} and {other}"
                )
        return tuple(next((d for d in dims if d is not None), None) for dims in zip(*shapes))


class Add(_Merge):
    """Sum of the inputs."""

    _kind = "add"


class Subtract(_Merge):
    """inputs[0] - inputs[1] (exactly two inputs)."""

    _kind = "subtract"

    def _shapes(self, input_shape: Any) -> list[tuple]:
        shapes = super()._shapes(input_shape)
        if len(shapes) != 2:
            raise ValueError(
                f"A Subtract layer ('{self.name}') should be called on exactly 2 inputs. "
                f"Received: {len(shapes)} inputs"
            )
        return shapes


class Multiply(_Merge):
    """Elementwise product of the inputs."""

    _kind = "multiply"


class Average(_Merge):
    """Elementwise mean of the inputs."""

    _kind = "average"


class Maximum(_Merge):
    """Elementwise maximum of the inputs."""

    _kind = "maximum"


class Minimum(_Merge):
    """Elementwise minimum of the inputs."""

    _kind = "minimum"


class Concatenate(_Merge):
    """The inputs joined along `axis` (the batch axis counts: -1 is the last feature axis).

    As keras.layers.Concatenate.

    Args:
        axis: the axis to join along (the batch axis counts).
        **kwargs: Layer's arguments (name, trainable, dtype).
    """

    _kind = "concatenate"

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}

    def _axis(self, rank: int) -> int:
        axis = self.axis + rank if self.axis < 0 else self.axis
        if not 0 < axis < rank:
            raise ValueError(
                f"Concatenate layer '{self.name}': axis {self.axis} is out of range for inputs "
                f"of rank {rank} (axis 0 is the batch axis)"
            )
        return axis

    def _make_core(self, input_shape: tuple) -> Any:
        rank = len(input_shape[0])
        return _core.Layer.merge(self._kind, axis=self._axis(rank) - rank)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._shapes(input_shape)
        rank = len(shapes[0])
        axis = self._axis(rank)
        for other in shapes[1:]:
            if len(other) != rank or not all(
                _same(a, b) for i, (a, b) in enumerate(zip(shapes[0], other)) if i != axis
            ):
                raise ValueError(
                    f"A Concatenate layer ('{self.name}') requires inputs with matching shapes "
                    f"except for the concatenation axis {self.axis}. Received: input_shape="
                    f"{shapes}"
                )
        sizes = [s[axis] for s in shapes]
        out = [next((d for d in dims if d is not None), None) for dims in zip(*shapes)]
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)


def add(inputs: Any, **kwargs: Any) -> Any:
    """Add()(inputs): the elementwise sum, as keras.layers.add.

    Args:
        inputs: a list of tensors (KerasTensors or data) of compatible shapes.
        **kwargs: the layer's arguments (name, ...).

    Returns:
        The merged tensor.

    Raises:
        ValueError: when the shapes cannot be merged.
    """
    return Add(**kwargs)(inputs)


def subtract(inputs: Any, **kwargs: Any) -> Any:
    """Subtract()(inputs): inputs[0] - inputs[1], as keras.layers.subtract.

    Args:
        inputs: a list of tensors (KerasTensors or data) of compatible shapes.
        **kwargs: the layer's arguments (name, ...).

    Returns:
        The merged tensor.

    Raises:
        ValueError: when the shapes cannot be merged.
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Any, **kwargs: Any) -> Any:
    """Multiply()(inputs): the elementwise product, as keras.layers.multiply.

    Args:
        inputs: a list of tensors (KerasTensors or data) of compatible shapes.
        **kwargs: the layer's arguments (name, ...).

    Returns:
        The merged tensor.

    Raises:
        ValueError: when the shapes cannot be merged.
    """
    return Multiply(**kwargs)(inputs)


def average(inputs: Any, **kwargs: Any) -> Any:
    """Average()(inputs): the elementwise mean, as keras.layers.average.

    Args:
        inputs: a list of tensors (KerasTensors or data) of compatible shapes.
        **kwargs: the layer's arguments (name, ...).

    Returns:
        The merged tensor.

    Raises:
        ValueError: when the shapes cannot be merged.
    """
    return Average(**kwargs)(inputs)


def maximum(inputs: Any, **kwargs: Any) -> Any:
    """Maximum()(inputs): the elementwise maximum, as keras.layers.maximum.

    Args:
        inputs: a list of tensors (KerasTensors or data) of compatible shapes.
        **kwargs: the layer's arguments (name, ...).

    Returns:
        The merged tensor.

    Raises:
        ValueError: when the shapes cannot be merged.
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Any, **kwargs: Any) -> Any:
    """Minimum()(inputs): the elementwise minimum, as keras.layers.minimum.

    Args:
        inputs: a list of tensors (KerasTensors or data) of compatible shapes.
        **kwargs: the layer's arguments (name, ...).

    Returns:
        The merged tensor.

    Raises:
        ValueError: when the shapes cannot be merged.
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Any, axis: int = -1, **kwargs: Any) -> Any:
    """Concatenate(axis)(inputs), as keras.layers.concatenate.

    Args:
        inputs: a list of tensors (KerasTensors or data) of compatible shapes.
        axis: the axis to join along (the batch axis counts).
        **kwargs: the layer's arguments (name, ...).

    Returns:
        The merged tensor.

    Raises:
        ValueError: when the shapes cannot be merged.
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
