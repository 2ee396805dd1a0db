"""keras.losses' per-sample functions, the margin, divergence and focal losses, and the name
tables `get` resolves (the core computes every built-in one; see losses.py for the base class)."""

from __future__ import annotations

from typing import Any

from rustgrad import _core
from rustgrad.keras._losses_more import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCosh,
    Poisson,
    SquaredHinge,
)
from rustgrad.keras._names import unknown_name
from rustgrad.keras.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Huber,
    Loss,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
    _smoothing,
)

__all__ = [
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "KLDivergence",
    "LogCosh",
    "LossFunctionWrapper",
    "Poisson",
    "SquaredHinge",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "logcosh",
    "mae",
    "mean_absolute_error",
    "mean_squared_error",
    "mse",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
]


class LossFunctionWrapper(Loss):
    """A plain Python function `fn(y_true, y_pred) -> per-sample losses` as a Loss (Keras' class);
    compile(loss=fn) wraps a function this way, and fit then runs on the eager path."""

    def __init__(
        self,
        fn: Any,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: fn must be callable, got {fn!r}")
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction)
        self.fn, self._fn_kwargs = fn, kwargs

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return self.fn(y_true, y_pred, **self._fn_kwargs)


# Per-sample functions, as keras.losses.mse(y_true, y_pred) gives one value per sample: Tensors with
# y_pred's shape without its last axis, recording the graph when y_pred requires grad.


def _values(name: str, y_true: Any, y_pred: Any, **args: Any) -> Any:
    """The core's per-sample losses `name` (the same rows `fit` reduces)."""
    return _core.loss(name, y_true, y_pred, reduction="none", **args)


def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """mean((y_true - y_pred)**2) over the last axis, per sample."""
    return _values("mean_squared_error", y_true, y_pred)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """`mean(|y_true - y_pred|)` over the last axis, per sample."""
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


def hinge(y_true: Any, y_pred: Any) -> Any:
    return Hinge().call(y_true, y_pred)


def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    return SquaredHinge().call(y_true, y_pred)


def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    return CategoricalHinge().call(y_true, y_pred)


def kl_divergence(y_true: Any, y_pred: Any) -> Any:
    return KLDivergence().call(y_true, y_pred)


def poisson(y_true: Any, y_pred: Any) -> Any:
    return Poisson().call(y_true, y_pred)


def log_cosh(y_true: Any, y_pred: Any) -> Any:
    return LogCosh().call(y_true, y_pred)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    return CosineSimilarity(axis=axis).call(y_true, y_pred)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
) -> Any:
    loss = CategoricalFocalCrossentropy(alpha, gamma, from_logits, label_smoothing, axis)
    return loss.call(y_true, y_pred)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
) -> Any:
    loss = BinaryFocalCrossentropy(
        apply_class_balancing, alpha, gamma, from_logits, label_smoothing, axis
    )
    return loss.call(y_true, y_pred)


logcosh = log_cosh
kld = KLD = kullback_leibler_divergence = kl_divergence


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_CLASSES: dict[str, type[Loss]] = {
    "mean_squared_error": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    **{
        c.core_name: c
        for c in (
            Hinge,
            SquaredHinge,
            CategoricalHinge,
            KLDivergence,
            Poisson,
            LogCosh,
            CosineSimilarity,
            CategoricalFocalCrossentropy,
            BinaryFocalCrossentropy,
        )
    },
}
_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "huber_loss": "huber",
    "logcosh": "log_cosh",
    "kld": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
}
_FUNCTIONS = {
    mean_squared_error: "mean_squared_error",
    mean_absolute_error: "mean_absolute_error",
    huber: "huber",
    binary_crossentropy: "binary_crossentropy",
    categorical_crossentropy: "categorical_crossentropy",
    sparse_categorical_crossentropy: "sparse_categorical_crossentropy",
    hinge: "hinge",
    squared_hinge: "squared_hinge",
    categorical_hinge: "categorical_hinge",
    kl_divergence: "kl_divergence",
    poisson: "poisson",
    log_cosh: "log_cosh",
    cosine_similarity: "cosine_similarity",
    categorical_focal_crossentropy: "categorical_focal_crossentropy",
    binary_focal_crossentropy: "binary_focal_crossentropy",
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
    if callable(identifier):
        # A plain Python function: fit runs it on the eager path (see Loss).
        return LossFunctionWrapper(identifier)
    raise ValueError(
        f"Unsupported loss {identifier!r}: give a Loss, a function (y_true, y_pred) or one of: "
        f"{', '.join(sorted([*_CLASSES, *_ALIASES]))}"
    )
