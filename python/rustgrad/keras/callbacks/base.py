"""Callback base class, the list that dispatches events to callbacks, and History."""

from __future__ import annotations

from typing import Any

# Keras' hooks; the batch ones are the hooks whose callbacks make fit run one batch per call.
HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)
TRAIN_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")


class Callback:
    """Hooks the fit/evaluate/predict loops call; override the ones you need. `self.model` is set.

    As in Keras every hook gets a dict as `logs` (`{}` where there is nothing to report), and
    on_train_batch_begin/end also call the older on_batch_begin/end.
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict = {}

    def set_model(self, model: Any) -> None:
        """Attach the model the hooks act on; fit, evaluate and predict call it.

        Args:
            model: the Model being trained or evaluated, stored as `self.model`.
        """
        self.model = model

    def set_params(self, params: dict) -> None:
        """Record the loop's parameters (as Keras: `epochs`, `steps`, `verbose`).

        Args:
            params: the dict stored as `self.params`.
        """
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once when fit starts.

        Args:
            logs: an empty dict (nothing is reported here).
        """

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called once when fit ends (also after an early stop).

        Args:
            logs: the last epoch's logs, or {}.
        """

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the start of each training epoch.

        Args:
            epoch: the index of the epoch, from 0.
            logs: an empty dict (nothing is reported here).
        """

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the end of each epoch, after validation.

        Args:
            epoch: the index of the epoch, from 0.
            logs: the epoch's mean loss and metrics, with `val_` entries when validating.
        """

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each training batch (the older name of on_train_batch_begin).

        Args:
            batch: the index of the batch, from 0 (batches count within the epoch).
            logs: {} before a batch; after it, its loss and metrics (predict: its `outputs`).
        """

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each training batch (the older name of on_train_batch_end).

        Args:
            batch: the index of the batch, from 0 (batches count within the epoch).
            logs: {} before a batch; after it, its loss and metrics (predict: its `outputs`).
        """

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each training batch; the default calls on_batch_begin.

        Args:
            batch: the index of the batch, from 0 (batches count within the epoch).
            logs: {} before a batch; after it, its loss and metrics (predict: its `outputs`).
        """
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each training batch; the default calls on_batch_end.

        Args:
            batch: the index of the batch, from 0 (batches count within the epoch).
            logs: {} before a batch; after it, its loss and metrics (predict: its `outputs`).
        """
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs: dict | None = None) -> None:
        """Called when evaluate (or fit's validation) starts.

        Args:
            logs: an empty dict (nothing is reported here).
        """

    def on_test_end(self, logs: dict | None = None) -> None:
        """Called when evaluate (or fit's validation) ends.

        Args:
            logs: the evaluation's loss and metrics.
        """

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each evaluation batch.

        Args:
            batch: the index of the batch, from 0 (batches count within the epoch).
            logs: {} before a batch; after it, its loss and metrics (predict: its `outputs`).
        """

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each evaluation batch.

        Args:
            batch: the index of the batch, from 0 (batches count within the epoch).
            logs: {} before a batch; after it, its loss and metrics (predict: its `outputs`).
        """

    def on_predict_begin(self, logs: dict | None = None) -> None:
        """Called when predict starts.

        Args:
            logs: an empty dict (nothing is reported here).
        """

    def on_predict_end(self, logs: dict | None = None) -> None:
        """Called when predict ends.

        Args:
            logs: an empty dict (nothing is reported here).
        """

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each prediction batch.

        Args:
            batch: the index of the batch, from 0 (batches count within the epoch).
            logs: {} before a batch; after it, its loss and metrics (predict: its `outputs`).
        """

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each prediction batch.

        Args:
            batch: the index of the batch, from 0 (batches count within the epoch).
            logs: {} before a batch; after it, its loss and metrics (predict: its `outputs`).
        """

    def wants_batches(self) -> bool:
        """Whether fit must call the train batch hooks once per batch (else batches may run in
        chunks, much faster): true when a subclass overrides one of them."""
        return any(
            getattr(type(self), hook) is not getattr(Callback, hook) for hook in TRAIN_BATCH_HOOKS
        )


class CallbackList(Callback):
    """Forwards each event to every callback, in order, with `{}` for logs not given (as Keras).

    As keras.callbacks.CallbackList, for custom loops too.

    Args:
        callbacks: the Callback instances (None for none).
        add_history: append a History unless one is in `callbacks`.
        add_progbar: put a ProgbarLogger first unless one is in `callbacks`.
        model: the Model to attach to every callback, if given.
        **params: the loop parameters given to every callback's set_params.

    Raises:
        TypeError: when an element of `callbacks` is not a Callback.
    """

    def __init__(
        self,
        callbacks: Any = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ):
        super().__init__()
        self.callbacks = list(callbacks or [])
        for c in self.callbacks:
            if not isinstance(c, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {c!r}")
        if add_progbar and not any(type(c).__name__ == "ProgbarLogger" for c in self.callbacks):
            from rustgrad.keras.callbacks.progress import ProgbarLogger

            self.callbacks.insert(0, ProgbarLogger())
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        self.params = params
        for c in self.callbacks:
            c.set_params(params)
            if model is not None:
                c.set_model(model)
        self.model = model

    def append(self, callback: Callback) -> None:
        """Add a callback at the end of the list.

        Args:
            callback: the Callback to call after the others.
        """
        self.callbacks.append(callback)

    def set_model(self, model: Any) -> None:
        """Attach `model` to this list and every callback in it.

        Args:
            model: the Model the callbacks act on.
        """
        self.model = model
        for c in self.callbacks:
            c.set_model(model)

    def set_params(self, params: dict) -> None:
        """Give `params` to this list and every callback in it.

        Args:
            params: the loop's parameters (`epochs`, `steps`, `verbose`).
        """
        self.params = params
        for c in self.callbacks:
            c.set_params(params)

    def wants_batches(self) -> bool:
        """Whether any callback in the list needs the train batch hooks once per batch."""
        return any(c.wants_batches() for c in self.callbacks)


def _each(callbacks: list, hook: str, args: tuple, logs: Any) -> None:
    logs = {} if logs is None else logs
    for c in callbacks:
        getattr(c, hook)(*args, logs)


def _forward(hook: str) -> Any:
    if "batch" in hook or "epoch" in hook:

        def indexed(self: CallbackList, index: int, logs: dict | None = None) -> None:
            """Forward this event to every callback, in order.

            Args:
                index: the epoch or batch index passed on.
                logs: the event's logs; None is passed on as {}.
            """
            _each(self.callbacks, hook, (index,), logs)

        return indexed

    def whole(self: CallbackList, logs: dict | None = None) -> None:
        """Forward this event to every callback, in order.

        Args:
            logs: the event's logs; None is passed on as {}.
        """
        _each(self.callbacks, hook, (), logs)

    return whole


for _hook in HOOKS:
    setattr(CallbackList, _hook, _forward(_hook))


class History(Callback):
    """Per-epoch logs: `history.history['loss']`, `history.epoch`; what fit() returns."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch: list[int] = []
        self.history: dict[str, list] = {}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Append `epoch` to `self.epoch` and each value of `logs` to `self.history`.

        Args:
            epoch: the index of the finished epoch.
            logs: the epoch's loss and metrics.
        """
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def plot(self, path: Any = None, title: str | None = None) -> Any:
        """Loss and metric curves (needs matplotlib); see rustgrad.keras.utils.plot_history.

        Args:
            path: a file to save the figure to, or None to only return it.
            title: the figure's title, or None.

        Returns:
            The matplotlib Figure.

        Raises:
            ValueError: when the History holds no epochs.
        """
        from rustgrad.keras.utils import plot_history

        return plot_history(self, path, title)
