"""keras.callbacks.GradientMonitor: per layer, the gradient norm, the weight norm and the
update/weight ratio every few train steps, recorded into History and plottable, with a warning
the first time a layer's gradients vanish or explode.

On the graph engine the train step computes the norms in Rust (model/grad_monitor.rs) while it
holds the gradients, so fit keeps running batches in chunks; on the eager engine `EagerProbe`
computes the same numbers with NumPy around the optimizer update.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

from rustgrad.keras.callbacks.base import Callback

__all__ = ["GradientMonitor"]

KINDS = ("grad_norm", "weight_norm", "update_ratio")


def _norm(a: Any) -> float:
    return float(np.sqrt(np.sum(np.square(np.asarray(a, np.float64)))))


class EagerProbe:
    """The eager engine's half of the monitor: every `every`-th step, each group's gradient and
    weight norms before the update and the update's norm over the weights' after it.

    Args:
        every: record every this many train steps, starting with the first.
        groups: per layer, the Variables (or Tensors) the optimizer updates.
    """

    def __init__(self, every: int, groups: list[list]):
        self.every, self.groups = int(every), [list(g) for g in groups]
        self.seen, self.steps, self.stats = 0, [], []

    def observe(self, update: Callable[[], None]) -> None:
        """Run `update` (the optimizer step), recording the norms around it when due.

        Args:
            update: the call that changes the weights.
        """
        due, step = self.seen % self.every == 0, self.seen
        self.seen += 1
        if not due:
            update()
            return
        before = [[p.numpy().astype(np.float64) for p in g] for g in self.groups]
        rows = []
        for g, ws in zip(self.groups, before):
            grads = [p.grad.numpy() for p in g if p.grad is not None]
            rows.append([math.hypot(*map(_norm, grads)), math.hypot(*map(_norm, ws)), 0.0])
        update()
        for row, g, ws in zip(rows, self.groups, before):
            moved = math.hypot(*(_norm(p.numpy() - w) for p, w in zip(g, ws)))
            with np.errstate(divide="ignore", invalid="ignore"):
                row[2] = float(np.float64(moved) / np.float64(row[1]))
        self.steps.append(step)
        self.stats.append(rows)

    def take(self) -> tuple[list[int], list[int], np.ndarray]:
        """(group indices, steps, stats of shape (records, groups, 3)) since the last call, as the
        graph engine's `take_grad_stats`."""
        out = np.array(self.stats, np.float32).reshape(len(self.stats), len(self.groups), 3)
        steps, self.steps, self.stats = self.steps, [], []
        return list(range(len(self.groups))), steps, out


