"""The Layer base class (weights, trainable, calls on data and on KerasTensors), InputLayer and Input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras import regularizers
from rustgrad.keras.layers import call_context
from rustgrad.keras.layers import config as _config
from rustgrad.keras.layers.dtype_check import check_float_dtype
from rustgrad.keras.layers.naming import auto_name as _auto_name
from rustgrad.keras.layers.naming import snake as _snake
from rustgrad.keras.layers.node import KerasTensor, Node, is_symbolic
from rustgrad.keras.layers.subclassing import CustomLayerMixin
from rustgrad.keras.layers.variables import VariablesMixin
from rustgrad.keras.layers.weight_options import l1l2

__all__ = ["Input", "InputLayer", "KerasTensor", "Layer"]


def _shape_tuple(shape: Any, what: str, unknown: bool = True) -> tuple:
    """A shape of positive ints; None marks an axis of any size (a sequence's time axis in
    `Input((None, 28))`) unless `unknown` is False."""
    if isinstance(shape, (int, np.integer)) or shape is None:
        shape = (shape,)
    try:
        out = tuple(None if d is None and unknown else int(d) for d in shape)
    except TypeError:
        raise ValueError(f"{what} must be a tuple of ints, got {shape!r}") from None
    if any(d is not None and d <= 0 for d in out):
        raise ValueError(f"{what} must hold positive sizes, got {out}")
    return out


def _has_unknown(shape: Any) -> bool:
    """Whether a shape (or a list of shapes) has an unknown (None) axis past the batch axis."""
    if shape and isinstance(shape[0], (list, tuple)):
        return any(_has_unknown(s) for s in shape)
    return any(d is None for d in tuple(shape)[1:])


def _compatible(built: tuple, given: tuple) -> bool:
    """Same rank, and every axis equal or unknown (None) on either side."""
    return len(built) == len(given) and all(
        a is None or b is None or a == b for a, b in zip(built, given)
    )


class Layer(VariablesMixin, CustomLayerMixin):
    """Base class: a name, an optional input shape, and a Rust layer built once shapes are known.

    As keras.layers.Layer. Subclass it and write `call` (and `build` to make weights with
    `add_weight`) for a custom layer; it then runs on the eager engine.

    Args:
        name: the layer's name; a unique snake_case name of the class when None.
        input_shape: the input shape without the batch axis (for a first layer).
        input_dim: shorthand for `input_shape=(input_dim,)`.
        **kwargs: `trainable` (True), `activity_regularizer` (None, or an l1/l2 regularizer for a
            built-in layer; any callable for a custom `call`) and `dtype` (None or a float dtype or
            DTypePolicy: every layer computes in float32; others are refused), and `autocast`
            (a bool, as Keras: it casts inputs to a mixed-precision compute dtype, and with
            float32 throughout there is nothing to cast).

    Raises:
        TypeError: for any other keyword argument.
        ValueError: for a dtype that is not a float one.
    """

    # Layers that take a list of tensors (the merge layers) set this.
    _multi_input = False

    def __init__(
        self, name: str | None = None, input_shape: Any = None, input_dim: Any = None, **kwargs
    ):
        check_float_dtype(kwargs.pop("dtype", None), type(self).__name__)
        if not isinstance(kwargs.pop("autocast", True), bool):
            raise TypeError(f"{type(self).__name__}: autocast must be a bool")
        self._trainable = bool(kwargs.pop("trainable", True))
        # Layers with weight options (Dense, ...) took theirs already; any other layer's here.
        # A built-in layer computes an l1/l2 activity penalty in Rust; a custom `call` takes any
        # callable too (its penalty is computed in Python on the eager engine).
        act = kwargs.pop("activity_regularizer", None)
        custom = self._is_custom()
        self._activity_factors = (
            None if custom else l1l2(type(self).__name__, "activity_regularizer", act)
        )
        self._activity_reg = regularizers.get(act)
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(kwargs)}")
        self.name = name or _auto_name(_snake(type(self).__name__))
        if input_dim is not None:
            input_shape = (input_dim,)
        self.input_shape_arg = (
            None if input_shape is None else _shape_tuple(input_shape, "input_shape")
        )
        self.core: Any = None
        self.input_shape: tuple | None = None
        self.output_shape: tuple | None = None
        self._inbound_nodes: list[Node] = []
        self._built_custom = False
        self._made: list = []  # add_weight's weights (subclassing.Weight)
        self._added_losses: list = []
        self._activity_losses: list = []  # the activity penalty of the last call

    def _is_custom(self) -> bool:
        """Whether the forward pass is Python: the class defines its own `call`."""
        return not getattr(type(self).call, "_builtin", False)

    @property
    def built(self) -> bool:
        """Whether build has run (the weights exist)."""
        return self.core is not None or self._built_custom

    def build(self, input_shape: Any) -> Any:
        """Create the Rust layer for inputs of `input_shape` (batch axis None); return the output shape.

        A custom layer overrides it to create its weights with add_weight.

        Args:
            input_shape: the input shape with the batch axis (None) first.

        Returns:
            The output shape (None for a custom layer that does not override build).

        Raises:
            ValueError: when the shape does not fit the layer's configuration.
        """
        if self._is_custom():  # a subclass without its own build: nothing to create
            self._built_custom = True
            return None
        self.input_shape = tuple(input_shape)
        try:
            self.core = self._make_core(self.input_shape)
            act = self.__dict__.get("_activity_factors")
            if act is not None and "_weight_options" not in self.__dict__:
                self.core = self.core.weighted(activity=act)
            self.output_shape = self.compute_output_shape(self.input_shape)
        except TypeError:
            if not _has_unknown(self.input_shape):
                raise
            self.core = None
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' cannot be built for input shape "
                f"{self.input_shape}: it needs the size of an axis that is unknown (None)"
            ) from None
        return self.output_shape

    def _make_core(self, input_shape: tuple) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} has no call(): a subclass of keras.layers.Layer must define "
            "call(self, inputs) (and build(self, input_shape) to make its weights)"
        )

    def call(self, inputs: Any, training: Any = None) -> Any:
        """The forward pass on Tensors; subclasses write their own (built-in layers run in Rust).

        Args:
            inputs: the input Tensor (a list of them for merge layers).
            training: whether the call is for training (Dropout, BatchNormalization use it).

        Returns:
            The output Tensor.

        Raises:
            NotImplementedError: for a subclass that defines no call.
        """
        if self.core is None:
            self._make_core(None)  # raises, naming the class and the method to write
        return self.core(inputs, training=bool(training))

    call._builtin = True  # type: ignore[attr-defined]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The output shape for an input shape, as keras.layers.Layer.compute_output_shape.

        Args:
            input_shape: the input shape with the batch axis (None) first.

        Returns:
            tuple: the output shape (the input shape for a layer that keeps it).

        Raises:
            ValueError: when the input shape does not fit the layer.
        """
        return tuple(input_shape)

    compute_output_shape._builtin = True  # type: ignore[attr-defined]

    # ---- configs (Keras 3's keys; layers add their own) ---------------------------------------
    def get_config(self) -> dict:
        """The layer's constructor arguments under Keras 3's keys (what a .keras file stores).

        Returns:
            dict: a config that from_config turns back into an equal layer.
        """
        return _config.base_config(self)

    @classmethod
    def from_config(cls, config: dict) -> Any:
        """A layer from get_config's dict (or one Keras wrote).

        Args:
            config: the constructor arguments under Keras 3's keys.

        Returns:
            Layer: the new, unbuilt layer.

        Raises:
            TypeError: when the config has an argument the layer does not accept.
        """
        return _config.from_config(cls, config)

    def _build_config(self) -> dict | None:
        """Keras' build_config: the input shape the layer was built for."""
        shape = self.input_shape if self.built else None
        if shape is None:
            return None
        if shape and isinstance(shape[0], (list, tuple)):
            return {"input_shape": [list(s) for s in shape]}
        return {"input_shape": list(shape)}

    def _build_from_config(self, build: dict) -> None:
        shape = build.get("input_shape")
        if shape is not None and not self.built:
            nested = shape and isinstance(shape[0], (list, tuple))
            self.build([tuple(s) for s in shape] if nested else tuple(shape))

    # ---- weights ---------------------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        """Whether fit updates this layer's weights; a change after compile counts from the next
        compile, as in Keras."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)

    def _params(self) -> list:
        own = []
        if self.core is not None:
            own = self._variables(self.core.params(), self._param_names, True)
        subs = [w for s in self.__dict__.get("_tracked", []) for w in s.trainable_weights]
        return own + [w.tensor for w in self._made if w.trainable] + subs

    def _state(self) -> list:
        own = []
        if self.core is not None:
            own = self._variables(self.core.state(), self._state_names, False)
        subs = [w for s in self.__dict__.get("_tracked", []) for w in s.non_trainable_weights]
        return own + [w.tensor for w in self._made if not w.trainable] + subs

    @property
    def trainable_weights(self) -> list:
        """The weights fit trains: none when the layer is frozen."""
        return self._params() if self.trainable else []

    @property
    def non_trainable_weights(self) -> list:
        """Weights fit does not train: all of them when the layer is frozen, and the ones the layer
        updates itself (BatchNormalization's moving statistics)."""
        return ([] if self.trainable else self._params()) + self._state()

    @property
    def weights(self) -> list:
        """Parameters then state, Keras' order (e.g. gamma, beta, moving mean, var), frozen or not."""
        return self._params() + self._state()

    def count_params(self) -> int:
        """The number of scalars in the layer's weights.

        Returns:
            int: the total size of `weights`.
        """
        return sum(int(np.prod(w.numpy().shape)) for w in self.weights)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights as NumPy arrays, in `weights` order.

        Returns:
            list[numpy.ndarray]: float32 arrays.
        """
        return [w.numpy().copy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Write `weights` into the layer in place; every shape is checked before anything is written.

        Args:
            weights: one array per weight, in get_weights' order.

        Raises:
            ValueError: when the count or a shape differs; nothing is written then.
        """
        targets = [w.numpy() for w in self.weights]
        if len(weights) != len(targets):
            raise ValueError(
                f"layer '{self.name}' expects {len(targets)} weight arrays "
                f"(shapes {[t.shape for t in targets]}), got {len(weights)}"
            )
        values = [np.asarray(v, dtype=np.float32) for v in weights]
        for t, v in zip(targets, values):
            if t.shape != v.shape:
                raise ValueError(
                    f"layer '{self.name}': weight shape {v.shape} does not match the layer's {t.shape}"
                )
        for t, v in zip(targets, values):
            np.copyto(t, v)

    # ---- calls -----------------------------------------------------------------------------
    def __call__(self, x: Any, training: Any = None) -> Any:
        if is_symbolic(x):
            return self._call_symbolic(x)
        training = call_context.resolve(training)
        if self._is_custom():
            return self._call_custom(x, training)
        if not self.built:
            if self._multi_input:
                self.build([(None, *np.shape(_values(t))[1:]) for t in x])
            else:
                self.build((None, *np.shape(_values(x))[1:]))
        if self._multi_input:
            x = [t if isinstance(t, _core.Tensor) else _core.Tensor(_values(t)) for t in x]
        out = self.core(x, training=bool(training))
        if self.activity_regularizer is not None:  # Keras 3: the penalty / batch size, in Rust
            penalty = self.core.activity_penalty(out)
            self._activity_losses = [] if penalty is None else [penalty]
        return out

    @property
    def activity_regularizer(self) -> Any:
        """The regularizer of this layer's output (Keras' `activity_regularizer`), or None."""
        wo = self.__dict__.get("_weight_options")
        return wo.activity if wo is not None else self.__dict__.get("_activity_reg")

    def _call_symbolic(self, x: Any) -> KerasTensor:
        """Build the layer for `x`'s shape if needed, check the shape, record the call."""
        inputs = list(x) if isinstance(x, (list, tuple)) else [x]
        if self._is_custom():
            return self._call_symbolic_custom(x, inputs)
        if self._multi_input:
            if not isinstance(x, (list, tuple)):
                raise ValueError(
                    f"layer '{self.name}' ({type(self).__name__}) must be called on a list of "
                    f"tensors, got one tensor of shape {x.shape}"
                )
            shape: Any = [t.shape for t in inputs]
        else:
            if len(inputs) != 1:
                raise ValueError(
                    f"layer '{self.name}' ({type(self).__name__}) expects 1 input, but it "
                    f"received {len(inputs)} input tensors"
                )
            shape = inputs[0].shape
        if not self.built:
            self.build(shape)
        else:
            self._check_input_shape(shape)
        out = KerasTensor(self.compute_output_shape(shape))
        Node(self, inputs, [out])
        return out

    def _check_input_shape(self, shape: Any) -> None:
        built = self.input_shape
        pairs = list(zip(built, shape)) if self._multi_input else [(built, shape)]
        if (self._multi_input and len(built) != len(shape)) or not all(
            _compatible(tuple(b), tuple(s)) for b, s in pairs
        ):
            raise ValueError(
                f"Input of layer '{self.name}' ({type(self).__name__}) is incompatible with the "
                f"layer: it was built for input shape {built}, but received input with shape {shape}"
            )

    # ---- the graph this layer is part of ---------------------------------------------------
    @property
    def inbound_nodes(self) -> list[Node]:
        """The nodes recording each symbolic call of this layer, in call order."""
        return list(self._inbound_nodes)

    def _node_value(self, index: int, attr: str) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer '{self.name}' has never been called and thus has no defined {attr}."
            )
        if index >= len(self._inbound_nodes):
            raise ValueError(
                f"Asked to get {attr} at node {index}, but layer '{self.name}' has only "
                f"{len(self._inbound_nodes)} inbound nodes."
            )
        node = self._inbound_nodes[index]
        ts = node.output_tensors if attr == "output" else node.input_tensors
        return ts[0] if len(ts) == 1 else list(ts)

    def _only_node_value(self, attr: str) -> Any:
        if len(self._inbound_nodes) > 1:
            raise AttributeError(
                f"Layer '{self.name}' has multiple inbound nodes, with different {attr}s, hence "
                f'the notion of "layer {attr}" is ill-defined. Use `get_{attr}_at(node_index)` '
                "instead."
            )
        return self._node_value(0, attr)

    @property
    def input(self) -> Any:
        """The symbolic tensor(s) this layer was called on (its only call)."""
        return self._only_node_value("input")

    @property
    def output(self) -> Any:
        """The symbolic tensor this layer returned (its only call)."""
        return self._only_node_value("output")

    def get_input_at(self, node_index: int) -> Any:
        """The symbolic input(s) of one call of a shared layer.

        Args:
            node_index: which call, from 0.

        Returns:
            The KerasTensor, or a list of them.

        Raises:
            AttributeError: when the layer was never called.
            ValueError: when there is no such call.
        """
        return self._node_value(node_index, "input")

    def get_output_at(self, node_index: int) -> Any:
        """The symbolic output of one call of a shared layer.

        Args:
            node_index: which call, from 0.

        Returns:
            The KerasTensor, or a list of them.

        Raises:
            AttributeError: when the layer was never called.
            ValueError: when there is no such call.
        """
        return self._node_value(node_index, "output")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def _values(t: Any) -> Any:
    return t.numpy() if hasattr(t, "numpy") else t


