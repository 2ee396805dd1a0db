"""Keras-style progress output: verbose=1 a bar redrawn with \\r, verbose=2 one line per epoch."""

from __future__ import annotations

import sys
import time

from rustgrad.keras.callbacks.base import Callback

_REDRAW_SECONDS = (
    0.05  # as Keras: redrawing on every one of 1875 steps would cost more than it shows
)


def resolve_verbose(verbose: object) -> int:
    """'auto' is 1 on a terminal and 2 otherwise, so logs never fill with bar redraws."""
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    if isinstance(verbose, bool):
        return int(verbose)
    if verbose in (0, 1, 2):
        return int(verbose)
    raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")


def format_logs(logs: dict) -> str:
    parts = []
    for k, v in logs.items():
        if isinstance(v, float):
            parts.append(f" - {k}: {v:.4f}" if abs(v) > 1e-3 or v == 0 else f" - {k}: {v:.4e}")
    return "".join(parts)


def per_step(seconds: float, steps: int) -> str:
    t = seconds / max(steps, 1)
    if t >= 1:
        return f"{t:.0f}s/step"
    if t >= 1e-3:
        return f"{t * 1e3:.0f}ms/step"
    return f"{t * 1e6:.0f}us/step"


class ProgbarLogger(Callback):
    """Prints progress for fit (and evaluate when verbose); Keras' layout and number formats.

    `ProgbarLogger()` as Keras takes it reads verbose, steps and epochs from the loop's params;
    fit adds one itself unless one is in `callbacks`. During fit's validation it stays quiet.

    Args:
        verbose: 0 silent, 1 a progress bar, 2 one line per epoch; None reads fit's verbose.
        steps: batches per epoch; None reads fit's.
        epochs: None reads fit's.
        stream: the file to print to (sys.stdout when None).
    """

    def __init__(self, verbose=None, steps=None, epochs=None, stream=None):
        super().__init__()
        self._given = (verbose, steps, epochs)
        self.verbose, self.steps = (1 if verbose is None else verbose), steps or 0
        self.epochs = 1 if epochs is None else epochs
        self.stream, self._in_fit = stream, False
        self.width = len(str(self.steps))

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        verbose, steps, epochs = self._given
        self.verbose = params.get("verbose", 1) if verbose is None else verbose
        self.steps = (params.get("steps") or 0) if steps is None else steps
        self.epochs = params.get("epochs", 0) if epochs is None else epochs
        self.width = len(str(self.steps))

    def wants_batches(self) -> bool:
        return False  # fit's chunked loop feeds it directly

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._in_fit = True

    def on_train_end(self, logs: dict | None = None) -> None:
        self._in_fit = False

    def _write(self, text: str) -> None:
        out = self.stream or sys.stdout
        out.write(text)
        out.flush()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.start = self.last_draw = time.perf_counter()
        self.seen = 0
        if self.epochs > 0 and self.verbose:
            self._write(f"Epoch {epoch + 1}/{self.epochs}\n")

    def on_test_begin(self, logs: dict | None = None) -> None:
        if not self._in_fit:
            self.on_epoch_begin(0, logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.seen = batch + 1
        now = time.perf_counter()
        if self.verbose != 1 or now - self.last_draw < _REDRAW_SECONDS:
            return
        self.last_draw = now
        eta = (now - self.start) / self.seen * (self.steps - self.seen)
        eta_s = f"{eta:.0f}s" if eta < 3600 else f"{eta // 3600:.0f}:{eta % 3600 // 60:02.0f}:00"
        self._write(f"\r{self._bar(self.seen)} - ETA: {eta_s}{format_logs(logs or {})}")

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._in_fit:
            self.on_train_batch_end(batch, logs)

    def _bar(self, done: int) -> str:
        filled = int(30 * done / max(self.steps, 1))
        arrow = ">" if done < self.steps else "="
        bar = ("=" * max(filled - 1, 0) + arrow if filled else ">")[:30].ljust(30, ".")
        return f"{done:>{self.width}}/{self.steps} [{bar}]"

    def _finish(self, logs: dict | None) -> None:
        elapsed = time.perf_counter() - self.start
        steps = self.seen or self.steps
        if self.verbose == 1:
            line = f"\r{self._bar(steps)} - {elapsed:.0f}s {per_step(elapsed, steps)}"
            self._write(f"{line}{format_logs(logs or {})}\n")
        elif self.verbose == 2:
            self._write(
                f"{steps}/{self.steps} - {elapsed:.0f}s{format_logs(logs or {})} - "
                f"{elapsed:.0f}s/epoch - {per_step(elapsed, steps)}\n"
            )

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._finish(logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        if not self._in_fit:
            self._finish(logs)

    def interrupted(self) -> None:
        """End the half-drawn bar line so the traceback starts on a fresh line."""
        if self.verbose == 1:
            self._write("\n")