class GradientMonitor(Callback):
    """Watch each layer's gradients during fit.

    Every `every` train steps it records, per trainable layer with weights: `grad_norm/<layer>`
    (the L2 norm of all its gradients together), `weight_norm/<layer>` (of its weights before the
    update) and `update_ratio/<layer>` (the norm of the update over the weights' norm; around
    1e-3 is healthy, Karpathy's rule of thumb). `self.history[key]` holds every recorded step
    (`self.steps` their optimizer iterations); History gets each epoch's mean under the same keys.

    Warns once per layer (RuntimeWarning) when its gradients vanish: a norm below `vanish` times
    its weights' norm; or explode: non-finite, or above `explode` times the larger of its
    weights' norm and 1 (the floor keeps zero-initialised layers from warning on any gradient).

    Args:
        every: record every this many train steps, starting with the first (1: every step).
            On the graph engine the optimizer measures a recorded step while its update reads
            the weights and gradients anyway (a layer with a constraint is compared against a
            copy instead): on the MNIST MLP a recorded Adam step costs 3.5-14 µs more, 1-3% of
            a train step at every=1 (benches/grad_monitor.py).
        vanish: the vanishing threshold, relative to the weights' norm (default 1e-7).
        explode: the exploding threshold, relative to max(weights' norm, 1) (default 1e3).

    Raises:
        ValueError: `every` is not a positive integer, or a threshold is not positive.
    """

    def __init__(self, every: int = 10, vanish: float = 1e-7, explode: float = 1e3):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"GradientMonitor: every must be a positive integer, got {every!r}")
        for name, v in (("vanish", vanish), ("explode", explode)):
            if not (isinstance(v, (int, float)) and v > 0 and math.isfinite(v)):
                raise ValueError(f"GradientMonitor: {name} must be a positive number, got {v!r}")
        self.every, self.vanish, self.explode = int(every), float(vanish), float(explode)
        self.steps: list[int] = []
        self.history: dict[str, list[float]] = {}
        self._warned: set = set()
        self._names: list[str] = []
        self._engine: Any = None

    # ---- fit's hooks -----------------------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        """Install the monitor on the model's engine (Rust step or eager probe).

        Args:
            logs: unused, as in Keras.

        Raises:
            NotImplementedError: the model overrides train_step (its gradients are its own).
        """
        from rustgrad.keras import custom_step
        from rustgrad.keras.eager import EagerEngine

        model = self.model
        if custom_step.overridden(model, "train_step"):
            raise NotImplementedError(
                "GradientMonitor reads the gradients of fit's own train step; model "
                f"'{model.name}' overrides train_step, so compute the norms there instead"
            )
        model._ensure_compiled()
        engine, frozen = model._engine(), model._frozen()
        if isinstance(engine, EagerEngine):
            layers = [
                la for la in model._flat_layers() if not frozen.get(id(la)) and la.trainable_weights
            ]
            engine.set_grad_monitor(self.every, [la.trainable_weights for la in layers])
            self._names = [la.name for la in layers]
        else:
            engine.set_grad_monitor(self.every)
            self._names = [model._core_layers[i].name for i in engine.take_grad_stats()[0]]
        self._engine, self._base = engine, int(model.optimizer.iterations)
        model._grad_monitored = engine  # Model.fit removes it when fit raises

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Collect the epoch's records, warn about new vanishing or exploding layers, and put
        each key's mean over the epoch into `logs` (so History keeps it).

        Args:
            epoch: the epoch that ended.
            logs: the epoch's logs, extended in place.
        """
        first = len(self.steps)
        self._drain()
        if logs is None:
            return
        for key, values in self.history.items():
            recent = values[first:]
            if recent:
                logs[key] = float(np.mean(recent))

    def on_train_end(self, logs: dict | None = None) -> None:
        """Collect what is left and remove the monitor, so later fits run without it.

        Args:
            logs: unused, as in Keras.
        """
        if self._engine is not None:
            self._drain()
            self._engine.set_grad_monitor(None)
            self._engine = None
            self.model.__dict__.pop("_grad_monitored", None)

    # ---- records ---------------------------------------------------------------------------
    def _drain(self) -> None:
        ids, steps, stats = self._engine.take_grad_stats()
        stats = np.asarray(stats, np.float64).reshape(len(steps), len(ids), 3)
        for step, rows in zip(steps, stats):
            self.steps.append(self._base + int(step))
            for name, (g, w, u) in zip(self._names, rows):
                for kind, v in zip(KINDS, (g, w, u)):
                    self.history.setdefault(f"{kind}/{name}", []).append(float(v))
                self._check(name, self._base + int(step), g, w)

    def _check(self, name: str, step: int, g: float, w: float) -> None:
        if not math.isfinite(g) or g > self.explode * max(w, 1.0):
            kind, why = "explode", f"norm {g:.3g} against weights of norm {w:.3g}"
        elif g < self.vanish * w:
            kind, why = "vanish", f"norm {g:.3g} is below {self.vanish:g} of its weights' {w:.3g}"
        else:
            return
        if (name, kind) not in self._warned:
            self._warned.add((name, kind))
            warnings.warn(
                f"GradientMonitor: the gradients of layer '{name}' {kind} at step {step} ({why})",
                RuntimeWarning,
                stacklevel=2,
            )

    def plot(self, path: Any = None, title: str | None = None) -> Any:
        """The three quantities per layer against the training step (log scale; needs matplotlib).

        Args:
            path: where to save the figure (PNG, SVG, ... by the suffix), or None.
            title: a title over the panels.

        Returns:
            The matplotlib Figure.

        Raises:
            ValueError: nothing was recorded yet.
        """
        from rustgrad.keras.utils import _figure_class

        if not self.steps:
            raise ValueError("GradientMonitor.plot: nothing recorded yet; pass it to fit first")
        fig = _figure_class()(figsize=(13, 3.6), layout="constrained")
        for ax, kind in zip(fig.subplots(1, 3, squeeze=False)[0], KINDS):
            for name in self._names:
                values = np.abs(self.history.get(f"{kind}/{name}", []))
                ax.plot(self.steps, np.where(values > 0, values, np.nan), label=name)
            ax.set_yscale("log")
            ax.set_xlabel("step")
            ax.set_ylabel(kind.replace("_", " "))
            ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
        if title:
            fig.suptitle(title)
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig
