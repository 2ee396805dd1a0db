"""Plumbing the examples share: command-line flags, result tables, figures and the MNIST data.

Kept out of the examples so each of them reads as the experiment it runs, nothing else.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def parse_args(doc: str, name: str, extra=None) -> argparse.Namespace:
    """--quick and --out (default examples/out/<name>/), plus what `extra(parser)` adds; seeds."""
    parser = argparse.ArgumentParser(
        description=doc.strip().splitlines()[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few seconds on a small slice of the data"
    )
    parser.add_argument(
        "--out", type=Path, default=HERE / "out" / name, help="folder for plots (PNG) and tables"
    )
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.txt").unlink(missing_ok=True)  # print_table appends this run's tables
    # The same numbers on every run: initial weights come from rustgrad's generator, shuffles and
    # validation splits from NumPy's.
    import rustgrad

    rustgrad.manual_seed(0)
    np.random.seed(0)
    return args


def _cell(v) -> str:
    if isinstance(v, float):
        if math.isnan(v):  # a diverged run
            return "nan"
        return f"{v:.4g}" if abs(v) < 1e-3 or abs(v) >= 1e5 else f"{v:.4f}"
    return "-" if v is None else str(v)


def print_table(headers: list[str], rows: list[list], title: str | None = None, out=None) -> str:
    """Print rows as an aligned text table (and append it to out/results.txt when `out` is given)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = [f"\n{title}"] if title else []
    lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    lines.append("  ".join("-" * w for w in widths))
    # Text left-aligned, numbers right-aligned, as in a printed table.
    for r in cells:
        lines.append(
            "  ".join(
                c.rjust(w) if c[:1].isdigit() or c[:1] in "-." else c.ljust(w)
                for c, w in zip(r, widths)
            )
        )
    text = "\n".join(lines)
    print(text, flush=True)
    if out is not None:
        with open(Path(out) / "results.txt", "a") as f:
            f.write(text + "\n")
    return text


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only, no window), or a clear message to install."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("the examples draw plots with matplotlib: pip install rustgrad[examples]")
    return plt


def save(fig, out: Path, name: str) -> Path:
    """Save a figure as out/name.png, close it and say where it went."""
    path = Path(out) / f"{name}.png"
    fig.savefig(path, dpi=100)
    pyplot().close(fig)
    print(f"saved {path}")
    return path


def epoch_axis(ax) -> None:
    """Label an x axis of epochs: whole numbers only (no tick at epoch 1.25)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")


def load_mnist(quick: bool, n_quick: int = 2000, dataset: str = "mnist"):
    """(x_train, y_train), (x_test, y_test): images scaled to [0, 1], labels one-hot (10 classes).

    With --quick only the first `n_quick` training and n_quick // 2 test images are kept.
    """
    import rustgrad as tf

    if dataset == "mnist" and not os.environ.get("RUSTGRAD_DATASETS"):
        # `make` exports this; running the script directly in a checkout finds the same copy.
        shared = HERE.parent.parent / "shared" / "datasets"
        if shared.is_dir():
            os.environ["RUSTGRAD_DATASETS"] = str(shared)
    loader = getattr(tf.keras.datasets, dataset)
    (x_train, y_train), (x_test, y_test) = loader.load_data()
    if quick:
        x_train, y_train = x_train[:n_quick], y_train[:n_quick]
        x_test, y_test = x_test[: n_quick // 2], y_test[: n_quick // 2]
    x_train = x_train.astype("float32") / 255.0
    x_test = x_test.astype("float32") / 255.0
    y_train = tf.keras.utils.to_categorical(y_train, num_classes=10)
    y_test = tf.keras.utils.to_categorical(y_test, num_classes=10)
    return (x_train, y_train), (x_test, y_test)


class Stopwatch:
    """`with Stopwatch() as t: ...` then t.seconds."""

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
        return False


def first_epoch_reaching(values, target: float):
    """1-based epoch at which `values` first reaches `target`, or None if it never does."""
    hits = np.flatnonzero(np.asarray(values) >= target)
    return int(hits[0]) + 1 if hits.size else None
