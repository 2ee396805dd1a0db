"""Keras metrics: classes usable on their own and the names compile() resolves, both the core's metrics."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras import _config_args
from rustgrad.keras._names import unknown_name

__all__ = [
    "AUC",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "F1Score",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "Metric",
    "Poisson",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_squared_error",
    "poisson",
    "resolve",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "stateful",
    "top_k_categorical_accuracy",
]


class Metric:
    """A running mean of per-sample values: update_state(y_true, y_pred), result(), reset_state().

    Each batch is computed by the core metric `fit` runs (`_core.metric_batch`), sample weights
    broadcast by Keras' rules (per sample (n,), per value, or anything between). Inputs may be
    arrays or Tensors, also ones that require grad (read only: no graph is recorded); result()
    is a 0-d Tensor, as Keras' is: `float(m.result())`, `m.result().numpy()`, `f"{m.result():.4f}"`.

    As keras.metrics.Metric; subclass it with update_state and result for a custom metric (a
    model compiled with one evaluates it on the eager path). Calling a metric updates it and
    returns result().

    Args:
        name: the metric's name, the key in fit's logs (its snake_case class name when None).
        dtype: accepted for Keras compatibility; metrics accumulate in float64 and report float32.
    """

    core_name = ""

    def __init__(self, name: str | None = None, dtype: Any = None):
        self.name = name or self.core_name or _snake(type(self).__name__)
        self.total, self.count = 0.0, 0.0
        self._variables: list = []

    def get_config(self) -> dict:
        """Keras 3's keys: name, dtype, then the constructor's own arguments."""
        return _config_args.init_config(self, {"name": self.name, "dtype": "float32"}, Metric)

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        """A metric from get_config's dict.

        Args:
            config: the constructor arguments under Keras 3's keys.

        Returns:
            Metric: the new metric.
        """
        return _config_args.from_init_config(cls, config)

    def add_weight(
        self, name: str | None = None, shape: Any = (), initializer: Any = "zeros", dtype=None
    ) -> Any:
        """A state Variable (not trained), as Keras' Metric.add_weight; reset_state zeroes it.

        Args:
            name: the variable's name ("variable_<n>" when None).
            shape: its shape (a scalar when () or None).
            initializer: "zeros", "ones" or a number.
            dtype: accepted for Keras compatibility; the variable is float32.

        Returns:
            Variable: the new state variable.

        Raises:
            TypeError: for another initializer.
        """
        shape = () if shape is None else tuple(shape)
        init = {"zeros": 0.0, "ones": 1.0}.get(initializer, initializer)
        if not isinstance(init, (int, float)):
            raise TypeError(
                f"{type(self).__name__}.add_weight: initializer must be 'zeros', 'ones' or a "
                f"number, got {initializer!r}"
            )
        value = np.full(shape, float(init), dtype=np.float32)
        name = name or f"variable_{len(self.variables)}"
        v = _core.Variable(value, trainable=False, name=name)
        self.variables.append(v)
        return v

    @property
    def variables(self) -> list:
        """The state Variables made by add_weight."""
        if "_variables" not in self.__dict__:  # a subclass that skipped super().__init__
            self._variables = []
        return self._variables

    def reset_state(self) -> None:
        """Clear the running state: the mean's sums and every add_weight variable (to zeros)."""
        self.total, self.count = 0.0, 0.0
        for v in self.variables:
            v.assign(np.zeros(tuple(v.shape), dtype=np.float32))

    def reset_states(self) -> None:
        """tf.keras 2's name for reset_state."""
        self.reset_state()

    def core_args(self) -> dict:
        """What the core metric reads besides its name (binary_accuracy: the threshold)."""
        return {}

    def core_arg(self) -> float:
        """The one number the Rust step's metric reads (a threshold, top-k's k; else 0.5)."""
        return float(self.core_args().get("threshold", 0.5))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch to the running state.

        Args:
            y_true: the targets (an array or Tensor).
            y_pred: the predictions (an array or Tensor; no graph is recorded).
            sample_weight: None, or weights broadcast against the values by Keras' rules.

        Raises:
            ShapeError: when the shapes do not fit the metric.
        """
        total, count = _core.metric_batch(
            self.core_name, y_true, y_pred, sample_weight, **self.core_args()
        )
        self._add(total, count)

    def _add(self, total: float, count: float) -> None:
        self.total += total
        self.count += count

    def _value(self) -> float:
        """The running mean as a Python float (float64; what fit's logs hold)."""
        return self.total / self.count if self.count else 0.0

    def result(self) -> Any:
        """The metric's value so far (0 before any update).

        Returns:
            Tensor: a 0-d tensor.
        """
        return _core.Tensor(self._value())

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class BinaryAccuracy(Metric):
    """Share of outputs where (y_pred > threshold) equals y_true; threshold in (0, 1).

    Args:
        name: the metric's name.
        dtype: accepted for Keras compatibility.
        threshold: predictions above it count as 1, in (0, 1).

    Raises:
        ValueError: when threshold is outside (0, 1).
    """

    core_name = "binary_accuracy"

    def __init__(self, name: str | None = None, dtype: Any = None, threshold: float = 0.5):
        threshold = float(threshold)
        if not 0.0 < threshold < 1.0:
            raise ValueError(
                f"BinaryAccuracy: threshold must be in the open interval (0, 1), got {threshold}"
            )
        self.threshold = threshold
        super().__init__(name, dtype)

    def core_args(self) -> dict:
        return {"threshold": self.threshold}


class CategoricalAccuracy(Metric):
    """Share of rows whose largest prediction is at the one-hot label's position."""

    core_name = "categorical_accuracy"


class SparseCategoricalAccuracy(Metric):
    """Share of rows whose largest prediction is at the integer label."""

    core_name = "sparse_categorical_accuracy"


class MeanSquaredError(Metric):
    """mean((y_true - y_pred)**2) over the last axis, averaged per sample."""

    core_name = "mean_squared_error"


class MeanAbsoluteError(Metric):
    """`mean(|y_true - y_pred|)` over the last axis, averaged per sample."""

    core_name = "mean_absolute_error"


def _snake(name: str) -> str:
    out = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return {"a_u_c": "auc", "f1_score": "f1_score", "root_mean_squared_error": out}.get(out, out)


class _TopK(Metric):
    """Share of rows whose label is among the k largest predictions (k a positive integer).

    Args:
        k: how many of the largest predictions count (a positive int).
        name: the metric's name.
        dtype: accepted for Keras compatibility.

    Raises:
        ValueError: when k is not a positive int.
    """

    def __init__(self, k: int = 5, name: str | None = None, dtype: Any = None):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"{type(self).__name__}: k must be a positive integer, got {k!r}")
        self.k = int(k)
        super().__init__(name, dtype)

    def core_args(self) -> dict:
        return {"threshold": float(self.k)}


