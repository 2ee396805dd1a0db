"""One training epoch over arrays: per batch (when a callback has batch hooks) or in chunks of
batches per core call; and the running loss / metric logs every loop reports."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from rustgrad.distribute.replicas import local_sums

CHUNK_SECONDS = 0.05


def logs_of(names: list[str], loss_sum: float, seen: int, stats: list[list[float]]) -> dict:
    logs = {"loss": loss_sum / seen if seen else float("nan")}
    for name, (s, c) in zip(names, stats):
        logs[name] = s / c if c else 0.0
    return logs


def accumulate(stats: list[list[float]], batch: list) -> None:
    for acc, (s, c) in zip(stats, batch):
        acc[0] += s
        acc[1] += c


def replicas_of(model: Any) -> tuple:
    """How a loop combines its numbers across ranks.

    Args:
        model: the model being fit.

    Returns:
        (sums over every rank, rank 0's value) when fit runs on several ranks, else identities.
    """
    r = model.__dict__.get("_replicas")
    return (local_sums, lambda v: v) if r is None else (r.sums, r.agree)


def per_batch(model, cbs, xa, ya, sw, order, bs: int, steps: int) -> dict:
    core, opt, keys = model._engine(), model.optimizer, model._metric_keys
    sums, _ = replicas_of(model)
    loss_sum, seen, stats, logs = 0.0, 0, [[0.0, 0.0] for _ in keys], {}
    for step in range(steps):
        idx = order[step * bs : (step + 1) * bs]
        cbs.on_train_batch_begin(step)
        loss, batch = core.train_batch(xa, ya, idx, sw, lr=opt.lr_at(opt.iterations))
        opt.iterations += 1
        loss_sum += loss * len(idx)
        seen += len(idx)
        accumulate(stats, batch)
        logs = logs_of(keys, *sums(loss_sum, seen, stats))
        cbs.on_train_batch_end(step, logs)
        if model.stop_training:
            break
    return logs


def in_chunks(model, progress, xa, ya, sw, order, bs: int, steps: int) -> dict:
    """One epoch in calls of many batches (`train_batches`), sized to take about CHUNK_SECONDS so
    the progress bar still moves; the per-batch Python work was ~7% of an MNIST step at batch 32."""
    core, opt, keys = model._engine(), model.optimizer, model._metric_keys
    sums, agree = replicas_of(model)
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
            accumulate(stats, batch)
        opt.iterations += len(losses)
        step += len(losses)
        if error is not None:
            raise error
        if losses and progress is not None:
            logs = logs_of(keys, *sums(loss_sum, seen, stats))
            progress.on_train_batch_end(step - 1, logs)
        # Ranks must run the same chunks (each a series of collectives): rank 0's size rules.
        chunk = agree(max(1, min(256, int(CHUNK_SECONDS * count / max(elapsed, 1e-6)))))
    return logs_of(keys, *sums(loss_sum, seen, stats)) if seen else logs


def should_validate(epoch: int, freq: Any) -> bool:
    """Keras' validation_freq: an int runs validation every `freq` epochs, a list on those
    (1-based) epochs."""
    if isinstance(freq, int) and not isinstance(freq, bool):
        if freq <= 0:
            raise ValueError(f"validation_freq must be a positive integer, got {freq}")
        return (epoch + 1) % freq == 0
    try:
        return epoch + 1 in list(freq)
    except TypeError:
        raise ValueError(
            f"validation_freq must be an int or a list of epochs, got {freq!r}"
        ) from None
