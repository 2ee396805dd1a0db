"""Keras losses: the core's loss classes and per-sample functions (Tensors with a graph); names."""

from __future__ import annotations

from typing import Any

from rustgrad import _core
from rustgrad.keras._names import unknown_name

EPSILON = 1e-7  # Keras' clip for probability inputs

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "Huber",
    "Loss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Reduction",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "get",
    "huber",
    "mae",
    "mean_absolute_error",
    "mean_squared_error",
    "mse",
    "sparse_categorical_crossentropy",
]


class Reduction:
    """tf.keras 2's names for the reductions (Keras 3 takes the strings)."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"


# The core checks these too; checked here so a bad name fails when the Loss is made, as in Keras.
_REDUCTIONS = ("sum_over_batch_size", "auto", "mean", "sum", "mean_with_sample_weight", "none")


def _reduction(r: Any) -> str:
    r = "none" if r is None else r
    if r not in _REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`: {r!r}; expected one of {_REDUCTIONS}"
        )
    return r


class Loss:
    """A loss the Rust core knows by `core_name`. Calling it gives a Tensor: the weighted losses
    reduced as `reduction` says (a 0-d Tensor; one value per sample for "none"), with its graph
    when y_pred requires grad, so a training loop can differentiate it as with Keras' tensors."""

    core_name = ""

    def __init__(
        self,
        from_logits: bool = False,
        name: str | None = None,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        dtype: Any = None,
    ):
        self.from_logits = bool(from_logits)
        self.delta = float(delta)
        self.label_smoothing = 0.0  # set by the cross-entropies, the losses Keras smooths
        self.reduction = _reduction(reduction)
        self.name = name or self.core_name

    def compile_args(self) -> dict:
        """What `_core.Model.compile` needs besides the name."""
        args = {"from_logits": self.from_logits, "delta": self.delta}
        if self.label_smoothing:
            args["label_smoothing"] = self.label_smoothing
        return args

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        # The weight keeps its shape: the core broadcasts it against the losses by Keras' rules.
        return _core.loss(
            self.core_name,
            y_true,
            y_pred,
            sample_weight=sample_weight,
            reduction=self.reduction,
            **self.compile_args(),
        )

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction, **self.compile_args()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


class MeanSquaredError(Loss):
    """mean((y_true - y_pred)**2) over the last axis, averaged over the batch."""

    core_name = "mean_squared_error"

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str | None = None, **kw
    ):
        super().__init__(name=name, reduction=reduction, **kw)


class MeanAbsoluteError(Loss):
    """mean(|y_true - y_pred|) over the last axis, averaged over the batch."""

    core_name = "mean_absolute_error"

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str | None = None, **kw
    ):
        super().__init__(name=name, reduction=reduction, **kw)


class Huber(Loss):
    """Quadratic for |error| <= delta, linear beyond."""

    core_name = "huber"

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        **kw,
    ):
        super().__init__(name=name, delta=delta, reduction=reduction, **kw)


class _Smoothed(Loss):
    """A cross-entropy that takes Keras' label_smoothing (checked to lie in [0, 1])."""

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        name: str | None = None,
        **kw: Any,
    ):
        super().__init__(from_logits=from_logits, name=name, **kw)
        self.label_smoothing = _smoothing(label_smoothing)


class BinaryCrossentropy(_Smoothed):
    """-(y log p + (1-y) log(1-p)) per output, p clipped to [1e-7, 1-1e-7] unless from_logits;
    label_smoothing moves y to y*(1-ls) + 0.5*ls first."""

    core_name = "binary_crossentropy"


class CategoricalCrossentropy(_Smoothed):
    """-sum(y log p) over classes for one-hot (or soft) labels; label_smoothing moves y to
    y*(1-ls) + ls/classes first."""

    core_name = "categorical_crossentropy"


def _smoothing(ls: Any) -> float:
    ls = float(ls)
    if not 0.0 <= ls <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {ls}")
    return ls


class SparseCategoricalCrossentropy(Loss):
    """Categorical cross-entropy with integer class labels instead of one-hot rows."""

    core_name = "sparse_categorical_crossentropy"


# Per-sample functions, as keras.losses.mse(y_true, y_pred) gives one value per sample: Tensors with
# y_pred's shape without its last axis, recording the graph when y_pred requires grad.


def _values(name: str, y_true: Any, y_pred: Any, **args: Any) -> Any:
    """The core's per-sample losses `name` (the same rows `fit` reduces)."""
    return _core.loss_values(name, y_true, y_pred, **args)


def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """mean((y_true - y_pred)**2) over the last axis, per sample."""
    return _values("mean_squared_error", y_true, y_pred)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """mean(|y_true - y_pred|) over the last axis, per sample."""
    return _values("mean_absolute_error", y_true, y_pred)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Huber loss over the last axis, per sample: quadratic within `delta`, linear outside."""
    return _values("huber", y_true, y_pred, delta=float(delta))


def binary_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0
) -> Any:
    """Binary cross-entropy over the last axis, per sample (probabilities clipped to 1e-7)."""
    return _values(
        "binary_crossentropy",
        y_true,
        y_pred,
        from_logits=bool(from_logits),
        label_smoothing=_smoothing(label_smoothing),
    )


def categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0
) -> Any:
    """Categorical cross-entropy per sample (probabilities normalised and clipped, as Keras)."""
    return _values(
        "categorical_crossentropy",
        y_true,
        y_pred,
        from_logits=bool(from_logits),
        label_smoothing=_smoothing(label_smoothing),
    )


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Any:
    """Cross-entropy per sample with integer labels."""
    return _values("sparse_categorical_crossentropy", y_true, y_pred, from_logits=bool(from_logits))


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_CLASSES: dict[str, type[Loss]] = {
    "mean_squared_error": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}
_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "huber_loss": "huber"}
_FUNCTIONS = {
    mean_squared_error: "mean_squared_error",
    mean_absolute_error: "mean_absolute_error",
    huber: "huber",
    binary_crossentropy: "binary_crossentropy",
    categorical_crossentropy: "categorical_crossentropy",
    sparse_categorical_crossentropy: "sparse_categorical_crossentropy",
}


def _by_name(name: str) -> type[Loss] | None:
    key = _ALIASES.get(name.lower(), name)
    if key in _CLASSES:
        return _CLASSES[key]
    for cls in _CLASSES.values():  # class names work too: 'MeanSquaredError'
        if cls.__name__ == name:
            return cls
    return None


def get(identifier: Any) -> Loss:
    """A Loss from a Loss object, a name ('mse', 'categorical_crossentropy', ...) or a loss function."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        cls = _by_name(identifier)
        if cls is None:
            raise unknown_name("loss", identifier, [*_CLASSES, *_ALIASES])
        return cls(name=identifier)
    if callable(identifier) and identifier in _FUNCTIONS:
        return _CLASSES[_FUNCTIONS[identifier]]()
    raise ValueError(
        f"Unsupported loss {identifier!r}: custom Python losses cannot run inside the Rust step; "
        f"use one of: {', '.join(sorted([*_CLASSES, *_ALIASES]))}"
    )
