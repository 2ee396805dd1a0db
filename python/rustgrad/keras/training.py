"""fit: the loop over epochs, with Keras' callback order; each batch is one call into the core.

Array inputs are converted to contiguous float32 once per call; batches are index arrays into
them, which the core gathers with the GIL released. A batch either fully updates the weights or
not at all, so Ctrl-C (KeyboardInterrupt, raised between batches) never leaves weights
half-updated, and `model.history` keeps the epochs that finished. One epoch is _epoch.py's (or a
feed's, for a Dataset, generator or PyDataset); evaluate and predict are _evaluate.py's.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from rustgrad import data
from rustgrad.distribute.replicas import Replicas
from rustgrad.keras import _dataset_fit, _epoch, _evaluate, _inputs, _iter_fit, custom_step
from rustgrad.keras._evaluate import evaluate, predict  # noqa: F401 (Model calls them here)
from rustgrad.keras.callbacks.base import CallbackList, History
from rustgrad.keras.callbacks.progress import ProgbarLogger, resolve_verbose

_first = _evaluate.first


def _validation(model: Any, x, y, sw, validation_split: float, validation_data: Any):
    """((x, y, sw) to train on, (x, y, sw), a Dataset, generator or PyDataset to validate on, or
    None)."""
    if _dataset_fit.is_dataset(validation_data) or _iter_fit.is_batches(validation_data):
        return (x, y, sw), validation_data
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight), "
                "a tf.data.Dataset, a generator or a keras.utils.PyDataset"
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


def _feed(model, x, y, batch_size, sample_weight, validation_split, steps_per_epoch, cw, custom):
    """A Dataset's, generator's or PyDataset's feed (TrainFeed), or None for arrays."""
    if _iter_fit.is_batches(x):
        _iter_fit.check_args("fit", y, batch_size, sample_weight, validation_split)
        return _iter_fit.IterFeed(model, x, steps_per_epoch, cw, custom)
    return _dataset_fit.train_feed(
        model, x, y, batch_size, sample_weight, validation_split, steps_per_epoch, cw
    )


def _array_steps(n: int, bs: int, steps_per_epoch: Any) -> int:
    steps = math.ceil(n / bs)
    if steps_per_epoch is None:
        return steps
    wanted = _inputs.positive_int(steps_per_epoch, "steps_per_epoch")
    if wanted > steps:
        warnings.warn(
            f"steps_per_epoch={wanted} is more than the {steps} batches of {n} samples at "
            f"batch_size {bs}; each epoch runs {steps}",
            stacklevel=3,
        )
    return min(wanted, steps)


