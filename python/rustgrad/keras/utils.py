"""Keras utilities: to_categorical (integer labels to one-hot rows), normalize, set_random_seed,
PyDataset / Sequence (batches by index, in _pydataset.py), plot_history (curves), and
plot_model / model_to_dot (the model graph, with pydot and Graphviz; in _plot.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad.keras._compiled import pack_x_y_sample_weight, unpack_x_y_sample_weight
from rustgrad.keras._plot import model_to_dot, plot_model
from rustgrad.keras._pydataset import PyDataset, Sequence
from rustgrad.keras._sequence_utils import pad_sequences, timeseries_dataset_from_array

__all__ = [
    "PyDataset",
    "Sequence",
    "model_to_dot",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "plot_history",
    "plot_model",
    "set_random_seed",
    "timeseries_dataset_from_array",
    "to_categorical",
    "unpack_x_y_sample_weight",
]


def set_random_seed(seed: int) -> None:
    """Seed Python's `random`, NumPy's global generator (weight initialisers, Dropout, fit's
    shuffles) and rustgrad's own (tf.random, rand/randn), as Keras seeds all it uses.

    Args:
        seed: an int.

    Raises:
        TypeError: when seed is not an int.
    """
    import random

    from rustgrad import random as rg_random

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"set_random_seed: seed must be an integer, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    rg_random.set_seed(int(seed))


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """x divided by its `order`-norm along `axis` (rows of norm 0 are left as they are).

    As keras.utils.normalize.

    Args:
        x: an array or Tensor.
        axis: the axis of the norm.
        order: the norm's order (2: Euclidean).

    Returns:
        numpy.ndarray: the normalised float32 array.
    """
    arr = np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float64)
    norm = np.atleast_1d(np.linalg.norm(arr, order, axis))
    norm[norm == 0] = 1
    return (arr / np.expand_dims(norm, axis)).astype(np.float32)


def to_categorical(y: Any, num_classes: int | None = None, dtype: Any = "float32") -> np.ndarray:
    """One-hot rows for integer labels: shape ``(*y.shape, num_classes)``, a trailing axis of 1 dropped.

    As keras.utils.to_categorical.

    Args:
        y: integer class labels (any array-like of whole numbers).
        num_classes: the number of classes; max(y) + 1 when None.
        dtype: the NumPy dtype of the result.

    Returns:
        numpy.ndarray: the one-hot array.

    Raises:
        ValueError: for a non-integer, NaN or out-of-range label.
    """
    arr = np.asarray(y)
    if arr.size and not np.all(np.isfinite(arr.astype(np.float64))):
        raise ValueError("to_categorical: labels contain NaN or infinity")
    labels = arr.astype(np.int64)
    if arr.size and np.any(labels != arr):
        bad = arr.reshape(-1)[np.flatnonzero(labels.reshape(-1) != arr.reshape(-1))[0]]
        raise ValueError(f"to_categorical: label {bad} is not an integer")
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(f"to_categorical: label {bad} is outside [0, {num_classes})")
    out = np.zeros((labels.size, num_classes), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out.reshape(*shape, num_classes)


def _figure_class() -> Any:
    # matplotlib is an optional extra: imported only here, so training never needs it.
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "plotting needs matplotlib: pip install rustgrad[examples] (or pip install matplotlib)"
        ) from exc
    return Figure


def plot_history(history: Any, path: Any = None, title: str | None = None) -> Any:
    """Loss and metric curves per epoch from a History (or its `.history` dict); one panel each.

    Training and validation values of a metric (`accuracy`, `val_accuracy`) share a panel. Returns
    the matplotlib Figure and, when `path` is given, saves it there (PNG, SVG, ... by the suffix).
    The Figure is made without pyplot, so no GUI backend is needed or changed.

    Args:
        history: a History from fit, or its `.history` dict.
        path: a file to save the figure to, or None.
        title: the figure's title, or None.

    Returns:
        matplotlib.figure.Figure: the figure.

    Raises:
        ValueError: when there is nothing to plot.
        ImportError: when matplotlib is not installed.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError("plot_history needs a History from fit() (or its non-empty .history dict)")
    names = [k for k in logs if not k.startswith("val_") and k != "learning_rate"]
    names += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in logs]
    fig = _figure_class()(figsize=(4.5 * len(names), 3.6), layout="constrained")
    for ax, name in zip(fig.subplots(1, len(names), squeeze=False)[0], names):
        for key, label in ((name, "train"), ("val_" + name, "validation")):
            if key in logs:
                values = logs[key]
                ax.plot(range(1, len(values) + 1), values, marker="o", ms=3, label=label)
        ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
