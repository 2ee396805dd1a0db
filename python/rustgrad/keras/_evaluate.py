"""evaluate and predict over many batches (arrays, a tf.data.Dataset, a generator or a
PyDataset), with Keras' test and predict hooks; fit's validation pass is `validate`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rustgrad.keras import _dataset_fit, _epoch, _inputs, _iter_fit, custom_step
from rustgrad.keras.callbacks.base import CallbackList
from rustgrad.keras.callbacks.progress import ProgbarLogger, resolve_verbose


def first(x: Any) -> Any:
    return x[0] if isinstance(x, list) else x


def run_eval(model: Any, x: np.ndarray, y: np.ndarray, sw: Any, batch_size: int, cbs=None) -> dict:
    """Loss (batch means weighted by batch size, as Keras) and metrics over all of (x, y)."""
    core, n = model._engine(), _inputs.rows(x)
    loss_sum, stats = 0.0, [[0.0, 0.0] for _ in model._metric_keys]
    seen = 0
    for step, start in enumerate(range(0, n, batch_size)):
        stop = min(start + batch_size, n)
        if cbs is not None:
            cbs.on_test_batch_begin(step)
        w = None if sw is None else sw[start:stop]
        # Slices of C-contiguous arrays are contiguous views, so no index gather is needed here.
        xb, yb = _inputs.take(x, start, stop), _inputs.take(y, start, stop)
        loss, batch = core.eval_batch(xb, yb, sample_weight=w)
        loss_sum, seen = loss_sum + loss * (stop - start), stop
        _epoch.accumulate(stats, batch)
        if cbs is not None:
            cbs.on_test_batch_end(step, _epoch.logs_of(model._metric_keys, loss_sum, stop, stats))
        if getattr(model, "stop_evaluating", False):
            break
    return _epoch.logs_of(model._metric_keys, loss_sum, seen if seen else n, stats)


def eval_arrays(model: Any, x: Any, y: Any, sw: Any, batch_size: int, cbs: Any = None) -> dict:
    """run_eval, or an overridden test_step once per batch."""
    if custom_step.overridden(model, "test_step"):
        return custom_step.evaluate(model, x, y, sw, batch_size, cbs)
    return run_eval(model, x, y, sw, batch_size, cbs)


def validate(model: Any, val: Any, batch_size: int, steps: Any, cbs: Any) -> dict:
    """fit's validation pass, as Keras runs it: evaluate's hooks on fit's callbacks."""
    model.stop_evaluating = False
    cbs.on_test_begin()
    if _dataset_fit.is_dataset(val):
        logs = _dataset_fit.evaluate(model, val, steps, cbs, what="validation")
    elif _iter_fit.is_batches(val):
        batches = _iter_fit.elements(val, steps, "validation")
        logs = _dataset_fit.evaluate_elements(model, batches, cbs, "validation")
    else:
        logs = eval_arrays(model, *val, batch_size, cbs)
    cbs.on_test_end(logs)
    return logs


def check_compiled(model: Any, what: str, need_loss: bool = True) -> None:
    if model.optimizer is None:
        raise RuntimeError(f"You must compile your model before {what}: call model.compile(...)")
    if model.loss is None and need_loss:
        raise ValueError(
            f"No loss to {what}: compile() was called without one; e.g. model.compile(loss='mse')"
        )


