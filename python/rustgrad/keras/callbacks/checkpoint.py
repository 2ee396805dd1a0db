"""Callbacks that write training state to files: ModelCheckpoint (weights per epoch or per N
batches, Keras' templates and messages) and BackupAndRestore (resume an interrupted fit)."""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

from rustgrad import _files
from rustgrad.keras import _train_state, _weights_format, saving
from rustgrad.keras.callbacks.base import Callback
from rustgrad.keras.callbacks.monitor import _Monitor


class ModelCheckpoint(_Monitor):
    """Save the weights after every epoch (or every `save_freq` batches), or only when `monitor`
    improves, to `filepath`, which may hold fields such as '{epoch:02d}' or '{val_loss:.2f}'.
    A `.keras` path saves the whole model (model.save); `.weights.h5`, `.npz` or `.safetensors`
    save the weights (save_weights' formats).

    As keras.callbacks.ModelCheckpoint.

    Args:
        filepath: the file to write; may hold format fields of the epoch and the logs.
        monitor: the logs key save_best_only watches.
        verbose: print a line on each save.
        save_best_only: save only when `monitor` improves.
        save_weights_only: save the weights only (a `.keras` path is then refused).
        mode: "min", "max" or "auto" for `monitor`.
        save_freq: "epoch", or a positive number of batches.
        initial_value_threshold: None, or the value `monitor` must beat for the first save.

    Raises:
        ValueError: for a bad save_freq, mode, suffix, or save_weights_only with a `.keras` path.
    """

    def __init__(
        self,
        filepath: Any,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: Any = "epoch",
        initial_value_threshold: float | None = None,
    ):
        super().__init__(monitor, mode, 0.0)
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq <= 0
        ):
            raise ValueError(
                f"ModelCheckpoint: save_freq must be 'epoch' or a positive integer (batches), "
                f"got {save_freq!r}"
            )
        self.filepath = os.fspath(filepath)
        self._whole = self.filepath.lower().endswith(".keras")  # model.save, as Keras
        if self._whole and save_weights_only:
            raise ValueError(
                "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided "
                f"must end in `.weights.h5` (Keras weights format). Received: filepath={filepath}"
            )
        if not self._whole:
            saving.check_format(self.filepath)
        self.verbose, self.save_best_only = verbose, save_best_only
        self.save_weights_only, self.save_freq = save_weights_only, save_freq
        self.initial_value_threshold = initial_value_threshold
        if initial_value_threshold is not None:
            self.best = float(initial_value_threshold)
        self._epoch, self._since_save = 0, 0

    def wants_batches(self) -> bool:
        return self.save_freq != "epoch"

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            return
        self._since_save += 1
        if self._since_save >= self.save_freq:
            self._since_save = 0
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _path(self, epoch: int, batch: Any, logs: dict) -> str:
        fields = dict(logs) if batch is None or "batch" in logs else {**logs, "batch": batch + 1}
        try:
            return self.filepath.format(epoch=epoch + 1, **fields)
        except KeyError as exc:
            raise KeyError(
                f"ModelCheckpoint: filepath {self.filepath!r} names {exc}, which is not in the "
                f"logs; available: epoch, {', '.join(fields)}"
            ) from None

    def _save(self, epoch: int, batch: Any, logs: dict) -> None:
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"Can save best model only with {self.monitor} available, skipping.",
                    stacklevel=3,
                )
                return
            if not self.improved(float(current), self.best):
                if self.verbose > 0:
                    print(
                        f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}"
                    )
                return
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                    f"{float(current):.5f}, saving model to {path}"
                )
            self.best = float(current)
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self._whole:
            self.model.save(path)
        else:
            self.model.save_weights(path)


def _write_json(path: str, value: dict) -> None:
    _files.atomic_write(path, lambda f: json.dump(value, f), "w")


