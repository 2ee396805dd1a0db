"""rustgrad.viz.optimizer_paths: SGD's path is hand-computed gradient descent on the analytic
gradient, momentum and Nesterov follow Keras' formulas, custom callables work, the plot is
written, and bad input is refused clearly."""

import numpy as np
import pytest
import rustgrad as rg
from rustgrad import viz

opt = rg.keras.optimizers


def _descent(grad, start, lr, steps, momentum=0.0, nesterov=False):
    """Keras' SGD written out in float64: v = m v - lr g; x += v (Nesterov: x += m v - lr g)."""
    x, v, out = np.array(start, np.float64), np.zeros(2), [np.array(start, np.float64)]
    for _ in range(steps):
        g = grad(*x)
        v = momentum * v - lr * g
        x = x + (momentum * v - lr * g if nesterov else v)
        out.append(x.copy())
    return np.array(out)


@pytest.mark.parametrize("name", sorted(viz.FUNCTIONS))
def test_sgd_is_gradient_descent_on_the_analytic_gradient(name):
    f = viz.FUNCTIONS[name]
    paths = viz.optimizer_paths(name, ["sgd"], steps=60)
    expect = _descent(f.grad_fn, f.start, f.lr, 60)
    assert paths["sgd"].shape == (61, 2)
    np.testing.assert_allclose(paths["sgd"], expect, rtol=1e-4, atol=1e-5)


def test_the_analytic_gradients_agree_with_autograd():
    for f in viz.FUNCTIONS.values():
        p = rg.tensor(np.array([0.7, -0.4], np.float32), requires_grad=True)
        f(p).backward()
        np.testing.assert_allclose(p.grad.numpy(), f.grad_fn(0.7, -0.4), rtol=1e-4, atol=1e-4)
        assert f.numpy_fn(0.7, -0.4) == pytest.approx(float(f(p).item()), rel=1e-5)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_follows_keras_formula(nesterov):
    f = viz.FUNCTIONS["rosenbrock"]
    o = opt.SGD(learning_rate=5e-4, momentum=0.9, nesterov=nesterov)
    paths = viz.optimizer_paths("rosenbrock", {"m": o}, steps=40)
    expect = _descent(f.grad_fn, f.start, 5e-4, 40, momentum=0.9, nesterov=nesterov)
    np.testing.assert_allclose(paths["m"], expect, rtol=1e-4, atol=1e-5)


def test_names_instances_and_labels():
    paths = viz.optimizer_paths(
        "beale", ["sgd", "momentum", "nesterov", "rmsprop", "adam", opt.Adam(0.05)], steps=10
    )
    assert list(paths) == ["sgd", "momentum", "nesterov", "rmsprop", "adam", "Adam"]
    assert all(p.shape == (11, 2) for p in paths.values())
    # Adam at 0.05 moves each coordinate by about 0.05 on its first step.
    np.testing.assert_allclose(np.abs(paths["Adam"][1] - paths["Adam"][0]), 0.05, rtol=1e-3)
    twice = viz.optimizer_paths("saddle", [opt.SGD(0.1), opt.SGD(0.2)], steps=3)
    assert list(twice) == ["SGD", "SGD (2)"]


def test_a_custom_callable(tmp_path):
    def bowl(p):
        return (p * p).sum()

    paths = viz.optimizer_paths(bowl, ["sgd"], start=(1.0, -2.0), steps=5, lr=0.1,
                                path=tmp_path / "bowl.png")  # fmt: skip
    # x <- x - 0.1 * 2x = 0.8 x
    np.testing.assert_allclose(paths["sgd"], [[0.8**k, -2 * 0.8**k] for k in range(6)], rtol=1e-5)
    assert (tmp_path / "bowl.png").read_bytes()[:4] == b"\x89PNG"


def test_plot_of_a_builtin_marks_the_minimum(tmp_path):
    paths = viz.optimizer_paths("rosenbrock", steps=50)
    fig = paths.plot(tmp_path / "r.png", title="t")
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["sgd", "momentum", "nesterov", "rmsprop", "adam", "start", "minimum"]


def test_a_diverging_path_stops_at_the_first_non_finite_point():
    paths = viz.optimizer_paths("rosenbrock", ["sgd"], steps=500, lr=0.5)
    p = paths["sgd"]
    assert len(p) < 501 and not np.all(np.isfinite(p[-1])) and np.all(np.isfinite(p[:-1]))


@pytest.mark.parametrize(
    "args, kwargs, err, match",
    [
        (("himmelblau",), {}, ValueError, "known"),
        (("beale", ["adamm"]), {}, ValueError, "adam"),
        (("beale", [3]), {}, TypeError, "Optimizer"),
        (("beale", []), {}, ValueError, "no optimizers"),
        ((42,), {}, TypeError, "callable"),
        ((lambda p: p.sum(),), {}, ValueError, "start"),
        (("beale",), {"start": (1.0, 2.0, 3.0)}, ValueError, "two finite"),
        (("beale",), {"start": (np.nan, 2.0)}, ValueError, "two finite"),
        (("beale",), {"steps": 0}, ValueError, "steps"),
        (("beale",), {"lr": -1.0}, ValueError, "lr"),
        ((lambda p: p * 2,), {"start": (1.0, 1.0)}, ValueError, "scalar"),
    ],
)
def test_bad_input_is_refused(args, kwargs, err, match):
    with pytest.raises(err, match=match):
        viz.optimizer_paths(*args, **kwargs)
