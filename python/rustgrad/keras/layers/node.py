"""Symbolic tracing: a KerasTensor is a shape and the Node (one call of a layer) that made it."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.layers.naming import auto_name

__all__ = ["KerasTensor", "Node", "flatten_tensors", "is_symbolic"]


class KerasTensor:
    """What `keras.Input` and a layer called on one return: a shape (batch axis None), a dtype and
    a name, but no data. The node that made it says which layer was called on which tensors.

    Args:
        shape: the shape, None for unknown axes (the batch axis).
        dtype: the dtype name; rustgrad computes in float32.
        name: the tensor's name ("keras_tensor_<n>" when None).
    """

    def __init__(self, shape: Any, dtype: str = "float32", name: str | None = None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name or auto_name("keras_tensor")
        self.node: Node | None = None  # set by the Node that outputs this tensor
        self.index = 0  # position among that node's outputs

    @property
    def ndim(self) -> int:
        """The number of axes, batch axis included."""
        return len(self.shape)

    def _merge(self, other: Any, kind: str) -> KerasTensor:
        from rustgrad.keras.layers import merge

        if not isinstance(other, KerasTensor):
            return NotImplemented
        return getattr(merge, kind)()([self, other])

    def __add__(self, other: Any) -> KerasTensor:
        return self._merge(other, "Add")

    def __sub__(self, other: Any) -> KerasTensor:
        return self._merge(other, "Subtract")

    def __mul__(self, other: Any) -> KerasTensor:
        return self._merge(other, "Multiply")

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"{self!r} is symbolic (it holds no values): build a keras.Model from it and call "
            "predict on data instead of converting it to a NumPy array"
        )

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One call of `layer` on symbolic `inputs`, producing `outputs`; kept in layer.inbound_nodes."""

    def __init__(self, layer: Any, inputs: list[KerasTensor], outputs: list[KerasTensor]):
        self.layer = layer
        self.input_tensors = list(inputs)
        self.output_tensors = list(outputs)
        for i, t in enumerate(self.output_tensors):
            t.node, t.index = self, i
        layer._inbound_nodes.append(self)

    @property
    def is_input(self) -> bool:
        return not self.input_tensors and getattr(self.layer, "is_input_layer", False)

    def __repr__(self) -> str:
        ins = [t.name for t in self.input_tensors]
        return f"<Node {self.layer.name}({', '.join(ins)})>"


def flatten_tensors(x: Any) -> list:
    """The leaves of a tensor, a list/tuple of them or a dict of them (dict in insertion order)."""
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in flatten_tensors(v)]
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in flatten_tensors(v)]
    return [x]


def is_symbolic(x: Any) -> bool:
    """Whether `x` (a tensor or a structure of them) holds KerasTensors, i.e. is being traced."""
    leaves = flatten_tensors(x)
    symbolic = [isinstance(t, KerasTensor) for t in leaves]
    if any(symbolic) and not all(symbolic):
        raise TypeError(
            "a layer was called on a mix of symbolic tensors (from keras.Input) and data; "
            f"got {[type(t).__name__ for t in leaves]}"
        )
    return bool(symbolic) and all(symbolic)