def evaluate(
    model: Any,
    x: Any,
    y: Any,
    batch_size: Any = None,
    verbose: Any = "auto",
    sample_weight: Any = None,
    callbacks: Any = None,
    return_dict: bool = False,
    steps: Any = None,
) -> Any:
    custom = custom_step.overridden(model, "test_step")
    check_compiled(model, "evaluating", need_loss=not custom)
    verbose = resolve_verbose(verbose)
    if _dataset_fit.is_dataset(x):
        _dataset_fit.check_args("evaluate", y, batch_size, sample_weight)
        n_steps = _dataset_fit.eval_steps(x, steps)
        run = lambda cbs: _dataset_fit.evaluate(model, x, steps, cbs)
    elif _iter_fit.is_batches(x):
        _iter_fit.check_args("evaluate", y, batch_size, sample_weight)
        n_steps = _iter_fit.pass_steps(x, steps)
        run = lambda cbs: _dataset_fit.evaluate_elements(
            model, _iter_fit.elements(x, steps, "evaluate"), cbs
        )
    else:
        bs = _inputs.positive_int(32 if batch_size is None else batch_size, "batch_size")
        xa = _inputs.as_x(model, x)
        n = _inputs.rows(xa)
        ya = custom_step.targets(model, y, n, np.shape(first(xa)))
        sw = _inputs.sample_weights(model, ya, n, sample_weight, None)
        n_steps = math.ceil(n / bs)
        if steps is not None:  # Keras: the first `steps` batches
            n_steps = min(_inputs.positive_int(steps, "steps"), n_steps)
            xa, ya = _inputs.take(xa, 0, n_steps * bs), _inputs.take(ya, 0, n_steps * bs)
            sw = None if sw is None else sw[: n_steps * bs]
        run = lambda cbs: eval_arrays(model, xa, ya, sw, bs, cbs)
    cbs = _callbacks(callbacks, model, verbose, n_steps)
    model.stop_evaluating = False
    cbs.on_test_begin()
    logs = run(cbs)
    cbs.on_test_end(logs)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _callbacks(callbacks: Any, model: Any, verbose: int, steps: int) -> CallbackList:
    if isinstance(callbacks, CallbackList):
        return callbacks
    user = list(callbacks or [])
    progress = [] if any(isinstance(c, ProgbarLogger) for c in user) else [ProgbarLogger()]
    return CallbackList([*user, *progress], model=model, verbose=verbose, epochs=0, steps=steps)


def predict(
    model: Any,
    x: Any,
    batch_size: Any = None,
    verbose: Any = 0,
    steps: Any = None,
    callbacks: Any = None,
) -> Any:
    """An array per output (a list, or a dict when the outputs were given as one)."""
    verbose = resolve_verbose(verbose)
    cbs = _callbacks(callbacks, model, 0, 0)  # predict prints no progress (yet)
    model.stop_predicting = False
    if _dataset_fit.is_dataset(x):
        _dataset_fit.check_args("predict", None, batch_size)
        cbs.on_predict_begin()
        outs = _dataset_fit.predict(model, x, steps, cbs)
    elif _iter_fit.is_batches(x):
        _iter_fit.check_args("predict", None, batch_size, None)
        cbs.on_predict_begin()
        outs = _dataset_fit.predict_elements(model, _iter_fit.elements(x, steps, "predict"), cbs)
    else:
        bs = _inputs.positive_int(32 if batch_size is None else batch_size, "batch_size")
        xa = _inputs.as_x(model, x)
        n = _inputs.rows(xa)
        if steps is not None:
            n = min(n, _inputs.positive_int(steps, "steps") * bs)
        cbs.on_predict_begin()
        outs = _predict_arrays(model, xa, n, bs, cbs)
    cbs.on_predict_end()
    per_output = []
    for k, shape in enumerate(model._output_shapes()):
        parts = [o if len(model._output_shapes()) == 1 else o[k] for o in outs]
        if not parts:
            per_output.append(np.zeros((0, *shape[1:]), dtype=np.float32))
        else:
            per_output.append(parts[0] if len(parts) == 1 else np.concatenate(parts))
    return model._pack_outputs(per_output)


def _predict_arrays(model: Any, xa: Any, n: int, bs: int, cbs: CallbackList) -> list:
    core, outs = model._engine(), []
    for step, start in enumerate(range(0, n, bs)):
        cbs.on_predict_batch_begin(step)
        out = core.predict_batch(_inputs.take(xa, start, min(start + bs, n)))
        outs.append(out)
        cbs.on_predict_batch_end(step, {"outputs": out})
        if model.stop_predicting:
            break
    return outs
