"""tf.Module (variables and submodules found by walking attributes), tf.name_scope and
tf.TensorSpec: what the "Introduction to modules" guide and `input_signature` use."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from rustgrad._core import Variable
from rustgrad.tf_dtypes import convert_to_tensor, dtype_name, float32

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_name(name: Any) -> str:
    # TF's rule for module names: a Python identifier.
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError(f"Module: {name!r} is not a valid module name (a Python identifier)")
    return name


@contextlib.contextmanager
def name_scope(name: str) -> Iterator[str]:
    """TF's name scope: rustgrad's ops have no names, so the block only runs inside it; the name is
    yielded with a trailing '/', as TF's scope string.

    Args:
        name: the scope's name.

    Raises:
        TypeError: when name is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"name_scope: the name must be a string, got {type(name).__name__}")
    yield name + "/"


def _snake(name: str) -> str:
    # A word starts at a capital after a lower-case letter or digit, or at the last capital of a
    # run followed by lower case: CNNModel -> cnn_model, as TF names modules.
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class Module:
    """tf.Module: a container whose `variables`, `trainable_variables` and `submodules` are found in
    its attributes (also inside lists, tuples and dicts), in attribute-name order as in TF. Keras
    layers held as attributes count with their weights.

    Args:
        name: the module's name; the class name in snake_case unless given.

    Raises:
        ValueError: for a name that is not a Python identifier (TF's rule).
    """

    def __init__(self, name: str | None = None):
        self._name = _check_name(_snake(type(self).__name__) if name is None else name)

    @property
    def name(self) -> str:
        """The module's name (given, or the class name in snake_case)."""
        return self._name

    @property
    def name_scope(self) -> Any:
        """A name scope named after the module (see `name_scope`)."""
        return name_scope(self._name)

    def _flatten(self, module_leaves: bool, seen: set) -> Iterator[Any]:
        # TF's order: this module's own leaves by attribute name, then each submodule met (a
        # Module, or a Keras layer with its weights) in turn, depth first.
        subs = []
        for key in sorted(self.__dict__):
            for leaf in _leaves(self.__dict__[key]):
                if id(leaf) in seen:
                    continue
                seen.add(id(leaf))
                if isinstance(leaf, Variable):
                    if not module_leaves:
                        yield leaf
                    continue
                if module_leaves and isinstance(leaf, Module):
                    yield leaf
                subs.append(leaf)
        for sub in subs:
            if isinstance(sub, Module):
                yield from sub._flatten(module_leaves, seen)
            elif not module_leaves:
                for w in _layer_weights(sub):
                    if id(w) not in seen:
                        seen.add(id(w))
                        yield w

    @property
    def submodules(self) -> tuple:
        """Every Module inside this one, in TF's order (see `variables`)."""
        return tuple(self._flatten(True, {id(self)}))

    @property
    def variables(self) -> tuple:
        """Every Variable of this module and its submodules (and of Keras layers they hold): the
        module's own by attribute name, then each submodule's in turn, as TF orders them."""
        return tuple(self._flatten(False, {id(self)}))

    @property
    def trainable_variables(self) -> tuple:
        """The variables with trainable=True."""
        return tuple(v for v in self.variables if getattr(v, "trainable", True))

    @property
    def non_trainable_variables(self) -> tuple:
        """The variables with trainable=False."""
        return tuple(v for v in self.variables if not getattr(v, "trainable", True))

    @classmethod
    def with_name_scope(cls, method: Callable) -> Callable:
        """Decorate a method so that it runs inside the module's name scope."""

        @functools.wraps(method)
        def scoped(self: Module, *args: Any, **kwargs: Any) -> Any:
            with self.name_scope:
                return method(self, *args, **kwargs)

        return scoped

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} name={self._name!r}>"


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, dict):
        for k in sorted(value, key=str):
            yield from _leaves(value[k])
    elif isinstance(value, (Variable, Module)) or _layer_weights(value):
        yield value


def _layer_weights(value: Any) -> list:
    """A Keras layer's or model's weights (Variables), else []."""
    if isinstance(value, (Variable, Module, type)):
        return []
    try:
        weights = value.weights if hasattr(type(value), "weights") else None
    except (AttributeError, ValueError):  # an unbuilt model
        return []
    return [w for w in weights or [] if isinstance(w, Variable)]


class TensorSpec:
    """The shape and dtype a function expects (tf.TensorSpec), for `input_signature` and
    `Dataset.element_spec`; None in the shape is any size.

    Args:
        shape: a sequence of ints and None, or None for any shape.
        dtype: float32 or an integer or bool dtype.
        name: an optional name.

    Raises:
        TypeError: for a dtype rustgrad does not have.
    """

    def __init__(self, shape: Any, dtype: Any = float32, name: str | None = None):
        self.shape = None if shape is None else tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype_name(dtype, "TensorSpec") or float32
        self.name = name

    def is_compatible_with(self, other: Any) -> bool:
        """Whether a tensor (or spec) fits: same rank and equal sizes where both are known.

        Args:
            other: a Tensor, anything convert_to_tensor accepts, or a TensorSpec.

        Returns:
            bool: the answer.
        """
        theirs = (
            other.shape if isinstance(other, TensorSpec) else tuple(convert_to_tensor(other).shape)
        )
        if self.shape is None or theirs is None:
            return True
        return len(theirs) == len(self.shape) and all(
            a is None or b is None or a == b for a, b in zip(self.shape, theirs)
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TensorSpec):
            return NotImplemented
        return (self.shape, self.dtype, self.name) == (other.shape, other.dtype, other.name)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.name))

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self.shape}, dtype=tf.{self.dtype}, name={self.name!r})"
