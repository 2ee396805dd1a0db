"""compile()'s arguments per model output: a loss, a loss weight and metrics for each, given as one
value for all outputs, a list (one per output) or a dict keyed by output name, as Keras takes them."""

from __future__ import annotations

from typing import Any

from rustgrad.keras import custom_step, losses
from rustgrad.keras import metrics as metrics_mod


def _check_keys(value: dict, names: list[str], what: str) -> None:
    unknown = [k for k in value if k not in names]
    if unknown:
        raise ValueError(
            f"compile: {what} names output(s) {unknown} that the model does not have; "
            f"its outputs are {names}"
        )


def _check_len(value: Any, names: list[str], what: str) -> None:
    if len(value) != len(names):
        raise ValueError(
            f"compile: {what} is a list of {len(value)} entries but the model has "
            f"{len(names)} outputs {names}; give one per output (or a dict by output name)"
        )


def per_output_losses(loss: Any, names: list[str]) -> list[losses.Loss] | None:
    """One Loss per output, or None when compile was given no loss."""
    if loss is None:
        return None
    return [_default_reduction(v) for v in _losses(loss, names)]


def _default_reduction(loss: losses.Loss) -> losses.Loss:
    # fit's step reduces every batch by sum_over_batch_size; another reduction would be ignored.
    if getattr(loss, "reduction", "auto") not in ("sum_over_batch_size", "auto", "mean"):
        raise ValueError(
            f"compile: loss {loss.name!r} has reduction={loss.reduction!r}; fit reduces each batch "
            f"by 'sum_over_batch_size' only (use that, or call the loss in a custom train_step)"
        )
    return loss


def _losses(loss: Any, names: list[str]) -> list[losses.Loss]:
    if isinstance(loss, dict):
        _check_keys(loss, names, "loss")
        missing = [n for n in names if loss.get(n) is None]
        if missing:
            raise ValueError(
                f"compile: no loss for output(s) {missing}; every output needs one here "
                f"(the model's outputs are {names})"
            )
        return [losses.get(loss[n]) for n in names]
    if isinstance(loss, (list, tuple)):
        _check_len(loss, names, "loss")
        return [losses.get(v) for v in loss]
    one = losses.get(loss)
    return [one for _ in names]


def per_output_weights(loss_weights: Any, names: list[str]) -> list[float]:
    """The weight of each output's loss in the total (1.0 unless given)."""
    if loss_weights is None:
        return [1.0 for _ in names]
    if isinstance(loss_weights, dict):
        _check_keys(loss_weights, names, "loss_weights")
        return [float(loss_weights.get(n, 1.0)) for n in names]
    if isinstance(loss_weights, (list, tuple)):
        _check_len(loss_weights, names, "loss_weights")
        return [float(w) for w in loss_weights]
    return [float(loss_weights) for _ in names]


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def per_output_metrics(metrics: Any, names: list[str]) -> list[list]:
    """The metrics of each output: a list of lists (one per output), a dict by output name, or a
    flat list that every output gets (a single output's list, as for Sequential)."""
    if metrics is None:
        return [[] for _ in names]
    if isinstance(metrics, dict):
        _check_keys(metrics, names, "metrics")
        return [_as_list(metrics.get(n)) for n in names]
    if not isinstance(metrics, (list, tuple)):
        return [[metrics] for _ in names]
    nested = bool(metrics) and all(isinstance(m, (list, tuple)) or m is None for m in metrics)
    if nested:
        _check_len(metrics, names, "metrics")
        return [_as_list(m) for m in metrics]
    return [list(metrics) for _ in names]


def check_metric_names(specs: list[list], loss_list: list | None) -> None:
    """Unknown metric names fail at compile, not at the first fit."""
    for k, output_specs in enumerate(specs):
        loss_name = loss_list[k].core_name if loss_list else ""
        for m in output_specs:
            if not metrics_mod.stateful(m):
                metrics_mod.resolve(m, loss_name, None)


def output_dim(shape: tuple) -> int:
    return int(shape[-1]) if len(shape) > 1 and shape[-1] is not None else 1


def compile_engine(model: Any) -> None:
    """Hand the model's compile state to its engine: a loss, weight and metrics per output (core
    names), the optimizer's keywords, and the layers frozen at compile."""
    engine, names, shapes = model._engine(), model.output_names, model._output_shapes()
    if custom_step.python_step(model):  # fit runs train_step per batch: the engine is not compiled
        model._metric_keys = [m.name for m in model.metrics[1:]]
        return
    resolved = [
        [metrics_mod.resolve(m, loss.core_name, output_dim(shape)) for m in ms]
        for loss, ms, shape in zip(model._losses, model._metric_specs, shapes)
    ]
    kwargs = model.optimizer.core_kwargs()
    flags = {**model._frozen(), **model._frozen_at_compile}  # layers added since: as they are
    frozen = [i for i, layer in enumerate(model._core_layers) if flags.get(id(layer), False)]
    if frozen:
        kwargs["frozen"] = frozen
    if len(shapes) == 1:
        loss = model._losses[0]
        model._metric_keys = [key for key, _, _ in resolved[0]]
        if model._loss_weights[0] != 1.0:
            kwargs["loss_weights"] = model._loss_weights
        metric_names: Any = [(core, thr) for _, core, thr in resolved[0]]
        engine.compile(
            loss.core_name,
            metric_names,
            model.optimizer.core_name,
            **loss.compile_args(),
            **kwargs,
        )
    else:
        model._metric_keys = [f"{n}_loss" for n in names] + [
            f"{n}_{key}" for n, r in zip(names, resolved) for key, _, _ in r
        ]
        engine.compile(
            [loss.core_name for loss in model._losses],
            [[(core, thr) for _, core, thr in r] for r in resolved],
            model.optimizer.core_name,
            from_logits=[loss.from_logits for loss in model._losses],
            delta=[loss.delta for loss in model._losses],
            label_smoothing=[
                loss.compile_args().get("label_smoothing", 0.0) for loss in model._losses
            ],
            loss_weights=model._loss_weights,
            focal=[
                loss.focal() if hasattr(loss, "focal") else (0.25, 2.0, False)
                for loss in model._losses
            ],
            **kwargs,
        )
