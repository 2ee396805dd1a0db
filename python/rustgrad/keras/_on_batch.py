"""Model.train_on_batch / test_on_batch / predict_on_batch: one batch, one core call, no callbacks.

As Keras since it reset metrics at the start of each call (keras-team/keras#22617), the values
returned are this batch's alone, not a running mean over earlier calls."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad.distribute import _state as distribute_state
from rustgrad.keras import _epoch, _evaluate, _inputs, custom_step


def _arrays(model: Any, x: Any, y: Any, sample_weight: Any, class_weight: Any) -> tuple:
    xa = _inputs.as_x(model, x)
    n = _inputs.rows(xa)
    ya = custom_step.targets(model, y, n, np.shape(_evaluate.first(xa)))
    if ya is None:
        return xa, None, None
    return xa, ya, _inputs.sample_weights(model, ya, n, sample_weight, class_weight)


def _step(model: Any, kind: str, x, y, sample_weight, class_weight, return_dict: bool) -> Any:
    custom = custom_step.overridden(model, f"{kind}_step")
    strategy = distribute_state.strategy_of(model)
    if kind == "train" and strategy is not None and strategy.distributed:
        # Without fit's sharding and gradient averaging each rank would drift on its own batches.
        raise NotImplementedError(
            "train_on_batch under an MPIStrategy with several ranks: use fit, which shards each "
            "global batch and averages the gradients"
        )
    _evaluate.check_compiled(model, "training" if kind == "train" else "evaluating", not custom)
    xa, ya, sw = _arrays(model, x, y, sample_weight, class_weight)
    if custom:
        model.reset_metrics()
        data = (custom_step._tensors(xa), custom_step._tensors(ya))
        data = data if sw is None else (*data, custom_step._tensors(sw))
        step = model.train_step if kind == "train" else model.test_step
        logs = custom_step._floats(step(data))
    else:
        core, opt = model._engine(), model.optimizer
        if kind == "train":
            loss, batch = core.train_batch(xa, ya, None, sw, lr=opt.lr_at(opt.iterations))
            opt.iterations += 1
        else:
            loss, batch = core.eval_batch(xa, ya, sample_weight=sw)
        stats = [[0.0, 0.0] for _ in model._metric_keys]
        _epoch.accumulate(stats, batch)
        logs = _epoch.logs_of(model._metric_keys, loss, 1, stats)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


class OnBatchMixin:
    """The one-batch methods of keras.Model."""

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: Any = None,
        return_dict: bool = False,
    ) -> Any:
        """One optimizer step on (x, y); the loss (and metrics) of this batch, before the step.

        Args:
            x: one batch of inputs.
            y: its targets.
            sample_weight: None, or one weight per sample.
            class_weight: None, or {class index: weight}.
            return_dict: return {name: value} instead of a list.

        Returns:
            float | list | dict: the loss, or [loss, *metrics], or a dict.

        Raises:
            RuntimeError: when the model is not compiled.
            ValueError: when the shapes do not fit.
        """
        with self._fit_lock:
            return _step(self, "train", x, y, sample_weight, class_weight, return_dict)

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """Loss (and metrics) of one batch without updating the weights.

        Args:
            x: one batch of inputs.
            y: its targets.
            sample_weight: None, or one weight per sample.
            return_dict: return {name: value} instead of a list.

        Returns:
            float | list | dict: the loss, or [loss, *metrics], or a dict.

        Raises:
            RuntimeError: when the model is not compiled.
            ValueError: when the shapes do not fit.
        """
        return _step(self, "test", x, y, sample_weight, None, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs for one batch (as predict, without splitting x).

        Args:
            x: one batch of inputs.

        Returns:
            numpy.ndarray | list | dict: one array per output.
        """
        out = self._engine().predict_batch(_inputs.as_x(self, x))
        return self._pack_outputs(out if isinstance(out, list) else [out])