def fit(
    model: Any,
    x: Any = None,
    y: Any = None,
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
    steps_per_epoch: Any = None,
    validation_steps: Any = None,
    validation_batch_size: Any = None,
    validation_freq: Any = 1,
) -> History:
    # An overridden train_step (Keras' "customizing fit") may bring its own loss.
    custom = custom_step.overridden(model, "train_step")
    _evaluate.check_compiled(model, "training", need_loss=not custom)
    feed = _feed(
        model, x, y, batch_size, sample_weight, validation_split, steps_per_epoch, class_weight,
        custom,
    )  # fmt: skip
    if feed is not None and feed.fast:
        batch_size = feed.batch_size
    bs = _inputs.positive_int(32 if batch_size is None else batch_size, "batch_size")
    replicas = Replicas.begin(model, feed, bs)  # None unless several MPI ranks train
    vbs = _inputs.positive_int(validation_batch_size or bs, "validation_batch_size")
    _epoch.should_validate(0, validation_freq)  # its errors before training starts
    epochs = int(epochs)
    if feed is None:
        xa = _inputs.as_x(model, x)
        ya = custom_step.targets(model, y, _inputs.rows(xa), np.shape(_first(xa)))
        sw = _inputs.sample_weights(model, ya, _inputs.rows(xa), sample_weight, class_weight)
    else:
        xa, ya, sw = (feed.xa, feed.ya, feed.sw) if feed.fast else (None, None, None)
    (xa, ya, sw), val = _validation(model, xa, ya, sw, validation_split, validation_data)
    # How a custom train_step gets each batch: in the dataset element's structure, else (x, y).
    arity = feed._element_arity if feed is not None and feed.fast else 2
    # Rows per epoch: the arrays', a fast Dataset's plan's; None when batches come one by one.
    n = _inputs.rows(xa) if feed is None else (feed.rows if feed.fast else None)
    verbose = resolve_verbose(verbose)
    steps = _array_steps(n, bs, steps_per_epoch) if feed is None else feed.steps
    user = list(callbacks.callbacks if isinstance(callbacks, CallbackList) else callbacks or [])
    if replicas is not None:
        steps, user = replicas.steps(n, bs, steps), replicas.callbacks(user)
        verbose = verbose if replicas.rank == 0 else 0  # only the chief prints
    progress = next((c for c in user if isinstance(c, ProgbarLogger)), None)
    # Keras' order: progress first, History last (so it records keys other callbacks add).
    history = History()
    defaults = [] if progress is not None else [progress := ProgbarLogger()]
    params = {"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": bs}
    cbs = CallbackList([*defaults, *user, history], model=model, **params)
    model.history, model.stop_training = history, False
    # Each epoch's shuffle comes from (seed, epoch), the seed from NumPy's global state: so
    # np.random.seed(...) repeats a run, and BackupAndRestore resumes it with the same shuffles.
    model._fit_seed, model._initial_epoch = int(np.random.randint(0, 2**31 - 1)), None
    resume = model.__dict__.pop("_resume_point", None)  # set by load_model from a checkpoint
    if resume is not None and int(initial_epoch) > 0 and resume["epoch"] == int(initial_epoch):
        # Resuming a checkpoint at its epoch: the epochs left shuffle as they would have.
        model._fit_seed = resume["fit_seed"]
    model._replicas = replicas
    # Callbacks with batch hooks get one call per batch; otherwise batches run in chunks.
    per_batch = any(c.wants_batches() for c in user if c is not progress)
    logs: dict = {}
    cbs.on_train_begin()
    # As Keras: a callback restoring a backup (BackupAndRestore) says where training resumes.
    start = model._initial_epoch or int(initial_epoch)
    if replicas is not None:
        # Once callbacks have run (a BackupAndRestore may have set weights, seed and epoch): rank
        # 0's seed (one shuffled order everywhere), first epoch, weights, and loop (per batch or
        # in chunks: the chief alone may keep a batch-hooked TensorBoard) on every rank.
        model._fit_seed, start, per_batch = replicas.agree((model._fit_seed, start, per_batch))
        replicas.start(model)
    try:
        for epoch in range(start, epochs):
            cbs.on_epoch_begin(epoch)
            if feed is not None:
                feed.begin_epoch()
            if feed is not None and not feed.fast:
                logs = feed.epoch(model, cbs, custom)
                progress.steps = cbs.params["steps"] = feed.steps  # known once an epoch counted it
            else:
                rng = np.random.default_rng([model._fit_seed, epoch])
                if feed is not None:
                    order = feed.order()  # a Dataset orders its own rows; `shuffle` is unused
                else:
                    order = rng.permutation(n) if shuffle else np.arange(n, dtype=np.int64)
                # On several ranks, each trains on its shard of every global batch.
                order, rbs = (order, bs) if replicas is None else replicas.shard(order, bs, steps)
                if custom:
                    logs = custom_step.epoch(model, cbs, xa, ya, sw, order, rbs, steps, arity)
                elif per_batch:
                    logs = _epoch.per_batch(model, cbs, xa, ya, sw, order, rbs, steps)
                else:
                    logs = _epoch.in_chunks(model, progress, xa, ya, sw, order, rbs, steps)
            if feed is not None:
                feed.end_epoch()
            if replicas is not None and custom:
                replicas.check_in_sync(model, epoch)  # a step that bypassed apply_gradients
            logs = dict(logs)
            if val is not None and _epoch.should_validate(epoch, validation_freq):
                vlogs = _evaluate.validate(model, val, vbs, validation_steps, cbs)
                logs.update({f"val_{k}": v for k, v in vlogs.items()})
            model._epoch_reached = epoch + 1  # a checkpoint written now resumes after it
            cbs.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
    except KeyboardInterrupt:
        progress.interrupted()
        raise
    finally:
        if replicas is not None:
            replicas.end(model)
        model._replicas = None
    cbs.on_train_end(logs)
    return history
