"""Keras losses: the core's loss classes and per-sample functions (Tensors with a graph); names."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras import _config_args

EPSILON = 1e-7  # Keras' clip for probability inputs

__all__ = [
    "KLD",
    "MAE",
    "MSE",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Poisson",
    "Reduction",
    "SparseCategoricalCrossentropy",
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
    "kld",
    "kullback_leibler_divergence",
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
    """Keras' Loss. Calling it gives a Tensor: the weighted losses reduced as `reduction` says (a
    0-d Tensor; one value per sample for "none"), with its graph when y_pred requires grad.

    A built-in loss is the Rust core's (`core_name`, one fused op). A subclass that overrides
    `call(y_true, y_pred)` (per-sample losses from Tensor ops) is honoured: its values are
    weighted and reduced by the core's Keras rules. A model compiled with such a loss (or with a
    plain Python function, see `LossFunctionWrapper`) trains on the eager path: fit calls
    `train_step` once per batch (GradientTape over the model's Tensors) instead of the Rust step.

    Calling a loss takes `(y_true, y_pred, sample_weight=None)` and returns that Tensor.

    Args:
        name: the loss's name (its snake_case class name when None).
        reduction: "sum_over_batch_size" (the mean, Keras' default), "sum", "mean",
            "mean_with_sample_weight", "auto" or "none"/None (one value per sample).
        dtype: accepted for Keras compatibility; losses are computed in float32.
        from_logits: whether y_pred holds logits rather than probabilities (cross-entropies).
        delta: Huber's threshold.

    Raises:
        ValueError: for an unknown reduction.
    """

    core_name = ""

    def __init__(
        self,
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: Any = None,
        from_logits: bool = False,
        delta: float = 1.0,
    ):
        self.from_logits = bool(from_logits)
        self.delta = float(delta)
        self.label_smoothing = 0.0  # set by the cross-entropies, the losses Keras smooths
        self.reduction = _reduction(reduction)
        self.name = name or self.core_name or _snake(type(self).__name__)

    @property
    def runs_in_python(self) -> bool:
        """True for a loss only Python computes (an overridden `call`): fit takes the eager path."""
        return type(self).call is not Loss.call or not self.core_name

    def compile_args(self) -> dict:
        """What `_core.Model.compile` needs besides the name."""
        args = {"from_logits": self.from_logits, "delta": self.delta}
        if self.label_smoothing:
            args["label_smoothing"] = self.label_smoothing
        return args

    def core_kwargs(self) -> dict:
        """The keywords of `_core.loss` for this loss."""
        return self.compile_args()

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """The loss of each sample (a Tensor): the core's `core_name`; subclasses override it.

        Args:
            y_true: the targets (an array or Tensor).
            y_pred: the predictions (a Tensor records the graph).

        Returns:
            Tensor: one loss per sample.

        Raises:
            ShapeError: when the shapes do not match.
        """
        return _core.loss(self.core_name, y_true, y_pred, reduction="none", **self.core_kwargs())

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        if self.runs_in_python:
            values = self.call(_tensor(y_true), _tensor(y_pred))
            return _core.reduce_loss(_tensor(values), sample_weight, reduction=self.reduction)
        # The weight keeps its shape: the core broadcasts it against the losses by Keras' rules.
        return _core.loss(
            self.core_name,
            y_true,
            y_pred,
            sample_weight=sample_weight,
            reduction=self.reduction,
            **self.core_kwargs(),
        )

    def get_config(self) -> dict:
        """Keras 3's keys: name, reduction, then the constructor's own arguments."""
        config = _config_args.init_config(
            self, {"name": self.name, "reduction": self.reduction}, Loss
        )
        if "label_smoothing" in config and "axis" not in config:
            config["axis"] = -1  # Keras' cross-entropies write their (class) axis
        return config

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        """A loss from get_config's dict.

        Args:
            config: the constructor arguments under Keras 3's keys.

        Returns:
            Loss: the new loss.
        """
        return _config_args.from_init_config(cls, config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _tensor(v: Any) -> Any:
    if isinstance(v, _core.Tensor):
        return v
    return _core.tensor(np.ascontiguousarray(v, dtype=np.float32))


class MeanSquaredError(Loss):
    """mean((y_true - y_pred)**2) over the last axis, averaged over the batch.

    As keras.losses.MeanSquaredError.

    Args:
        reduction: "sum_over_batch_size" (the mean, Keras' default), "sum", "mean",
            "mean_with_sample_weight", "auto" or "none"/None (one value per sample).
        name: the loss's name.
        **kw: Loss's other arguments (dtype).
    """

    core_name = "mean_squared_error"

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str | None = None, **kw
    ):
        super().__init__(name=name, reduction=reduction, **kw)


class MeanAbsoluteError(Loss):
    """mean(``|y_true - y_pred|``) over the last axis, averaged over the batch.

    As keras.losses.MeanAbsoluteError.

    Args:
        reduction: "sum_over_batch_size" (the mean, Keras' default), "sum", "mean",
            "mean_with_sample_weight", "auto" or "none"/None (one value per sample).
        name: the loss's name.
        **kw: Loss's other arguments (dtype).
    """

    core_name = "mean_absolute_error"

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str | None = None, **kw
    ):
        super().__init__(name=name, reduction=reduction, **kw)


class Huber(Loss):
    """Quadratic for ``|error|`` <= delta, linear beyond, as keras.losses.Huber.

    Args:
        delta: where the loss turns from quadratic to linear.
        reduction: "sum_over_batch_size" (the mean, Keras' default), "sum", "mean",
            "mean_with_sample_weight", "auto" or "none"/None (one value per sample).
        name: the loss's name.
        **kw: Loss's other arguments (dtype).
    """

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
    """A cross-entropy that takes Keras' label_smoothing (checked to lie in [0, 1]).

    Args:
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: the factor in [0, 1] by which targets are smoothed.
        name: the loss's name.
        **kw: Loss's other arguments (reduction, dtype).

    Raises:
        ValueError: when label_smoothing is outside [0, 1].
    """

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
    label_smoothing moves y to y*(1-ls) + 0.5*ls first. As keras.losses.BinaryCrossentropy.

    Args:
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: the factor in [0, 1] by which targets are smoothed.
        name: the loss's name.
        **kw: Loss's other arguments (reduction, dtype).
    """

    core_name = "binary_crossentropy"


class CategoricalCrossentropy(_Smoothed):
    """-sum(y log p) over classes for one-hot (or soft) labels; label_smoothing moves y to
    y*(1-ls) + ls/classes first. As keras.losses.CategoricalCrossentropy.

    Args:
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: the factor in [0, 1] by which targets are smoothed.
        name: the loss's name.
        **kw: Loss's other arguments (reduction, dtype).
    """

    core_name = "categorical_crossentropy"


def _smoothing(ls: Any) -> float:
    ls = float(ls)
    if not 0.0 <= ls <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {ls}")
    return ls


class SparseCategoricalCrossentropy(Loss):
    """Categorical cross-entropy with integer class labels instead of one-hot rows.

    As keras.losses.SparseCategoricalCrossentropy.

    Args:
        from_logits: whether y_pred holds logits rather than probabilities.
        ignore_class: only None (Keras' ignored label is not supported).
        reduction: "sum_over_batch_size" (the mean, Keras' default), "sum", "mean",
            "mean_with_sample_weight", "auto" or "none"/None (one value per sample).
        name: the loss's name.
        dtype: accepted for Keras compatibility; losses are float32.

    Raises:
        NotImplementedError: when ignore_class is given.
        InvalidArgumentError: (on call) when a label is not an integer in [0, classes).
    """

    core_name = "sparse_categorical_crossentropy"

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: Any = None,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ):
        if ignore_class is not None:
            raise NotImplementedError(
                f"SparseCategoricalCrossentropy: ignore_class={ignore_class!r} is not supported"
            )
        super().__init__(name=name, reduction=reduction, from_logits=from_logits)


# The per-sample functions, the losses added in Keras 3 and the name tables live beside this file.
from rustgrad.keras import _loss_table
from rustgrad.keras._loss_table import (
    KLD,
    MAE,
    MSE,
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCosh,
    LossFunctionWrapper,
    Poisson,
    SquaredHinge,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    cosine_similarity,
    get,
    hinge,
    huber,
    kl_divergence,
    kld,
    kullback_leibler_divergence,
    log_cosh,
    logcosh,
    mae,
    mean_absolute_error,
    mean_squared_error,
    mse,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)

_CLASSES = _loss_table._CLASSES  # the names get() resolves
