"""The 2-D test functions optimizer_paths knows by name: each written once on rustgrad Tensors
(so autograd gives the gradient the optimizers follow) and once on NumPy (the contours, and the
analytic gradient the tests compare against), with a start point, a view and a minimum."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = ["FUNCTIONS", "TestFunction"]


class TestFunction:
    """A named 2-D function with what drawing its optimizer paths needs.

    Args:
        name: how optimizer_paths calls it.
        tensor_fn: f of a Tensor of shape (2,) (or (2, N) for N points at once).
        numpy_fn: f(x, y) on NumPy arrays.
        grad_fn: the analytic gradient (df/dx, df/dy) at (x, y).
        start: the default start point.
        bounds: ((xmin, xmax), (ymin, ymax)) of the default view.
        minimum: where the global minimum is (None for a saddle), marked on the plot.
        lr: a learning rate at which plain SGD makes progress without diverging.
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        name: str,
        tensor_fn: Callable,
        numpy_fn: Callable,
        grad_fn: Callable,
        start: tuple,
        bounds: tuple,
        minimum: Any,
        lr: float,
    ):
        self.name, self.tensor_fn, self.numpy_fn, self.grad_fn = name, tensor_fn, numpy_fn, grad_fn
        self.start, self.bounds, self.minimum, self.lr = start, bounds, minimum, lr

    def __call__(self, p: Any) -> Any:
        """f at the Tensor `p` (recorded for autograd)."""
        return self.tensor_fn(p)

    def __repr__(self) -> str:
        return f"<TestFunction {self.name}>"


def _rosenbrock(x: Any, y: Any) -> Any:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _rosenbrock_grad(x: float, y: float) -> np.ndarray:
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


_BEALE_C = (1.5, 2.25, 2.625)


def _beale(x: Any, y: Any) -> Any:
    return sum((c - x + x * y ** (k + 1)) ** 2 for k, c in enumerate(_BEALE_C))


def _beale_grad(x: float, y: float) -> np.ndarray:
    g = np.zeros(2)
    for k, c in enumerate(_BEALE_C):
        r = c - x + x * y ** (k + 1)
        g += 2 * r * np.array([y ** (k + 1) - 1, (k + 1) * x * y**k])
    return g


def _saddle(x: Any, y: Any) -> Any:
    return x**2 - y**2


def _saddle_grad(x: float, y: float) -> np.ndarray:
    return np.array([2 * x, -2 * y])


def _on_tensor(f: Callable) -> Callable:
    return lambda p: f(p[0], p[1])


FUNCTIONS: dict[str, TestFunction] = {
    "rosenbrock": TestFunction(
        "rosenbrock", _on_tensor(_rosenbrock), _rosenbrock, _rosenbrock_grad,
        start=(-1.5, 2.0), bounds=((-2.0, 2.0), (-1.0, 3.0)), minimum=(1.0, 1.0), lr=1e-3,
    ),
    "beale": TestFunction(
        "beale", _on_tensor(_beale), _beale, _beale_grad,
        start=(1.0, 1.5), bounds=((-4.5, 4.5), (-4.5, 4.5)), minimum=(3.0, 0.5), lr=1e-3,
    ),
    "saddle": TestFunction(
        "saddle", _on_tensor(_saddle), _saddle, _saddle_grad,
        start=(1.0, 1e-3), bounds=((-1.5, 1.5), (-1.5, 1.5)), minimum=None, lr=1e-2,
    ),
}  # fmt: skip
