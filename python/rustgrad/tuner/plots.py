"""tuner.plot(path): the objective against each hyperparameter (top row) and the objective per
epoch of the best trials (bottom), in one PNG drawn with matplotlib's Agg backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rustgrad.tuner.hp_types import Choice, Fixed
from rustgrad.tuner.trial import TrialStatus


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("tuner.plot draws with matplotlib: pip install matplotlib") from e
    return plt


def _scatter(ax: Any, hp: Any, trials: list, objective: Any) -> None:
    points = [(t.hyperparameters.values[hp.name], t.score) for t in trials
              if hp.name in t.hyperparameters.values]  # fmt: skip
    if isinstance(hp, Choice):
        labels = [str(v) for v in hp.values]
        xs = [labels.index(str(v)) for v, _ in points]
        ax.set_xticks(range(len(labels)), labels)
    else:
        xs = [v for v, _ in points]
        if getattr(hp, "sampling", "linear") == "log":
            ax.set_xscale("log")
    ax.scatter(xs, [s for _, s in points], s=28, alpha=0.75)
    ax.set_xlabel(hp.name)
    ax.set_ylabel(objective.name)
    ax.grid(alpha=0.3)


def _curves(ax: Any, trials: list, objective: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    for k, t in enumerate(trials):
        color = f"C{k % 10}"  # the executions of one trial share a colour
        for i, h in enumerate(t.history):
            if objective.name in h:
                label = f"trial {t.trial_id} ({t.score:.4g})" if i == 0 else None
                ax.plot(h["epoch"], h[objective.name], marker="o", ms=3, color=color, label=label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(objective.name)
    ax.set_title(f"{objective.name} per epoch, best {len(trials)} trials")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def plot(tuner: Any, path: Path, top: int = 5) -> Path:
    """Draw the search's results into `path` (PNG).

    Args:
        tuner: The Tuner.
        path: The image file.
        top: How many of the best trials get a curve.

    Returns:
        `path`.

    Raises:
        ImportError: matplotlib is missing.
        ValueError: no trial has completed.
    """
    oracle = tuner.oracle
    done = oracle.trials_in(TrialStatus.COMPLETED)
    if not done:
        raise ValueError("tuner.plot: no trial has completed yet; run search() first")
    plt = _pyplot()
    searched = [hp for hp in oracle.hyperparameters.space if not isinstance(hp, Fixed)]
    cols = min(max(len(searched), 1), 4)
    rows = -(-len(searched) // cols)
    fig = plt.figure(figsize=(3.8 * cols, 3.0 * (rows + 1.3)))
    grid = fig.add_gridspec(rows + 1, cols, height_ratios=[1] * rows + [1.3])
    for k, hp in enumerate(searched):
        _scatter(fig.add_subplot(grid[k // cols, k % cols]), hp, done, oracle.objective)
    _curves(fig.add_subplot(grid[rows, :]), oracle.get_best_trials(top), oracle.objective)
    best = np.asarray([t.score for t in oracle.get_best_trials(1)])
    fig.suptitle(f"{type(tuner).__name__}: {len(done)} trials, best {oracle.objective.name} "
                 f"{best[0]:.4g}")  # fmt: skip
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
