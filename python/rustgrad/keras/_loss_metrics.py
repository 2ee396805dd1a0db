"""Keras' metric classes that average a loss function per sample (BinaryCrossentropy, KLDivergence,
Hinge, ...): MeanMetricWrappers over the core's loss functions, so the values are the losses'
own; and the confusion counts TruePositives, FalsePositives, TrueNegatives, FalseNegatives.

A model compiled with one of these evaluates it on the eager path, as with any MeanMetricWrapper.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad.keras import _config_args, _loss_table
from rustgrad.keras._metric_functions import MeanMetricWrapper
from rustgrad.keras._metrics_more import _Confusion, _thresholds

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "KLDivergence",
    "LogCoshError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "TrueNegatives",
    "TruePositives",
]


def _last_axis(cls: str, axis: Any) -> int:
    if axis != -1:
        raise NotImplementedError(f"{cls}: only axis=-1 (the last axis) is supported, got {axis!r}")
    return -1


class _LossMetric(MeanMetricWrapper):
    """The running mean of a loss function's per-sample values; its config is the constructor's
    arguments (Keras' keys), not a function name."""

    def __init__(self, fn: Any, name: str, dtype: Any = None, **fn_kwargs: Any):
        super().__init__(fn, name=name, dtype=dtype, **fn_kwargs)

    def get_config(self) -> dict:
        """name, dtype and the constructor's own arguments, as Keras gives them."""
        return _config_args.init_config(self, {"name": self.name, "dtype": "float32"}, _LossMetric)

    @classmethod
    def from_config(cls, config: dict) -> Any:
        """A metric from get_config's dict (or Keras').

        Args:
            config: the constructor arguments under Keras 3's keys.

        Returns:
            Metric: the new metric.
        """
        return _config_args.from_init_config(cls, config)


class BinaryCrossentropy(_LossMetric):
    """The mean binary cross-entropy of the predictions, as keras.metrics.BinaryCrossentropy.

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
        from_logits: whether the predictions are logits.
        label_smoothing: the factor in [0, 1] by which targets are smoothed towards 0.5.
    """

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0
    ):
        super().__init__(
            _loss_table.binary_crossentropy,
            name,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )
        self.from_logits, self.label_smoothing = from_logits, label_smoothing


class CategoricalCrossentropy(_LossMetric):
    """The mean categorical cross-entropy against one-hot targets, as
    keras.metrics.CategoricalCrossentropy.

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
        from_logits: whether the predictions are logits.
        label_smoothing: the factor in [0, 1] by which targets are smoothed towards uniform.
        axis: the class axis; only -1.

    Raises:
        NotImplementedError: for another axis.
    """

    def __init__(
        self,
        name="categorical_crossentropy",
        dtype=None,
        from_logits=False,
        label_smoothing=0,
        axis=-1,
    ):
        self.axis = _last_axis("CategoricalCrossentropy", axis)
        super().__init__(
            _loss_table.categorical_crossentropy,
            name,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )
        self.from_logits, self.label_smoothing = from_logits, label_smoothing


class SparseCategoricalCrossentropy(_LossMetric):
    """The mean cross-entropy against integer labels, as keras.metrics.SparseCategoricalCrossentropy.

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
        from_logits: whether the predictions are logits.
        ignore_class: only None (an ignored label is not supported).
        axis: the class axis; only -1.

    Raises:
        NotImplementedError: for ignore_class or another axis.
    """

    def __init__(
        self,
        name="sparse_categorical_crossentropy",
        dtype=None,
        from_logits=False,
        ignore_class=None,
        axis=-1,
    ):
        if ignore_class is not None:
            raise NotImplementedError(
                "SparseCategoricalCrossentropy: ignore_class is not supported (only None)"
            )
        self.axis = _last_axis("SparseCategoricalCrossentropy", axis)
        self.ignore_class = None
        super().__init__(
            _loss_table.sparse_categorical_crossentropy, name, dtype, from_logits=from_logits
        )
        self.from_logits = from_logits