class TopKCategoricalAccuracy(_TopK):
    """Share of rows whose one-hot label is among the k largest predictions (k=5)."""

    core_name = "top_k_categorical_accuracy"


class SparseTopKCategoricalAccuracy(_TopK):
    """Share of rows whose integer label is among the k largest predictions (k=5)."""

    core_name = "sparse_top_k_categorical_accuracy"


_CLASSES = {
    c.core_name: c
    for c in (
        BinaryAccuracy,
        CategoricalAccuracy,
        SparseCategoricalAccuracy,
        MeanSquaredError,
        MeanAbsoluteError,
        TopKCategoricalAccuracy,
        SparseTopKCategoricalAccuracy,
    )
}
_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}
_ACCURACY = ("accuracy", "acc")


class Mean(Metric):
    """The running (weighted) mean of the values given: Keras' loss tracker, `Mean(name="loss")`.
    Values are reduced per sample and weighted as Keras' `Mean.update_state` does (in the core)."""

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Add values (reduced per sample) to the running mean.

        Args:
            values: an array or Tensor of values.
            sample_weight: None, or weights broadcast against the values.
        """
        self._add(*_core.mean_batch(values, sample_weight))

    def __call__(self, values: Any, sample_weight: Any = None) -> Any:
        self.update_state(values, sample_weight)
        return self.result()


def get(identifier: Any) -> Metric:
    """A Metric object from an instance or a name as Keras 3 resolves it: snake_case names and
    class names ('mae', 'top_k_categorical_accuracy', 'precision', 'AUC', ...).

    Args:
        identifier: a Metric instance or class, or a name.

    Returns:
        Metric: the metric object.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        key = _ALIASES.get(identifier, identifier)
        if key in _CLASSES:
            return _CLASSES[key](name=identifier)
        for cls in [*_CLASSES.values(), *_stateful_classes()]:
            if identifier in (cls.__name__, _snake(cls.__name__)):
                return cls()
        if identifier in _functions():
            return MeanMetricWrapper(_functions()[identifier], name=identifier)
    elif callable(identifier):
        core = _core_name_of(identifier)
        if core:
            return _CLASSES[core](name=identifier.__name__)
        name = getattr(identifier, "__name__", None) or getattr(identifier, "name", None)
        return MeanMetricWrapper(identifier, name=name)  # a Loss object goes by its name, as Keras
    names = [
        *_CLASSES,
        *_ALIASES,
        *_ACCURACY,
        *(_snake(c.__name__) for c in _stateful_classes()),
        *(n for n in _functions() if n not in _CLASSES),
    ]
    raise unknown_name("metric", identifier, names)


