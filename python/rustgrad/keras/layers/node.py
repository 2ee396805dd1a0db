"""Symbolic tracing: a KerasTensor is a shape and the Node (one call of a layer) that made it."""

from __future__ import annotations

import operator
from typing import Any

from rustgrad import _symbolic
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

    def _merge(self, other: Any, kind: str, op: Any) -> KerasTensor:
        # Two tensors of one shape: the built-in merge layer (the graph engine runs it); anything
        # else (a number, an array, shapes that broadcast) an op layer (layers/symbolic_ops.py).
        from rustgrad.keras.layers import merge

        if isinstance(other, KerasTensor) and other.shape == self.shape:
            return getattr(merge, kind)()([self, other])
        return self._op(op, other)

    def _op(self, op: Any, *others: Any, name: str | None = None) -> Any:
        from rustgrad.keras.layers.symbolic_ops import op_layer

        return op_layer(op, (self, *others), {}, name or op.__name__.strip("_"))

    def __add__(self, other: Any) -> KerasTensor:
        return self._merge(other, "Add", operator.add)

    def __sub__(self, other: Any) -> KerasTensor:
        return self._merge(other, "Subtract", operator.sub)

    def __mul__(self, other: Any) -> KerasTensor:
        return self._merge(other, "Multiply", operator.mul)

    def __radd__(self, other: Any) -> KerasTensor:
        return self._op(_swapped(operator.add), other, name="add")

    def __rsub__(self, other: Any) -> KerasTensor:
        return self._op(_swapped(operator.sub), other, name="subtract")

    def __rmul__(self, other: Any) -> KerasTensor:
        return self._op(_swapped(operator.mul), other, name="multiply")

    def __truediv__(self, other: Any) -> KerasTensor:
        return self._op(operator.truediv, other)

    def __rtruediv__(self, other: Any) -> KerasTensor:
        return self._op(_swapped(operator.truediv), other, name="divide")

    def __pow__(self, other: Any) -> KerasTensor:
        return self._op(operator.pow, other)

    def __matmul__(self, other: Any) -> KerasTensor:
        return self._op(operator.matmul, other)

    def __rmatmul__(self, other: Any) -> KerasTensor:
        return self._op(_swapped(operator.matmul), other, name="matmul")

    def __neg__(self) -> KerasTensor:
        return self._op(operator.neg)

    def __abs__(self) -> KerasTensor:
        return self._op(operator.abs)

    def __getitem__(self, key: Any) -> KerasTensor:
        return self._op(operator.getitem, key, name="slice")

    def __iter__(self) -> Any:
        # Without this, __getitem__ would make `for t in x` index (and add layers) for ever.
        raise TypeError(f"{self!r} is symbolic: it cannot be iterated (index it instead)")

    def __lt__(self, other: Any) -> KerasTensor:
        return self._op(operator.lt, other, name="less")

    def __le__(self, other: Any) -> KerasTensor:
        return self._op(operator.le, other, name="less_equal")

    def __gt__(self, other: Any) -> KerasTensor:
        return self._op(operator.gt, other, name="greater")

    def __ge__(self, other: Any) -> KerasTensor:
        return self._op(operator.ge, other, name="greater_equal")

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise _symbolic.SymbolicValue(
            f"{self!r} is symbolic (it holds no values): build a keras.Model from it and call "
            "predict on data instead of converting it to a NumPy array"
        )

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


def _swapped(op: Any) -> Any:
    """op with its two arguments swapped (for `2 * x`, where the KerasTensor comes second)."""

    def swapped(a: Any, b: Any) -> Any:
        return op(b, a)

    swapped.__name__ = op.__name__
    return swapped


_symbolic.register(KerasTensor)


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
