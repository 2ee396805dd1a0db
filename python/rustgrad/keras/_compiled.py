"""TF 2 Keras' `model.compiled_loss` and `model.compiled_metrics`, which the tensorflow.org guide
"Customizing what happens in fit()" calls in its train_step: the compiled loss (with the
regularization losses passed in) feeding the "loss" tracker, and the compiled metrics' updates."""

from __future__ import annotations

from typing import Any


class CompiledLoss:
    """`model.compiled_loss(y, y_pred, sample_weight=None, regularization_losses=None)`: the
    compiled losses (weighted over outputs) plus the sum of `regularization_losses`, as a Tensor;
    the "loss" tracker (model.metrics[0]) takes the value, weighted by the batch's rows.

    Unlike `compute_loss`, only the regularization losses passed in are added, as in TF 2 (the
    guide passes `self.losses`), so nothing is counted twice.

    Args:
        model: the compiled model.
    """

    def __init__(self, model: Any):
        self._model = model

    def __call__(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None, regularization_losses: Any = None
    ) -> Any:
        """The loss of a batch (see the class docstring).

        Args:
            y_true: the targets (a list for several outputs).
            y_pred: the model's outputs.
            sample_weight: None, or per-sample weights.
            regularization_losses: None, or a list of scalar Tensors to add.

        Returns:
            Tensor: the scalar loss.

        Raises:
            ValueError: when the model was compiled without a loss.
        """
        from rustgrad.keras.custom_step import _rows, compiled_total

        m = self._model
        total = compiled_total(m, y_true, y_pred, sample_weight, "compiled_loss")
        for extra in regularization_losses or []:
            total = total + extra
        m._take_losses()  # this call's added losses are the ones passed in, if any
        m.metrics[0].update_state(total, sample_weight=_rows(y_pred))
        return total


class CompiledMetrics:
    """`model.compiled_metrics`: `update_state(y, y_pred, sample_weight=None)` updates every
    compiled metric with a batch; `metrics` lists them; `reset_state()` resets them.

    Args:
        model: the compiled model.
    """

    def __init__(self, model: Any):
        self._model = model

    @property
    def metrics(self) -> list:
        """The compiled metrics (model.metrics without the "loss" tracker)."""
        return self._model.metrics[1:]

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Update every compiled metric with a batch.

        Args:
            y_true: the targets (a list for several outputs).
            y_pred: the model's outputs.
            sample_weight: None, or per-sample weights (see compute_metrics).
        """
        self._model.compute_metrics(None, y_true, y_pred, sample_weight)

    def reset_state(self) -> None:
        """Reset every compiled metric."""
        for m in self.metrics:
            m.reset_state()


def unpack_x_y_sample_weight(data: Any) -> tuple:
    """(x, y, sample_weight) from a batch: a tuple or list of 1 to 3 items, or x alone, as
    keras.utils.unpack_x_y_sample_weight.

    Args:
        data: the batch.

    Returns:
        tuple: (x, y or None, sample_weight or None).

    Raises:
        ValueError: for a tuple or list of more than 3 items.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if not 1 <= len(data) <= 3:
        raise ValueError(
            f"unpack_x_y_sample_weight: expected (x,), (x, y) or (x, y, sample_weight), got a "
            f"tuple of {len(data)} items"
        )
    return (*data, None, None)[:3]


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> tuple:
    """(x,), (x, y) or (x, y, sample_weight), as keras.utils.pack_x_y_sample_weight.

    Args:
        x: the inputs.
        y: the targets, or None.
        sample_weight: the weights, or None.

    Returns:
        tuple: the batch.
    """
    if y is None:
        return (x,)
    return (x, y) if sample_weight is None else (x, y, sample_weight)
