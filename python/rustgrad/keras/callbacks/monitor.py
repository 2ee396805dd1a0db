"""Callbacks that watch a logged quantity: EarlyStopping, ReduceLROnPlateau (and the _Monitor that
ModelCheckpoint in checkpoint.py shares)."""

from __future__ import annotations

import math
import warnings
from typing import Any

from rustgrad.keras.callbacks.base import Callback


class _Monitor(Callback):
    """Tracks the best value of `monitor`; 'auto' mode maximises accuracies and minimises the rest.

    Args:
        monitor: the logs key to watch ("val_loss", "accuracy", ...).
        mode: "min", "max", or "auto" (max for accuracies and AUC, min for the rest).
        min_delta: the smallest change that counts as an improvement.

    Raises:
        ValueError: for another mode.
    """

    def __init__(self, monitor: str, mode: str, min_delta: float):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor or monitor.endswith("auc") else "min"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(float(min_delta))
        self.best = math.inf if mode == "min" else -math.inf

    def improved(self, current: float, reference: float) -> bool:
        """Whether `current` beats `reference` by more than min_delta in the monitored direction.

        Args:
            current: the new value.
            reference: the value to beat.

        Returns:
            bool: True for an improvement.
        """
        if self.mode == "min":
            return current + self.min_delta < reference
        return current - self.min_delta > reference

    def current(self, logs: dict | None) -> float | None:
        """The monitored value in `logs`, or None (with a warning naming the keys there are).

        Args:
            logs: an epoch's logs.

        Returns:
            float | None: the value.
        """
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"{type(self).__name__}: '{self.monitor}' is not in the logs; available: "
                f"{', '.join(logs or {})}",
                stacklevel=3,
            )
        return value


class EarlyStopping(_Monitor):
    """Stop when `monitor` has not improved for `patience` epochs; optionally restore the best weights
    (also when the epochs run out first).

    As keras.callbacks.EarlyStopping.

    Args:
        monitor: the logs key to watch.
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: print a line when stopping (and when restoring).
        mode: "min", "max", or "auto" (max for accuracies and AUC, min for the rest).
        baseline: None, or a value the monitor must beat for the wait to reset.
        restore_best_weights: put back the best epoch's weights at the end.
        start_from_epoch: epochs to wait before watching.

    Raises:
        ValueError: for an unknown mode.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ):
        super().__init__(monitor, mode, min_delta)
        self.patience, self.verbose, self.baseline = int(patience), verbose, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = self.current(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self.improved(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self.improved(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(
                    f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)


class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by `factor` after `patience` epochs without improvement.

    As keras.callbacks.ReduceLROnPlateau; adds `learning_rate` to each epoch's logs.

    Args:
        monitor: the logs key to watch.
        factor: the learning rate's multiplier (< 1).
        patience: epochs without improvement before reducing.
        verbose: print a line on each reduction.
        mode: "min", "max", or "auto" (max for accuracies and AUC, min for the rest).
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction.
        min_lr: the learning rate's floor.
        **kwargs: tf.keras 2's `epsilon` (min_delta's old name).

    Raises:
        ValueError: when factor >= 1 or the mode is unknown.
        TypeError: for any other keyword.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0, got {factor}")
        min_delta = kwargs.pop("epsilon", min_delta)
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected keyword arguments {sorted(kwargs)}")
        super().__init__(monitor, mode, min_delta)
        self.factor, self.patience, self.verbose = float(factor), int(patience), verbose
        self.cooldown, self.min_lr = int(cooldown), float(min_lr)
        self.wait = self.cooldown_counter = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait = self.cooldown_counter = 0
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs if logs is not None else {}
        opt = self.model.optimizer
        logs["learning_rate"] = float(opt.learning_rate)
        current = self.current(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.improved(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and opt.learning_rate > self.min_lr:
                new_lr = max(opt.learning_rate * self.factor, self.min_lr)
                opt.learning_rate = new_lr
                if self.verbose:
                    print(
                        f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}."
                    )
                self.cooldown_counter, self.wait = self.cooldown, 0
