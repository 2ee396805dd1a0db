"""What `class L(keras.layers.Layer)` needs: add_weight and its initializers, attribute tracking of
sublayers, the output shape found by running `call`, and the losses layers add while they run.
The Layer base class (base.py) calls these for layers whose forward pass is Python (`call`)."""

from __future__ import annotations

import inspect
import weakref
from typing import Any, Callable

import numpy as np

from rustgrad import _core
from rustgrad.autograd import no_grad
from rustgrad.keras import constraints, initializers, regularizers
from rustgrad.keras.layers import call_context
from rustgrad.keras.layers.dtype_check import check_float_dtype
from rustgrad.keras.layers.node import KerasTensor, Node

INITIALIZERS = initializers.NAMES


def initial_values(initializer: Any, shape: tuple) -> np.ndarray:
    """A weight's first values, through keras.initializers' one table (None: glorot_uniform)."""
    init = initializers.get("glorot_uniform" if initializer is None else initializer)
    return init(tuple(shape))


class Weight:
    """A weight made by add_weight: its Tensor, whether fit trains it, and its regularizer."""

    def __init__(self, tensor: Any, trainable: bool, name: str, regularizer: Any):
        self.tensor, self.trainable, self.name, self.regularizer = (
            tensor,
            trainable,
            name,
            regularizer,
        )


def make_weight(
    shape: Any, initializer: Any, trainable: bool, name: str, regularizer: Any, path: str
) -> Weight:
    if isinstance(regularizer, (str, dict)):
        regularizer = regularizers.get(regularizer)
    if regularizer is not None and not callable(regularizer):
        raise ValueError(
            f"add_weight: regularizer must be a callable taking the weight (e.g. "
            f"lambda w: 1e-4 * rustgrad.sum(w * w)), got {regularizer!r}"
        )
    shape = tuple(int(d) for d in (shape or ()))
    values = _core.tensor(initial_values(initializer, shape), requires_grad=bool(trainable))
    t = _core.Variable._share(values, bool(trainable), name, path)
    return Weight(t, bool(trainable), name, regularizer)


def sublayers(value: Any, layer_type: type) -> list:
    """The layers in an attribute value: a layer, or layers in a list, tuple or dict."""
    if isinstance(value, layer_type):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, layer_type)]
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, layer_type)]
    return []


def accepts_training(fn: Callable) -> bool:
    """Whether a `call` takes `training` (Keras passes it only then)."""
    # Asked at every call of every custom layer: inspect.signature took ~15% of a subclassed
    # MLP's train step, so the answer is kept per function (a bound method's underlying one).
    key = getattr(fn, "__func__", fn)
    try:
        return _ACCEPTS_TRAINING[key]
    except (KeyError, TypeError):  # TypeError: an unhashable callable
        pass
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        found = False
    else:
        found = "training" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())
    try:
        _ACCEPTS_TRAINING[key] = found
    except TypeError:
        pass
    return found


_ACCEPTS_TRAINING: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def to_tensors(x: Any) -> Any:
    """Data for a custom call: Tensors stay, arrays become Tensors; lists and dicts keep their form."""
    if isinstance(x, _core.Tensor):
        return x
    if isinstance(x, (list, tuple)):
        return [to_tensors(v) for v in x]
    if isinstance(x, dict):
        return {k: to_tensors(v) for k, v in x.items()}
    return _core.tensor(np.ascontiguousarray(getattr(x, "numpy", lambda: x)(), dtype=np.float32))


def flat_tensors(out: Any) -> list:
    """A call's result (a Tensor, a list/tuple or a dict of them) as a list."""
    if isinstance(out, dict):
        return list(out.values())
    if isinstance(out, (list, tuple)):
        return list(out)
    return [out]


def _zeros_like(shape: Any) -> Any:
    """One sample of zeros for an input shape (or a list of them); unknown sizes become 1."""
    if isinstance(shape, list):
        return [_zeros_like(s) for s in shape]
    return _core.tensor(np.zeros((1, *[1 if d is None else d for d in shape[1:]]), np.float32))


def shape_by_running(layer: Any, input_shape: Any) -> Any:
    """The output shape (batch axis None) of `layer` on inputs of `input_shape`, found by calling
    it on one sample of zeros without recording a graph."""
    x = _zeros_like(input_shape)
    with no_grad():
        out = layer(x)
    layer._take_losses()  # the probe adds no loss to training
    shapes = [(None, *o.shape[1:]) for o in flat_tensors(out)]
    return shapes[0] if len(shapes) == 1 else shapes


