"""Small callbacks: TerminateOnNaN, LearningRateScheduler, CSVLogger, LambdaCallback."""

from __future__ import annotations

import csv
import math
import os
from typing import Any, Callable

from rustgrad.keras.callbacks.base import Callback


class TerminateOnNaN(Callback):
    """Stop training after the first batch whose loss is NaN or infinite (History keeps that value)."""

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch start to schedule(epoch, lr) (or schedule(epoch)).

    As keras.callbacks.LearningRateScheduler.

    Args:
        schedule: a function (epoch, lr) -> lr, or (epoch) -> lr.
        verbose: print the rate set at each epoch.

    Raises:
        ValueError: (at an epoch's start) when the schedule returns a non-finite rate.
    """

    def __init__(self, schedule: Callable, verbose: int = 0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        opt = self.model.optimizer
        try:
            lr = self.schedule(epoch, float(opt.learning_rate))
        except TypeError:  # a one-argument schedule, as Keras also accepts
            lr = self.schedule(epoch)
        lr = float(lr)
        if not math.isfinite(lr):
            raise ValueError(f"LearningRateScheduler: schedule returned {lr} at epoch {epoch}")
        opt.learning_rate = lr
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class CSVLogger(Callback):
    """One CSV row per epoch: the epoch number and every logged value.

    As keras.callbacks.CSVLogger.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: add to an existing file (without repeating its header) instead of replacing it.
    """

    def __init__(self, filename: Any, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self.file: Any = None
        self.keys: list[str] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        has_header = (
            self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        )
        self.file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self.keys = None
        self.writer: Any = None
        self._skip_header = has_header

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self.writer = csv.DictWriter(self.file, ["epoch", *self.keys], delimiter=self.sep)
            if not self._skip_header:
                self.writer.writeheader()
        self.writer.writerow({"epoch": epoch, **{k: logs.get(k, "NA") for k in self.keys}})
        self.file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


class LambdaCallback(Callback):
    """A callback from plain functions: LambdaCallback(on_epoch_end=lambda epoch, logs: ...).

    As keras.callbacks.LambdaCallback.

    Args:
        **hooks: hook name (on_epoch_end, on_train_batch_begin, ...) -> function of that hook's
            arguments.

    Raises:
        ValueError: for a name that is not a Callback hook.
    """

    def __init__(self, **hooks: Callable):
        super().__init__()
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)