class InputLayer(Layer):
    """The input's shape (without the batch axis); what `Input(shape=...)` puts first in a model.

    Args:
        shape: the shape of one sample, without the batch axis.
        batch_size: a fixed batch size, or None.
        name: the layer's name ("input", "input_1", ... when None).
        **kw: Keras' `input_shape` and `batch_shape` (other spellings of the shape), `dtype` (a
            float dtype; inputs are float32), and `sparse`/`ragged`/`optional` (only False).

    Raises:
        ValueError: when no shape is given, both shape and batch_shape are, or dtype is not float.
        NotImplementedError: when sparse, ragged or optional is True.
    """

    is_input_layer = True

    def __init__(self, shape: Any = None, batch_size: Any = None, name: str | None = None, **kw):
        shape = kw.pop("input_shape", shape)
        batch_shape = kw.pop("batch_shape", None)
        if batch_shape is not None:  # Keras 3's config: the shape with its batch axis
            if shape is not None:
                raise ValueError("Input: give shape or batch_shape, not both")
            batch_size, shape = batch_shape[0], tuple(batch_shape[1:])
        for key in ("sparse", "ragged", "optional"):
            if kw.pop(key, False):
                raise NotImplementedError(f"Input: {key}=True is not supported")
        if shape is None:
            raise ValueError("Input needs a shape, e.g. Input(shape=(784,))")
        check_float_dtype(kw.pop("dtype", None), "Input")
        super().__init__(name=name or _auto_name("input"), input_shape=shape, **kw)
        batch = (
            None if batch_size is None else _shape_tuple(batch_size, "batch_size", unknown=False)[0]
        )
        self.input_shape = self.output_shape = (batch, *self.input_shape_arg)
        Node(self, [], [KerasTensor(self.output_shape, name=self.name)])

    def _make_core(self, input_shape: tuple) -> Any:
        return None

    @property
    def built(self) -> bool:
        """Always True once made: an input layer has no weights to create."""
        return self.input_shape is not None

    def _build_config(self) -> None:
        return None

    def get_config(self) -> dict:
        """Keras 3's InputLayer config (batch_shape, dtype, sparse, ragged, name, optional)."""
        return {
            "batch_shape": list(self.input_shape),
            "dtype": "float32",
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": False,
        }


def Input(
    shape: Any = None,
    batch_size: Any = None,
    name: str | None = None,
    dtype: Any = None,
    **kw: Any,
) -> KerasTensor:
    """Keras' `Input(shape=...)`: a symbolic tensor to call layers on (or to start a Sequential).

    Args:
        shape: the shape of one sample, without the batch axis.
        batch_size: a fixed batch size, or None.
        name: the input's name.
        dtype: None or a float dtype (inputs are float32).
        **kw: as InputLayer (batch_shape, sparse, ragged, optional).

    Returns:
        KerasTensor: the symbolic input.

    Raises:
        ValueError: when no shape is given or dtype is not a float dtype.
    """
    return InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype, **kw).output
