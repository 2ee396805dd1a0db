"""The losses Keras 3 added beside the classic ones: hinge family, KL divergence, Poisson, log-cosh,
cosine similarity and the focal cross-entropies; each the Rust core's loss (src/losses/more.rs)."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.losses import Loss

__all__ = [
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "KLDivergence",
    "LogCosh",
    "Poisson",
    "SquaredHinge",
]


def _axis(cls: str, axis: Any) -> None:
    if isinstance(axis, bool) or axis not in (-1,):
        raise NotImplementedError(f"{cls}: axis={axis!r} is not supported (only the last axis, -1)")


class _Plain(Loss):
    """A core loss with no keywords of its own: (reduction, name, dtype) as Keras orders them.

    Args:
        reduction: how per-sample losses combine (see Loss; "sum_over_batch_size" is the mean).
        name: the loss's name.
        dtype: accepted for Keras compatibility; losses are float32.
    """

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str | None = None, dtype=None
    ):
        super().__init__(name=name, reduction=reduction)


class Hinge(_Plain):
    """mean(max(1 - y_true * y_pred, 0)) over the last axis; 0/1 labels become -1/1 first."""

    core_name = "hinge"


class SquaredHinge(_Plain):
    """mean(max(1 - y_true * y_pred, 0)**2) over the last axis; 0/1 labels become -1/1 first."""

    core_name = "squared_hinge"


class CategoricalHinge(_Plain):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) per sample."""

    core_name = "categorical_hinge"


class KLDivergence(_Plain):
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [1e-7, 1]."""

    core_name = "kl_divergence"


class Poisson(_Plain):
    """mean(y_pred - y_true * log(y_pred + 1e-7)) over the last axis."""

    core_name = "poisson"


class LogCosh(_Plain):
    """mean(log(cosh(y_pred - y_true))) over the last axis."""

    core_name = "log_cosh"


class CosineSimilarity(Loss):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred)) over `axis` (the last one only).

    As keras.losses.CosineSimilarity.

    Args:
        axis: only -1 (the last axis).
        reduction: how per-sample losses combine (see Loss; "sum_over_batch_size" is the mean).
        name: the loss's name.
        dtype: accepted for Keras compatibility; losses are float32.

    Raises:
        NotImplementedError: when axis is not -1.
    """

    core_name = "cosine_similarity"

    def __init__(self, axis: int = -1, reduction="sum_over_batch_size", name=None, dtype=None):
        _axis("CosineSimilarity", axis)
        super().__init__(name=name, reduction=reduction)
        self.axis = axis


def _unit(cls: str, what: str, v: Any) -> float:
    v = float(v)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{cls}: {what} must be in [0, 1], got {v}")
    return v


def _gamma(cls: str, v: Any) -> float:
    v = float(v)
    if not v >= 0.0 or v == float("inf"):
        raise ValueError(f"{cls}: gamma must be a finite number >= 0, got {v}")
    return v


class _Focal(Loss):
    """The focal cross-entropies' alpha and gamma, passed to the core."""

    apply_class_balancing = False

    def focal(self) -> tuple:
        """(alpha, gamma, apply_class_balancing), as the core takes them."""
        return (self.alpha, self.gamma, self.apply_class_balancing)

    def compile_args(self) -> dict:
        return {**super().compile_args(), "focal": [self.focal()]}

    def core_kwargs(self) -> dict:
        args = dict(super().compile_args())
        alpha, gamma, balance = self.focal()
        return {**args, "alpha": alpha, "gamma": gamma, "apply_class_balancing": balance}


class CategoricalFocalCrossentropy(_Focal):
    """sum(-alpha * (1 - p)**gamma * y_true * log(p)) over classes, p the normalised (or, from
    logits, softmax) probabilities clipped to [1e-7, 1 - 1e-7]; label_smoothing as categorical.

    As keras.losses.CategoricalFocalCrossentropy (a per-class alpha list is refused).

    Args:
        alpha: the weight of the focal term (a number).
        gamma: the focusing exponent (finite, >= 0).
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: the factor in [0, 1] by which targets are smoothed.
        axis: only -1 (the last axis).
        reduction: how per-sample losses combine (see Loss; "sum_over_batch_size" is the mean).
        name: the loss's name.
        dtype: accepted for Keras compatibility; losses are float32.

    Raises:
        ValueError: when gamma or label_smoothing is out of range.
        NotImplementedError: when axis is not -1 or alpha is a list.
    """

    core_name = "categorical_focal_crossentropy"

    def __init__(
        self,
        alpha: Any = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ):
        cls = "CategoricalFocalCrossentropy"
        _axis(cls, axis)
        if isinstance(alpha, (list, tuple)):
            raise NotImplementedError(f"{cls}: a per-class alpha {alpha!r} is not supported")
        super().__init__(name=name, reduction=reduction, from_logits=from_logits)
        self.alpha, self.gamma = float(alpha), _gamma(cls, gamma)
        self.label_smoothing = _unit(cls, "label_smoothing", label_smoothing)


class BinaryFocalCrossentropy(_Focal):
    """mean((1 - p_t)**gamma * bce) over the last axis, p_t = y*p + (1-y)*(1-p); with
    apply_class_balancing each term times y*alpha + (1-y)*(1-alpha); label_smoothing as binary.

    As keras.losses.BinaryFocalCrossentropy.

    Args:
        apply_class_balancing: weight each term by y*alpha + (1-y)*(1-alpha).
        alpha: the balancing weight, in [0, 1].
        gamma: the focusing exponent (finite, >= 0).
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: the factor in [0, 1] by which targets are smoothed.
        axis: only -1 (the last axis).
        reduction: how per-sample losses combine (see Loss; "sum_over_batch_size" is the mean).
        name: the loss's name.
        dtype: accepted for Keras compatibility; losses are float32.

    Raises:
        ValueError: when alpha, gamma or label_smoothing is out of range.
        NotImplementedError: when axis is not -1.
    """

    core_name = "binary_focal_crossentropy"

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ):
        cls = "BinaryFocalCrossentropy"
        _axis(cls, axis)
        super().__init__(name=name, reduction=reduction, from_logits=from_logits)
        self.apply_class_balancing = bool(apply_class_balancing)
        self.alpha, self.gamma = _unit(cls, "alpha", alpha), _gamma(cls, gamma)
        self.label_smoothing = _unit(cls, "label_smoothing", label_smoothing)
