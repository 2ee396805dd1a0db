"""rustgrad.viz.optimizer_paths: each optimizer run from the same point on a 2-D function, its
path kept and drawn over the function's contours; the picture of why momentum overshoots,
RMSprop and Adam rescale steep directions, and plain SGD crawls along a valley."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from rustgrad.viz.functions import FUNCTIONS, TestFunction

__all__ = ["OptimizerPaths", "optimizer_paths"]

# Names beyond the Keras optimizer registry's: SGD with momentum, as the pictures usually show it.
_SGD_VARIANTS = {"momentum": {"momentum": 0.9}, "nesterov": {"momentum": 0.9, "nesterov": True}}


def _resolve_fn(fn: Any) -> tuple[Callable, TestFunction | None]:
    if isinstance(fn, str):
        known = FUNCTIONS.get(fn.lower())
        if known is None:
            raise ValueError(
                f"optimizer_paths: unknown function {fn!r}; known: {sorted(FUNCTIONS)}"
            )
        return known, known
    if isinstance(fn, TestFunction):
        return fn, fn
    if callable(fn):
        return fn, None
    raise TypeError(f"optimizer_paths: fn must be a name or a callable, got {fn!r}")


def _optimizer(spec: Any, lr: float) -> tuple[str, Any]:
    """(label, fresh optimizer) for a name (at `lr`) or an instance (as configured)."""
    from rustgrad.keras import optimizers

    if isinstance(spec, str):
        key = spec.lower()
        if key in _SGD_VARIANTS:
            return spec, optimizers.SGD(learning_rate=lr, **_SGD_VARIANTS[key])
        cls = type(optimizers.get(key))  # raises, listing the names, for an unknown one
        return spec, cls(learning_rate=lr)
    if isinstance(spec, optimizers.Optimizer):
        return type(spec).__name__, spec
    raise TypeError(f"optimizer_paths: an optimizer is a name or an Optimizer, got {spec!r}")


def _named(optimizers: Any, lr: float) -> dict[str, Any]:
    if isinstance(optimizers, dict):
        items = [(str(k), _optimizer(v, lr)[1]) for k, v in optimizers.items()]
    elif isinstance(optimizers, str) or not hasattr(optimizers, "__iter__"):
        items = [_optimizer(optimizers, lr)]
    else:
        items = [_optimizer(o, lr) for o in optimizers]
    if not items:
        raise ValueError("optimizer_paths: no optimizers given")
    out: dict[str, Any] = {}
    for label, opt in items:
        base, k = label, 2
        while label in out:  # two Adams with different settings both get a line
            label, k = f"{base} ({k})", k + 1
        out[label] = opt
    return out


def _run(fn: Callable, opt: Any, start: np.ndarray, steps: int) -> np.ndarray:
    """The points visited: start, then one per update; stops early once a value is non-finite."""
    import rustgrad

    p = rustgrad.tensor(start.astype(np.float32), requires_grad=True)
    path = [start.astype(np.float64)]
    for _ in range(steps):
        value = fn(p)
        if tuple(value.shape) not in ((), (1,)):
            raise ValueError(f"optimizer_paths: fn must return a scalar, got shape {value.shape}")
        value.backward()
        opt.apply_gradients([(p.grad, p)])
        point = p.numpy().astype(np.float64)
        path.append(point)
        if not np.all(np.isfinite(point)):
            break
    return np.array(path)


class OptimizerPaths(dict):
    """optimizer label -> its path, an array of shape (steps + 1, 2) (fewer rows when it
    diverged); `plot(path)` draws them over the function's contours.

    Args:
        paths: label -> array of points.
        fn: the function the paths ran on.
        known: its TestFunction when it was a built-in one (for the view and the minimum).
    """

    def __init__(self, paths: dict, fn: Callable, known: TestFunction | None):
        super().__init__(paths)
        self.fn, self.known = fn, known

    def _grid(self, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.known is not None:
            (x0, x1), (y0, y1) = self.known.bounds
        else:  # the paths' extent, with a margin
            pts = np.concatenate([p[np.all(np.isfinite(p), axis=1)] for p in self.values()])
            (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
            mx, my = max(x1 - x0, 1e-3) * 0.2, max(y1 - y0, 1e-3) * 0.2
            x0, x1, y0, y1 = x0 - mx, x1 + mx, y0 - my, y1 + my
        xs, ys = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y0, y1, size))
        return xs, ys, self._values(xs, ys)

    def _values(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        if self.known is not None:
            return self.known.numpy_fn(xs, ys)
        import rustgrad

        with rustgrad.no_grad():
            points = np.stack([xs.ravel(), ys.ravel()]).astype(np.float32)
            return np.array(
                [float(self.fn(rustgrad.tensor(pt)).item()) for pt in points.T]
            ).reshape(xs.shape)

    def plot(self, path: Any = None, title: str | None = None, grid: int = 80) -> Any:
        """The paths over the function's contours (log-spaced levels when it is non-negative).

        Args:
            path: where to save the figure (PNG, SVG, ... by the suffix), or None.
            title: the plot's title.
            grid: contour samples per axis (a custom callable is evaluated grid**2 times).

        Returns:
            The matplotlib Figure.
        """
        from rustgrad.keras.utils import _figure_class

        fig = _figure_class()(figsize=(7, 5.5), layout="constrained")
        ax = fig.subplots()
        xs, ys, zs = self._grid(int(grid))
        levels: Any = 25
        if np.nanmin(zs) >= 0:  # log-spaced, so the valley floor shows as well as the walls
            lo = max(float(np.nanmin(zs)), 1e-3)
            levels = np.geomspace(lo, max(float(np.nanmax(zs)), lo * 10), 25)
        ax.contourf(xs, ys, zs, levels=levels, cmap="Blues", alpha=0.3)
        ax.contour(xs, ys, zs, levels=levels, colors="0.6", linewidths=0.4)
        for label, pts in self.items():
            ax.plot(pts[:, 0], pts[:, 1], lw=1.4, label=label)
        ax.plot(*next(iter(self.values()))[0], "ko", ms=5, label="start")
        if self.known is not None and self.known.minimum is not None:
            ax.plot(*self.known.minimum, "*", color="gold", ms=14, mec="k", label="minimum")
        ax.set_xlim(xs.min(), xs.max())
        ax.set_ylim(ys.min(), ys.max())
        name = self.known.name if self.known is not None else getattr(self.fn, "__name__", "f")
        ax.set_title(title or f"optimizer paths on {name}")
        ax.legend(fontsize=8, loc="best")
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig


def optimizer_paths(
    fn: Any,
    optimizers: Any = ("sgd", "momentum", "nesterov", "rmsprop", "adam"),
    start: Any = None,
    steps: int = 200,
    lr: float | None = None,
    path: Any = None,
) -> OptimizerPaths:
    """Run each optimizer from `start` on the 2-D function `fn` and keep the points it visits.

    Args:
        fn: "rosenbrock", "beale", "saddle" (see viz.FUNCTIONS), or a callable of a Tensor of
            shape (2,) returning a scalar Tensor (composed of Tensor ops, so autograd applies).
        optimizers: names ("sgd", "momentum", "nesterov", "rmsprop", "adam", any Keras name),
            Optimizer instances (used as configured, so give each its own), or a dict of
            label -> either.
        start: the first point (default: the built-in function's start; required otherwise).
        steps: updates per optimizer.
        lr: the learning rate of optimizers given by name (default: the built-in function's,
            else 0.01); instances keep their own.
        path: when given, the plot is saved there.

    Returns:
        An OptimizerPaths: a dict of label -> array (steps + 1, 2), with `plot(path)`.

    Raises:
        ValueError: an unknown function or optimizer name, a start that is not 2 finite numbers,
            steps < 1, a non-positive lr, or fn returning a non-scalar.
        TypeError: fn or an optimizer of the wrong kind.
    """
    f, known = _resolve_fn(fn)
    if start is None:
        if known is None:
            raise ValueError("optimizer_paths: give start=(x, y) for a custom function")
        start = known.start
    start = np.asarray(start, np.float64)
    if start.shape != (2,) or not np.all(np.isfinite(start)):
        raise ValueError(f"optimizer_paths: start must be two finite numbers, got {start!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"optimizer_paths: steps must be a positive integer, got {steps!r}")
    lr = (known.lr if known is not None else 0.01) if lr is None else lr
    if not (isinstance(lr, (int, float)) and 0 < lr < math.inf):
        raise ValueError(f"optimizer_paths: lr must be a positive number, got {lr!r}")
    runs = {label: _run(f, opt, start, int(steps)) for label, opt in _named(optimizers, lr).items()}
    out = OptimizerPaths(runs, f, known)
    if path is not None:
        out.plot(path)
    return out