class KLDivergence(_LossMetric):
    """The mean Kullback-Leibler divergence Σ y·log(y / p), as keras.metrics.KLDivergence.

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(_loss_table.kl_divergence, name, dtype)


class Poisson(_LossMetric):
    """The mean Poisson loss p - y·log(p), as keras.metrics.Poisson.

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
    """

    def __init__(self, name="poisson", dtype=None):
        super().__init__(_loss_table.poisson, name, dtype)


class Hinge(_LossMetric):
    """The mean hinge loss max(1 - y·p, 0) (labels 0/1 read as -1/1), as keras.metrics.Hinge.

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(_loss_table.hinge, name, dtype)


class SquaredHinge(_LossMetric):
    """The mean squared hinge loss, as keras.metrics.SquaredHinge.

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
    """

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(_loss_table.squared_hinge, name, dtype)


class CategoricalHinge(_LossMetric):
    """The mean categorical hinge loss, as keras.metrics.CategoricalHinge.

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(_loss_table.categorical_hinge, name, dtype)


class LogCoshError(_LossMetric):
    """The mean log(cosh(p - y)), as keras.metrics.LogCoshError (named 'logcosh', as Keras names it).

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(_loss_table.log_cosh, name, dtype)


def _cosine(y_true: Any, y_pred: Any) -> Any:
    """cos(y_true, y_pred) per sample: the loss' value negated (the loss is -cos)."""
    return -_loss_table.cosine_similarity(y_true, y_pred)


class CosineSimilarity(_LossMetric):
    """The mean cosine similarity of targets and predictions along the last axis (1 for the same
    direction), as keras.metrics.CosineSimilarity.

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
        axis: the axis of the vectors; only -1.

    Raises:
        NotImplementedError: for another axis.
    """

    _config_skip = ("axis",)  # Keras 3's config leaves it out too

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        self.axis = _last_axis("CosineSimilarity", axis)
        super().__init__(_cosine, name, dtype)


class _Count(_Confusion):
    """One of the four confusion counts per threshold (0.5 by default), weighted by sample_weight:
    a float for one threshold, one value per threshold for a list."""

    _default_name = ""

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(name or self._default_name, dtype)
        self._given_thresholds = thresholds
        self._setup(_thresholds(type(self).__name__, thresholds, 0.5))

    def get_config(self) -> dict:
        given = self._given_thresholds
        if isinstance(given, (tuple, np.ndarray)):
            given = [float(t) for t in given]
        return {"name": self.name, "dtype": "float32", "thresholds": given}

    def _counts(self) -> np.ndarray:
        raise NotImplementedError

    def _value(self) -> Any:
        c = self._counts()
        return float(c[0]) if len(c) == 1 else c.astype(np.float64)


class TruePositives(_Count):
    """Positives predicted positive (prediction above the threshold), as keras.metrics.TruePositives.

    Args:
        thresholds: a number or a list in [0, 1] (0.5 when None).
        name: the metric's name.
        dtype: accepted for Keras compatibility.

    Raises:
        ValueError: for a threshold outside [0, 1].
    """

    _default_name = "true_positives"

    def _counts(self) -> np.ndarray:
        return self.tp


class FalsePositives(_Count):
    """Negatives predicted positive, as keras.metrics.FalsePositives.

    Args:
        thresholds: a number or a list in [0, 1] (0.5 when None).
        name: the metric's name.
        dtype: accepted for Keras compatibility.

    Raises:
        ValueError: for a threshold outside [0, 1].
    """

    _default_name = "false_positives"

    def _counts(self) -> np.ndarray:
        return self.fp


class TrueNegatives(_Count):
    """Negatives predicted negative, as keras.metrics.TrueNegatives.

    Args:
        thresholds: a number or a list in [0, 1] (0.5 when None).
        name: the metric's name.
        dtype: accepted for Keras compatibility.

    Raises:
        ValueError: for a threshold outside [0, 1].
    """

    _default_name = "true_negatives"

    def _counts(self) -> np.ndarray:
        return self.tn


class FalseNegatives(_Count):
    """Positives predicted negative, as keras.metrics.FalseNegatives.

    Args:
        thresholds: a number or a list in [0, 1] (0.5 when None).
        name: the metric's name.
        dtype: accepted for Keras compatibility.

    Raises:
        ValueError: for a threshold outside [0, 1].
    """

    _default_name = "false_negatives"

    def _counts(self) -> np.ndarray:
        return self.fn
