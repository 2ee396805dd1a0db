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
    compile(loss=fn) wraps a function this way, and fit then runs on the eager path.

    Args:
        fn: the function; it returns one loss per sample.
        reduction: how the per-sample losses combine (see Loss).
        name: the loss's name (the function's name when None).
        dtype: accepted for Keras compatibility; losses are float32.
        **kwargs: extra keyword arguments passed to `fn` on every call.

    Raises:
        TypeError: when `fn` is not callable.
    """

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
        """The wrapped function's per-sample losses.

        Args:
            y_true: the targets.
            y_pred: the predictions.

        Returns:
            What the function returns (one loss per sample).
        """
        return self.fn(y_true, y_pred, **self._fn_kwargs)


# Per-sample functions, as keras.losses.mse(y_true, y_pred) gives one value per sample: Tensors with
# y_pred's shape without its last axis, recording the graph when y_pred requires grad.


def _values(name: str, y_true: Any, y_pred: Any, **args: Any) -> Any:
    """The core's per-sample losses `name` (the same rows `fit` reduces)."""
    return _core.loss(name, y_true, y_pred, reduction="none", **args)


def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """mean((y_true - y_pred)**2) over the last axis, per sample, as keras.losses.mean_squared_error.

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
    return _values("mean_squared_error", y_true, y_pred)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """mean(``|y_true - y_pred|``) over the last axis, per sample, as keras.losses.mean_absolute_error.

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
    return _values("mean_absolute_error", y_true, y_pred)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Huber loss over the last axis, per sample: quadratic within `delta`, linear outside.

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).
        delta: where the loss turns from quadratic to linear.

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
    return _values("huber", y_true, y_pred, delta=float(delta))


def binary_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0
) -> Any:
    """Binary cross-entropy over the last axis, per sample (probabilities clipped to 1e-7).

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: the factor in [0, 1] by which targets are smoothed towards uniform.

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
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
    """Categorical cross-entropy per sample (probabilities normalised and clipped, as Keras).

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: the factor in [0, 1] by which targets are smoothed towards uniform.

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
    return _values(
        "categorical_crossentropy",
        y_true,
        y_pred,
        from_logits=bool(from_logits),
        label_smoothing=_smoothing(label_smoothing),
    )


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Any:
    """Cross-entropy per sample with integer labels, as keras.losses.sparse_categorical_crossentropy.

    Args:
        y_true: the targets (integer class indices, one per sample).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).
        from_logits: whether y_pred holds logits rather than probabilities.

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
        InvalidArgumentError: when a label is not an integer in [0, classes).
    """
    return _values("sparse_categorical_crossentropy", y_true, y_pred, from_logits=bool(from_logits))


def hinge(y_true: Any, y_pred: Any) -> Any:
    """mean(max(1 - y_true * y_pred, 0)) per sample (labels -1/1, or 0/1 mapped to -1/1), as keras.losses.hinge.

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
    return Hinge().call(y_true, y_pred)


def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    """mean(max(1 - y_true * y_pred, 0) ** 2) per sample, as keras.losses.squared_hinge.

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
    return SquaredHinge().call(y_true, y_pred)


def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    """max(neg - pos + 1, 0) per sample (pos: the true class's score, neg: the best other), as keras.losses.categorical_hinge.

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
    return CategoricalHinge().call(y_true, y_pred)


def kl_divergence(y_true: Any, y_pred: Any) -> Any:
    """sum(y_true * log(y_true / y_pred)) per sample, both clipped to [1e-7, 1], as keras.losses.kl_divergence.

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
    return KLDivergence().call(y_true, y_pred)


def poisson(y_true: Any, y_pred: Any) -> Any:
    """mean(y_pred - y_true * log(y_pred + 1e-7)) per sample, as keras.losses.poisson.

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
    return Poisson().call(y_true, y_pred)


def log_cosh(y_true: Any, y_pred: Any) -> Any:
    """mean(log(cosh(y_pred - y_true))) per sample, computed without overflow, as keras.losses.log_cosh.

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
    return LogCosh().call(y_true, y_pred)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """-cos(y_true, y_pred) along `axis` per sample (-1 for the same direction), as keras.losses.cosine_similarity.

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).
        axis: the axis along which the similarity is computed.

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
    return CosineSimilarity(axis=axis).call(y_true, y_pred)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
) -> Any:
    """Categorical cross-entropy scaled by alpha * (1 - p) ** gamma per sample, as keras.losses.categorical_focal_crossentropy.

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).
        alpha: the weight of the focal term.
        gamma: the focusing exponent.
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: the factor in [0, 1] by which targets are smoothed.
        axis: the class axis (only -1).

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
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
    """Binary cross-entropy scaled by (1 - p_t) ** gamma per sample, as keras.losses.binary_focal_crossentropy.

    Args:
        y_true: the targets (an array or Tensor of y_pred's shape).
        y_pred: the predictions (an array or Tensor; a Tensor records the graph).
        apply_class_balancing: weight positives by alpha and negatives by 1 - alpha.
        alpha: the weight of the focal term.
        gamma: the focusing exponent.
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: the factor in [0, 1] by which targets are smoothed.
        axis: the class axis (only -1).

    Returns:
        Tensor: one loss per sample (y_pred's shape without its last axis).

    Raises:
        ShapeError: when the shapes do not match.
    """
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
    """A Loss from a Loss object, a name ('mse', 'categorical_crossentropy', ...) or a loss function.

    Args:
        identifier: a Loss instance or class, a name, a built-in loss function, or any function
            (y_true, y_pred) -> per-sample losses (wrapped in LossFunctionWrapper).

    Returns:
        Loss: the loss object.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones) or another type.
    """
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
