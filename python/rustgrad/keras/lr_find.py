"""model.lr_find: the learning-rate range test (Smith 2017, "Cyclical Learning Rates"; fastai's
`lr_find`, PyTorch Lightning's `Tuner.lr_find`).

The model trains one batch per step while the rate grows exponentially from `start_lr` to
`end_lr`; the loss is smoothed (an exponential moving average with bias correction, beta 0.98 as
both references) and the test stops once it passes `stop_factor` times the best smoothed loss.
The suggestion is Lightning's: the rate where the smoothed loss falls fastest (the most negative
`np.gradient`), skipping the first `skip_begin` and last `skip_end` points. Afterwards the model
is exactly as before: weights, optimizer slots and iterations, and every random stream.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rustgrad.keras import _evaluate, _inputs, _train_state, custom_step

__all__ = ["LRFinderResult", "lr_find"]


class LRFinderResult:
    """What `model.lr_find` measured.

    Attributes:
        lrs: the learning rate of each step run (NumPy array).
        losses: the smoothed loss after each step.
        raw_losses: each step's own batch loss.
        suggestion: the suggested learning rate (see `suggest`), or None when too few points.
        diverged: whether the test stopped because the loss diverged.
    """

    def __init__(self, lrs: list, losses: list, raw_losses: list, diverged: bool):
        self.lrs = np.asarray(lrs, np.float64)
        self.losses = np.asarray(losses, np.float64)
        self.raw_losses = np.asarray(raw_losses, np.float64)
        self.diverged = bool(diverged)
        self.suggestion = self.suggest()

    def suggest(self, skip_begin: int = 10, skip_end: int = 1) -> float | None:
        """The rate at the steepest descent of the smoothed loss (PyTorch Lightning's rule).

        Args:
            skip_begin: points left out at the start (the loss barely moves there).
            skip_end: points left out at the end (where it diverges).

        Returns:
            A learning rate, or None when fewer than two finite points remain.

        Raises:
            ValueError: a negative skip.
        """
        if skip_begin < 0 or skip_end < 0:
            raise ValueError(f"skips must be >= 0, got {skip_begin} and {skip_end}")
        idx = np.arange(skip_begin, len(self.losses) - skip_end)
        idx = idx[np.isfinite(self.losses[idx])] if idx.size else idx
        if idx.size < 2:
            return None
        return float(self.lrs[idx[int(np.argmin(np.gradient(self.losses[idx])))]])

    def plot(self, path: Any = None, title: str | None = None) -> Any:
        """Smoothed loss against the learning rate (log scale), the suggestion marked.

        Args:
            path: where to save the figure (PNG, SVG, ... by the suffix), or None.
            title: the plot's title.

        Returns:
            The matplotlib Figure.
        """
        from rustgrad.keras.utils import _figure_class

        fig = _figure_class()(figsize=(6, 4), layout="constrained")
        ax = fig.subplots()
        ax.plot(self.lrs, self.losses, label="smoothed loss")
        if self.suggestion is not None:
            at = int(np.flatnonzero(self.lrs == self.suggestion)[0])
            ax.plot(self.suggestion, self.losses[at], "o", color="C3",
                    label=f"suggestion {self.suggestion:.3g}")  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title(title or "learning-rate range test")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig

    def __repr__(self) -> str:
        return f"<LRFinderResult {len(self.lrs)} steps, suggestion={self.suggestion}>"


def _check(start_lr: Any, end_lr: Any, num_steps: Any, beta: Any, stop_factor: Any) -> None:
    for name, v in (("start_lr", start_lr), ("end_lr", end_lr), ("stop_factor", stop_factor)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v > 0 and v < math.inf):
            raise ValueError(f"lr_find: {name} must be a positive finite number, got {v!r}")
    if start_lr >= end_lr:
        raise ValueError(f"lr_find: start_lr ({start_lr}) must be below end_lr ({end_lr})")
    if isinstance(num_steps, bool) or not isinstance(num_steps, (int, np.integer)):
        raise TypeError(f"lr_find: num_steps must be an integer, got {num_steps!r}")
    if num_steps < 2:
        raise ValueError(f"lr_find: num_steps must be at least 2, got {num_steps}")
    if not isinstance(beta, (int, float)) or not 0 <= beta < 1:
        raise ValueError(f"lr_find: beta must be in [0, 1), got {beta!r}")


def _batches(n: int, batch_size: int, steps: int, seed: int) -> list[np.ndarray]:
    """`steps` batches of row indices, reshuffled each time the data runs out."""
    rng, out = np.random.default_rng(seed), []
    while len(out) < steps:
        order = rng.permutation(n)
        out += [order[i : i + batch_size] for i in range(0, n, batch_size)]
    return out[:steps]


def lr_find(
    model: Any,
    x: Any,
    y: Any = None,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    batch_size: int = 32,
    beta: float = 0.98,
    stop_factor: float = 4.0,
    seed: int = 0,
) -> LRFinderResult:
    """Run the learning-rate range test on `model` and put it back as it was.

    Args:
        model: a compiled keras Model (graph or eager engine).
        x: the inputs (arrays, as fit takes them).
        y: the targets.
        start_lr: the first rate.
        end_lr: the last rate (reached at step num_steps - 1 unless the loss diverges first).
        num_steps: how many batches (steps) to run at most.
        batch_size: rows per batch.
        beta: the smoothing of the loss (0 keeps the raw losses).
        stop_factor: stop once the smoothed loss exceeds this many times the best one.
        seed: the batches' shuffle (NumPy's global state is left alone).

    Returns:
        An LRFinderResult with `lrs`, `losses` (smoothed), `suggestion` and `plot(path)`.

    Raises:
        RuntimeError: the model is not compiled.
        ValueError: a bad rate range, num_steps < 2, bad beta, batch_size or data.
        NotImplementedError: the model overrides train_step.
    """
    _evaluate.check_compiled(model, "lr_find")
    if custom_step.overridden(model, "train_step"):
        raise NotImplementedError(
            f"lr_find runs fit's own train step; model '{model.name}' overrides train_step"
        )
    _check(start_lr, end_lr, num_steps, beta, stop_factor)
    bs = _inputs.positive_int(batch_size, "batch_size")
    xa = _inputs.as_x(model, x)
    n = _inputs.rows(xa)
    ya = custom_step.targets(model, y, n, np.shape(_evaluate.first(xa)))
    sw = _inputs.sample_weights(model, ya, n, None, None)
    model._ensure_compiled()
    weights, state = model.get_weights(), _train_state.arrays(model)
    lrs, smooth, raw, diverged = [], [], [], False
    avg, best = 0.0, math.inf
    engine = model._engine()
    try:
        for i, idx in enumerate(_batches(n, bs, int(num_steps), int(seed))):
            lr = float(start_lr) * (float(end_lr) / float(start_lr)) ** (i / (num_steps - 1))
            loss, _ = engine.train_batch(xa, ya, idx, sw, lr=lr)
            avg = beta * avg + (1 - beta) * loss
            value = avg / (1 - beta ** (i + 1))
            lrs.append(lr)
            raw.append(loss)
            smooth.append(value)
            if not math.isfinite(value) or (i > 0 and value > stop_factor * best):
                diverged = True
                break
            best = min(best, value)
    finally:
        model.set_weights(weights)
        _train_state.restore(model, state)
    return LRFinderResult(lrs, smooth, raw, diverged)
