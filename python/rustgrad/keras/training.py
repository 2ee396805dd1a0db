"""The loops over many batches (fit, evaluate, predict); each batch is one call into the Rust core.

Inputs are converted to contiguous float32 once per call; batches are index arrays into them, which
the core gathers with the GIL released. A batch either fully updates the weights or not at all, so
Ctrl-C (KeyboardInterrupt, raised between batches) never leaves weights half-updated, and
`model.history` keeps the epochs that finished.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from rustgrad import data
from rustgrad.keras import _dataset_fit, _inputs, custom_step
from rustgrad.keras.callbacks.base import Callback, CallbackList, History
from rustgrad.keras.callbacks.progress import ProgbarLogger, resolve_verbose

CHUNK_SECONDS = 0.05


def _logs(names: list[str], loss_sum: float, seen: int, stats: list[list[float]]) -> dict:
    logs = {"loss": loss_sum / seen if seen else float("nan")}
    for name, (s, c) in zip(names, stats):
        logs[name] = s / c if c else 0.0
    return logs


def _accumulate(stats: list[list[float]], batch: list) -> None:
    for acc, (s, c) in zip(stats, batch):
        acc[0] += s
        acc[1] += c


def run_eval(model: Any, x: np.ndarray, y: np.ndarray, sw: Any, batch_size: int, cbs=None) -> dict:
    """Loss (batch means weighted by batch size, as Keras) and metrics over all of (x, y)."""
    core, n = model._engine(), _inputs.rows(x)
    loss_sum, stats = 0.0, [[0.0, 0.0] for _ in model._metric_keys]
    for step, start in enumerate(range(0, n, batch_size)):
        stop = min(start + batch_size, n)
        w = None if sw is None else sw[start:stop]
        # Slices of C-contiguous arrays are contiguous views, so no index gather is needed here.
        xb, yb = _inputs.take(x, start, stop), _inputs.take(y, start, stop)
        loss, batch = core.eval_batch(xb, yb, sample_weight=w)
        loss_sum += loss * (stop - start)
        _accumulate(stats, batch)
        if cbs is not None:
            cbs.on_test_batch_end(step, _logs(model._metric_keys, loss_sum, stop, stats))
    return _logs(model._metric_keys, loss_sum, n, stats)


def _eval(model: Any, x: Any, y: Any, sw: Any, batch_size: int, cbs: Any = None) -> dict:
    """run_eval, or an overridden test_step once per batch."""
    if custom_step.overridden(model, "test_step"):
        return custom_step.evaluate(model, x, y, sw, batch_size, cbs)
    return run_eval(model, x, y, sw, batch_size, cbs)


def _validation(model: Any, x, y, sw, validation_split: float, validation_data: Any):
    """((x, y, sw) to train on, (x, y, sw) or a Dataset to validate on, or None)."""
    if _dataset_fit.is_dataset(validation_data):
        return (x, y, sw), validation_data
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight)"
            )
        xv = _inputs.as_x(model, validation_data[0], "x_val")
        nv = _inputs.rows(xv)
        yv = custom_step.targets(model, validation_data[1], nv, np.shape(_first(xv)), "y_val")
        swv = validation_data[2] if len(validation_data) == 3 else None
        swv = _inputs.sample_weights(model, yv, nv, swv, None)
        return (x, y, sw), (xv, yv, swv)
    if not validation_split:
        return (x, y, sw), None
    n = _inputs.rows(x)
    # The split point (the last fraction validates, as Keras) and its errors, from the indices.
    (train_idx, _), _ = data.validation_split(np.arange(n), None, validation_split)
    at = len(train_idx)
    parts = [(_inputs.take(a, 0, at), _inputs.take(a, at, n)) for a in (x, y)]
    swt, swv = (None, None) if sw is None else (sw[:at], sw[at:])
    return (parts[0][0], parts[1][0], swt), (parts[0][1], parts[1][1], swv)


def _first(x: Any) -> Any:
    return x[0] if isinstance(x, list) else x


def _check_compiled(model: Any, what: str, need_loss: bool = True) -> None:
    if model.optimizer is None:
        raise RuntimeError(f"You must compile your model before {what}: call model.compile(...)")
    if model.loss is None and need_loss:
        raise ValueError(
            f"No loss to {what}: compile() was called without one; e.g. model.compile(loss='mse')"
        )


def _has_batch_hooks(cb: Any) -> bool:
    return any(
        getattr(type(cb), hook, None) is not getattr(Callback, hook)
        for hook in ("on_train_batch_begin", "on_train_batch_end")
    )


def _epoch_per_batch(model, cbs, xa, ya, sw, order, bs: int, steps: int) -> dict:
    core, opt, keys = model._engine(), model.optimizer, model._metric_keys
    loss_sum, seen, stats, logs = 0.0, 0, [[0.0, 0.0] for _ in keys], {}
    for step in range(steps):
        idx = order[step * bs : (step + 1) * bs]
        cbs.on_train_batch_begin(step)
        loss, batch = core.train_batch(xa, ya, idx, sw, lr=opt.lr_at(opt.iterations))
        opt.iterations += 1
        loss_sum += loss * len(idx)
        seen += len(idx)
        _accumulate(stats, batch)
        logs = _logs(keys, loss_sum, seen, stats)
        cbs.on_train_batch_end(step, logs)
        if model.stop_training:
            break
    return logs


def _epoch_in_chunks(model, progress, xa, ya, sw, order, bs: int, steps: int) -> dict:
    """One epoch in calls of many batches (`train_batches`), sized to take about CHUNK_SECONDS so
    the progress bar still moves; the per-batch Python work was ~7% of an MNIST step at batch 32."""
    core, opt, keys = model._engine(), model.optimizer, model._metric_keys
    loss_sum, seen, stats, logs = 0.0, 0, [[0.0, 0.0] for _ in keys], {}
    step, chunk = 0, 4
    while step < steps:
        count = min(chunk, steps - step)
        idx = order[step * bs : (step + count) * bs]
        if callable(opt._lr):
            lrs = np.array([opt.lr_at(opt.iterations + i) for i in range(count)], np.float32)
        else:
            lrs = np.full(count, opt.lr_at(opt.iterations), np.float32)
        start = time.perf_counter()
        losses, batches, error = core.train_batches(xa, ya, idx, bs, lrs, sw)
        elapsed = time.perf_counter() - start
        for i, (loss, batch) in enumerate(zip(losses, batches)):
            rows = len(idx[i * bs : (i + 1) * bs])
            loss_sum += loss * rows
            seen += rows
            _accumulate(stats, batch)
        opt.iterations += len(losses)
        step += len(losses)
        if losses:
            logs = _logs(keys, loss_sum, seen, stats)
            progress.on_train_batch_end(step - 1, logs)
        if error is not None:
            raise error
        chunk = max(1, min(256, int(CHUNK_SECONDS * count / max(elapsed, 1e-6))))
    return logs


def fit(
    model: Any,
    x: Any,
    y: Any,
    batch_size: Any = None,
    epochs: int = 1,
    verbose: Any = "auto",
    callbacks: Any = None,
    validation_split: float = 0.0,
    validation_data: Any = None,
    shuffle: bool = True,
    class_weight: Any = None,
    sample_weight: Any = None,
    initial_epoch: int = 0,
    validation_batch_size: Any = None,
    steps_per_epoch: Any = None,
    validation_steps: Any = None,
) -> History:
    # An overridden train_step (Keras' "customizing fit") may bring its own loss.
    custom = custom_step.overridden(model, "train_step")
    _check_compiled(model, "training", need_loss=not custom)
    # A tf.data.Dataset: its batches (fast: its rows, for the array loop below) or None.
    feed = _dataset_fit.train_feed(
        model, x, y, batch_size, sample_weight, validation_split, steps_per_epoch, class_weight
    )
    if feed is not None and feed.fast:
        batch_size = feed.batch_size
    bs = _inputs.positive_int(32 if batch_size is None else batch_size, "batch_size")
    vbs = _inputs.positive_int(validation_batch_size or bs, "validation_batch_size")
    epochs = int(epochs)
    if feed is None:
        xa = _inputs.as_x(model, x)
        ya = custom_step.targets(model, y, _inputs.rows(xa), np.shape(_first(xa)))
        sw = _inputs.sample_weights(model, ya, _inputs.rows(xa), sample_weight, class_weight)
    else:
        xa, ya, sw = (feed.xa, feed.ya, feed.sw) if feed.fast else (None, None, None)
    (xa, ya, sw), val = _validation(model, xa, ya, sw, validation_split, validation_data)
    n, verbose = (_inputs.rows(xa) if feed is None else 0), resolve_verbose(verbose)
    steps = math.ceil(n / bs) if feed is None else feed.steps
    history = History()
    progress = ProgbarLogger(verbose, steps, epochs)
    params = {"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": bs}
    # Keras' order: progress first, History last (so it records keys other callbacks add).
    cbs = CallbackList([progress, *(callbacks or []), history], model, params)
    model.history, model.stop_training = history, False
    # Shuffles come from NumPy's global state, so np.random.seed(...) makes a run repeatable.
    rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))
    # Callbacks with batch hooks get one call per batch; otherwise batches run in chunks.
    per_batch = any(_has_batch_hooks(c) for c in callbacks or [])
    logs: dict = {}
    cbs.on_train_begin()
    try:
        for epoch in range(int(initial_epoch), epochs):
            cbs.on_epoch_begin(epoch)
            if feed is not None and not feed.fast:
                logs = feed.epoch(model, cbs, custom)
                progress.steps = params["steps"] = feed.steps  # known once an epoch counted it
            else:
                if feed is not None:
                    order = feed.order()  # a Dataset orders its own rows; `shuffle` is unused
                else:
                    order = rng.permutation(n) if shuffle else np.arange(n, dtype=np.int64)
                if custom:
                    logs = custom_step.epoch(model, cbs, xa, ya, sw, order, bs, steps)
                elif per_batch:
                    logs = _epoch_per_batch(model, cbs, xa, ya, sw, order, bs, steps)
                else:
                    logs = _epoch_in_chunks(model, progress, xa, ya, sw, order, bs, steps)
            if _dataset_fit.is_dataset(val):
                vlogs = _dataset_fit.evaluate(model, val, validation_steps, what="validation")
                logs.update({f"val_{k}": v for k, v in vlogs.items()})
            elif val is not None:
                vlogs = _eval(model, *val, vbs)
                logs.update({f"val_{k}": v for k, v in vlogs.items()})
            cbs.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
    except KeyboardInterrupt:
        progress.interrupted()
        raise
    cbs.on_train_end(logs)
    return history


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
    _check_compiled(model, "evaluating", need_loss=not custom)
    verbose = resolve_verbose(verbose)
    if _dataset_fit.is_dataset(x):
        _dataset_fit.check_args("evaluate", y, batch_size, sample_weight)
        n_steps = _dataset_fit.eval_steps(x, steps)
        run = lambda cbs: _dataset_fit.evaluate(model, x, steps, cbs)
    else:
        bs = _inputs.positive_int(32 if batch_size is None else batch_size, "batch_size")
        xa = _inputs.as_x(model, x)
        n = _inputs.rows(xa)
        ya = custom_step.targets(model, y, n, np.shape(_first(xa)))
        sw = _inputs.sample_weights(model, ya, n, sample_weight, None)
        n_steps = math.ceil(n / bs)
        run = lambda cbs: _eval(model, xa, ya, sw, bs, cbs)
    progress = ProgbarLogger(verbose, n_steps, epochs=0)
    params = {"steps": n_steps, "verbose": verbose}
    cbs = CallbackList([*(callbacks or []), progress], model, params)
    cbs.on_test_begin()
    logs = run(cbs)
    cbs.on_test_end(logs)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model: Any, x: Any, batch_size: Any = None, verbose: Any = 0, steps: Any = None) -> Any:
    """An array per output (a list, or a dict when the outputs were given as one)."""
    if _dataset_fit.is_dataset(x):
        _dataset_fit.check_args("predict", None, batch_size)
        outs = _dataset_fit.predict(model, x, steps)
    else:
        bs = _inputs.positive_int(32 if batch_size is None else batch_size, "batch_size")
        xa = _inputs.as_x(model, x)
        core, n = model._engine(), _inputs.rows(xa)
        outs = [core.predict_batch(_inputs.take(xa, i, i + bs)) for i in range(0, n, bs)]
    per_output = []
    for k, shape in enumerate(model._output_shapes()):
        parts = [o if len(model._output_shapes()) == 1 else o[k] for o in outs]
        if not parts:
            per_output.append(np.zeros((0, *shape[1:]), dtype=np.float32))
        else:
            per_output.append(parts[0] if len(parts) == 1 else np.concatenate(parts))
    return model._pack_outputs(per_output)