class BackupAndRestore(Callback):
    """Back up the weights, the training state and the epoch reached after every epoch to
    `backup_dir`; a later fit with the same callback resumes at that epoch (the same shuffles,
    as the backup keeps fit's shuffle seed) and the backup is deleted when fit ends normally.

    Each backup writes a new weights file (atomically, by save_weights), then the metadata that
    names it (atomically), then removes the previous one, so a crash at any moment leaves one
    consistent backup. The training state (the optimizer's step count and slots: momenta, Adam's
    moments, the use_ema averages; each random layer's stream: Dropout masks, noise,
    augmentation) is backed up beside the weights, sealed, so a resumed fit continues exactly as
    the uninterrupted one would have.

    As keras.callbacks.BackupAndRestore.

    Args:
        backup_dir: the folder holding the backup.
        save_freq: only "epoch" (mid-epoch backups are not supported).
        double_checkpoint: only False (each backup is already atomic).
        delete_checkpoint: delete the backup when fit ends normally.

    Raises:
        ValueError: when backup_dir is empty.
        NotImplementedError: for another save_freq or double_checkpoint=True.
    """

    def __init__(
        self,
        backup_dir: Any,
        save_freq: Any = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: empty `backup_dir` argument passed")
        if save_freq != "epoch":
            raise NotImplementedError(
                f"BackupAndRestore: save_freq={save_freq!r} (mid-epoch backups) is not supported; "
                "use save_freq='epoch'"
            )
        if double_checkpoint:
            raise NotImplementedError(
                "BackupAndRestore: double_checkpoint=True is not supported (each backup is "
                "already written atomically, so the previous one is never left half-written)"
            )
        self.backup_dir, self.save_freq = os.fspath(backup_dir), save_freq
        self.delete_checkpoint = delete_checkpoint
        self._meta = os.path.join(self.backup_dir, "training_metadata.json")

    def on_train_begin(self, logs: dict | None = None) -> None:
        if not os.path.exists(self._meta):
            return
        with open(self._meta) as f:
            meta = json.load(f)
        try:
            self.model.load_weights(os.path.join(self.backup_dir, meta["weights"]))
            epoch, iterations, seed = int(meta["epoch"]), int(meta["iterations"]), meta["seed"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"BackupAndRestore: the backup in {self.backup_dir} is unreadable ({exc}); "
                "delete the folder to start afresh"
            ) from exc
        try:
            raw = Path(self.backup_dir, meta["state"]).read_bytes()
            _train_state.restore(self.model, _weights_format.decode(raw, ".npz"))
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(
                f"BackupAndRestore: the training state in {self.backup_dir} is unreadable, "
                f"damaged or does not fit this model ({exc}); delete the folder to start afresh"
            ) from exc
        if self.model.optimizer.iterations != iterations:
            raise ValueError(
                f"BackupAndRestore: the backup in {self.backup_dir} is inconsistent (step "
                f"{iterations} in its metadata, {self.model.optimizer.iterations} in its state)"
            )
        self.model._initial_epoch = epoch
        self.model._fit_seed = int(seed)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        old: list[str] = []
        if os.path.exists(self._meta):
            with open(self._meta) as f:
                previous = json.load(f)
            old = [previous[k] for k in ("weights", "state") if previous.get(k)]
        name = f"weights_epoch{epoch + 1}.npz"
        self.model.save_weights(os.path.join(self.backup_dir, name))
        state = f"state_epoch{epoch + 1}.npz"
        raw = _weights_format.encode(_train_state.arrays(self.model), ".npz")  # sealed
        _files.atomic_write(os.path.join(self.backup_dir, state), lambda f: f.write(raw))
        meta = {
            "epoch": epoch + 1,
            "iterations": int(self.model.optimizer.iterations),
            "seed": int(getattr(self.model, "_fit_seed", 0)),
            "weights": name,
            "state": state,
        }
        _write_json(self._meta, meta)
        for previous in old:
            if previous not in (name, state):
                path = os.path.join(self.backup_dir, previous)
                if os.path.exists(path):
                    os.unlink(path)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir)
