"""OptunaPruning: report each epoch's metric to an Optuna trial and stop the trial when Optuna's
pruner says it will not beat the others (as optuna-integration's TFKerasPruningCallback)."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.callbacks.base import Callback


def _optuna() -> Any:
    try:
        import optuna
    except ImportError as e:
        raise ImportError("OptunaPruning needs optuna: pip install rustgrad[tune]") from e
    return optuna


class OptunaPruning(Callback):
    """Prune unpromising Optuna trials during `fit`.

    Each epoch's `monitor` value is reported with `trial.report(value, step=epoch)`; when
    `trial.should_prune()` is true, `optuna.TrialPruned` is raised, which ends `fit` and which
    `study.optimize` records as a pruned trial.

    Args:
        trial: The `optuna.trial.Trial` of the objective function.
        monitor: The logged metric to report ("val_loss", "val_accuracy", ...); the study's
            direction must match it.

    Raises:
        ImportError: optuna is not installed.
        TypeError: monitor is not a string.
    """

    def __init__(self, trial: Any, monitor: str) -> None:
        super().__init__()
        self._optuna = _optuna()
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(f"OptunaPruning: monitor must be a metric name, got {monitor!r}")
        self.trial, self.monitor = trial, monitor

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Report the epoch's value; raise optuna.TrialPruned when the pruner says so.

        Args:
            epoch: The epoch index (0-based), used as Optuna's step.
            logs: The epoch's metrics.

        Raises:
            ValueError: `monitor` is not among the logged metrics (they are named).
            optuna.TrialPruned: the trial should stop.
        """
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(
                f"OptunaPruning: '{self.monitor}' is not among the metrics logged this epoch: "
                f"{', '.join(sorted(logs)) or 'none'}"
            )
        self.trial.report(float(logs[self.monitor]), step=epoch)
        if self.trial.should_prune():
            raise self._optuna.TrialPruned(f"pruned at epoch {epoch + 1}: {self.monitor}")