def _functions() -> dict:
    """This module's metric functions by name (the accuracies, and the loss functions Keras also
    exports as metrics)."""
    names = globals()
    return {n: names[n] for n in __all__ if n[0].islower() and n not in _NOT_METRICS}


_NOT_METRICS = ("get", "resolve", "stateful")


def _core_name_of(fn: Any) -> str | None:
    """The core metric that computes `fn`, when fn is one of this module's own functions (a user's
    function is wrapped even when it shares a name with one)."""
    name = getattr(fn, "__name__", None)
    if name in _CLASSES and _functions().get(name) is fn:
        return name
    return None


def _stateful_classes() -> list:
    from rustgrad.keras import _loss_metrics, _metrics_more

    return [getattr(m, n) for m in (_metrics_more, _loss_metrics) for n in m.__all__]


def stateful(identifier: Any) -> bool:
    """True for a metric the Rust step cannot compute as Σ values / Σ weights (Precision, AUC,
    RootMeanSquaredError, a custom Metric subclass...): a model compiled with one trains and
    evaluates on the eager path, calling the metric's update_state once per batch.

    Args:
        identifier: what compile's metrics list holds (a name, a Metric, a class or a function).

    Returns:
        bool: whether the metric needs the eager path.
    """
    if isinstance(identifier, str) and identifier in _ACCURACY:
        return False
    if not isinstance(identifier, (str, Metric, type)):
        # One of this module's functions runs as its core metric; any other is wrapped.
        return callable(identifier) and _core_name_of(identifier) is None
    try:
        m = get(identifier)
    except ValueError:
        return False
    return type(m) not in _CLASSES.values() and type(m) is not Mean


def resolve(identifier: Any, loss_name: str, output_dim: int | None) -> tuple[str, str, float]:
    """(History key, core metric name, threshold) for what the user passed, resolving 'accuracy'
    as Keras does; the threshold is a BinaryAccuracy's (0.5 for every other metric).

    'accuracy'/'acc' follow the loss: binary_crossentropy -> binary_accuracy,
    sparse_categorical_crossentropy -> sparse_categorical_accuracy, otherwise categorical_accuracy,
    except that a single output column means binary_accuracy.

    Args:
        identifier: a metric name, Metric or metric function, as given to compile.
        loss_name: the core name of the output's loss.
        output_dim: the output's last dimension, or None when unknown.

    Returns:
        tuple: (History key, core metric name, threshold).

    Raises:
        ValueError: for an unknown metric.
    """
    if isinstance(identifier, str) and identifier in _ACCURACY:
        if loss_name == "binary_crossentropy" or output_dim == 1:
            return identifier, "binary_accuracy", 0.5
        if loss_name == "sparse_categorical_crossentropy":
            return identifier, "sparse_categorical_accuracy", 0.5
        return identifier, "categorical_accuracy", 0.5
    m = get(identifier)
    return m.name, m.core_name, m.core_arg()


# Imported last: they subclass the classes above. Keras exports its loss functions as metrics too.
from rustgrad.keras._loss_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    FalseNegatives,
    FalsePositives,
    Hinge,
    KLDivergence,
    LogCoshError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    TrueNegatives,
    TruePositives,
)
from rustgrad.keras._loss_table import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_squared_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from rustgrad.keras._metric_functions import (
    MeanMetricWrapper,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from rustgrad.keras._metrics_more import (
    AUC,
    F1Score,
    Precision,
    Recall,
    RootMeanSquaredError,
    Sum,
)