class CustomLayerMixin:
    """The parts of keras.layers.Layer that subclasses use: add_weight, add_loss, attribute
    tracking, and the Python forward pass (`call`) on data and on KerasTensors."""

    def __setattr__(self, name: str, value: Any) -> None:
        # Layers assigned as attributes (also in lists and dicts) are tracked, as Keras does.
        object.__setattr__(self, name, value)
        subs = sublayers(value, CustomLayerMixin)
        if subs and not name.startswith("_"):
            tracked = self.__dict__.setdefault("_tracked", [])
            tracked.extend(s for s in subs if s is not self and all(s is not t for t in tracked))

    # ---- subclassing: weights, losses, the Python forward pass -----------------------------
    def add_weight(
        self,
        shape: Any = None,
        initializer: Any = "glorot_uniform",
        dtype: Any = None,
        trainable: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """A new weight Tensor of `shape` that fit trains (unless trainable=False).

        As keras.layers.Layer.add_weight; tf.keras 2's order add_weight(name, shape, ...) works
        too.

        Args:
            shape: the weight's shape.
            initializer: a name, an Initializer or a function (see keras.initializers.get).
            dtype: None or a float dtype; an integer or bool one only for a weight with
                trainable=False (it holds whole numbers). Weights are float32.
            trainable: whether fit updates the weight.
            regularizer: a penalty on the weight added to the loss (see keras.regularizers).
            constraint: a projection applied after each optimizer update (see keras.constraints).
            name: the weight's name ("weight_<n>" when None).
            **kwargs: tf.keras' autocast, aggregation, synchronization and use_resource, which
                have no meaning on one CPU device and are not used.

        Returns:
            Variable: the weight.

        Raises:
            TypeError: for any other keyword argument.
            ValueError: when the initializer, regularizer or constraint is unknown, or the
                dtype is not accepted.
        """
        if isinstance(shape, str):  # tf.keras 2 order: add_weight(name, shape, ...)
            name, shape = (
                shape,
                kwargs.pop("shape", initializer if initializer != "glorot_uniform" else None),
            )
        for key in ("autocast", "aggregation", "synchronization", "use_resource"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"add_weight got unexpected arguments {sorted(kwargs)}")
        check_float_dtype(dtype, f"add_weight {name!r}", integers_ok=not trainable)
        try:
            constraint = constraints.get(constraint)
        except ValueError as e:
            raise ValueError(f"add_weight: constraint: {e}") from None
        name = name or f"weight_{len(self._made)}"
        w = make_weight(shape, initializer, trainable, name, regularizer, f"{self.name}/{name}")
        w.tensor.constraint = constraint  # applied after each update, as Keras' optimizer does
        self._made.append(w)
        return w.tensor

    def add_loss(self, loss: Any) -> None:
        """A loss (a Tensor from this call) added to the training loss of the model, as Keras.

        Args:
            loss: a scalar Tensor computed in this call.
        """
        self._added_losses.append(loss)

    def _own_losses(self) -> list:
        core = getattr(self, "core", None)
        penalty = core.penalty() if core is not None else None  # a built-in layer's regularizers
        return (
            list(self._added_losses)
            + list(self.__dict__.get("_activity_losses", []))
            + [w.regularizer(w.tensor) for w in self._made if w.regularizer]
            + ([penalty] if penalty is not None else [])
        )

    @property
    def losses(self) -> list:
        """Losses added during the last call and the weights' regularization terms, this layer's
        and its sublayers', as Keras lists them."""
        subs = self.__dict__.get("_tracked", [])
        return self._own_losses() + [v for s in subs for v in s.losses]

    def _take_losses(self) -> list:
        """This layer's and its sublayers' losses of the last call (cleared) and regularizers."""
        out = self._own_losses()
        self._added_losses, self._activity_losses = [], []
        for sub in self.__dict__.get("_tracked", []):
            out += sub._take_losses()
        return out

    def _call_custom(self, x: Any, training: Any) -> Any:
        x = to_tensors(x)
        if not self.built:
            shape = (
                [(None, *t.shape[1:]) for t in x] if isinstance(x, list) else (None, *x.shape[1:])
            )
            self.input_shape = shape
            self.build(shape)
            self._built_custom = True
        self._added_losses = []
        training = call_context.resolve(training)
        with call_context.scope(training):
            if training is not None and accepts_training(self.call):
                out = self.call(x, training=training)
            else:  # as Keras: the call's own default when no one says
                out = self.call(x)
        reg = getattr(self, "activity_regularizer", None)
        if reg is not None:  # Keras 3: the penalty of each output / its batch size
            self._activity_losses = [
                reg(o) * (1.0 / max(1, o.shape[0]) if o.shape else 1.0)
                for o in flat_tensors(out)
                if isinstance(o, _core.Tensor)
            ]
        return out

    def get_config(self) -> dict:
        """A custom layer's base config (name, trainable, dtype); override it to add arguments.

        Returns:
            dict: the config from_config passes to the constructor.
        """
        return {"name": self.name, "trainable": self.trainable, "dtype": "float32"}

    def _call_symbolic_custom(self, x: Any, inputs: list) -> Any:
        """A custom layer on KerasTensors: its output shape from compute_output_shape when the
        class defines one, else from running `call` on one sample of zeros."""
        shape: Any = [t.shape for t in inputs] if isinstance(x, (list, tuple)) else x.shape
        if not getattr(type(self).compute_output_shape, "_builtin", False):
            if not self.built:  # build the weights, as the first call on data would
                with no_grad():
                    self._call_custom(_zeros_like(shape), False)
                self._take_losses()
            out = self.compute_output_shape(shape)
        else:
            out = shape_by_running(self, shape)
        self.output_shape = out
        outs = (
            [KerasTensor(tuple(s)) for s in out]
            if isinstance(out, list)
            else [KerasTensor(tuple(out))]
        )
        Node(self, inputs, outs)
        return outs[0] if len(outs) == 1 else outs
