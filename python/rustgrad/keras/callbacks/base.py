"""Callback base class, the list that dispatches events to callbacks, and History."""

from __future__ import annotations

from typing import Any


class Callback:
    """Hooks the fit/evaluate/predict loops call; override the ones you need. `self.model` is set."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None: ...
    def on_train_end(self, logs: dict | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_test_begin(self, logs: dict | None = None) -> None: ...
    def on_test_end(self, logs: dict | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_begin(self, logs: dict | None = None) -> None: ...
    def on_predict_end(self, logs: dict | None = None) -> None: ...


class CallbackList:
    """Forwards each event to every callback, in order."""

    def __init__(self, callbacks: list, model: Any, params: dict):
        self.callbacks = list(callbacks)
        for c in self.callbacks:
            if not isinstance(c, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {c!r}")
            c.set_model(model)
            c.set_params(params)

    def __getattr__(self, event: str):
        if not event.startswith("on_"):
            raise AttributeError(event)

        def call(*args: Any) -> None:
            for c in self.callbacks:
                getattr(c, event)(*args)

        return call


class History(Callback):
    """Per-epoch logs: `history.history['loss']`, `history.epoch`; what fit() returns."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch: list[int] = []
        self.history: dict[str, list] = {}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def plot(self, path: Any = None, title: str | None = None) -> Any:
        """Loss and metric curves (needs matplotlib); see rustgrad.keras.utils.plot_history."""
        from rustgrad.keras.utils import plot_history

        return plot_history(self, path, title)
