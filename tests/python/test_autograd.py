"""Autograd behaviour (RELIABILITY 1-9): backward, accumulation, grad modes, deep and freed graphs."""

import threading

import numpy as np
import pytest
import rustgrad as rg
from core_helpers import arrays


def test_backward_default_and_explicit_gradient():
    x = rg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    x.grad = None
    y = x * 3
    y.backward(rg.tensor([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, -3.0])
    z = x * 2
    z.backward(np.array([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 2.0, -1.0])


def test_backward_gradient_shape_must_match_exactly():
    x = rg.tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    for bad in (np.ones(6), np.ones((3, 2)), np.ones((1, 3)), 1.0):
        with pytest.raises(rg.ShapeError, match=r"backward.*\(2, 3\)"):
            y.backward(bad, retain_graph=True)
    assert x.grad is None
    s = (x * 2).sum()
    with pytest.raises(rg.ShapeError, match="backward"):
        s.backward(np.ones(1))


def test_backward_on_non_scalar_without_gradient_raises():
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(rg.GraphError, match=r"scalar.*\(2,\)"):
        (x * 2).backward()
    # A one-element tensor of any rank is fine.
    (x.sum(keepdims=True)).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_grads_accumulate_until_cleared():
    w = rg.tensor([1.0, -2.0], requires_grad=True)
    for k in range(1, 4):
        (w * w).sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), k * 2 * np.array([1.0, -2.0]))
    held = w.grad
    (w * 1).sum().backward()
    # Accumulation is in place: a handle to .grad taken earlier sees the update.
    np.testing.assert_array_equal(held.numpy(), [7.0, -11.0])
    w.zero_grad()
    assert w.grad is None
    w.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0])
    w.grad = None
    assert w.grad is None
    w.grad = rg.tensor([5.0, 5.0])
    w.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [6.0, 6.0])
    with pytest.raises(rg.ShapeError, match="grad"):
        w.grad = rg.ones(3)
    # As PyTorch: a gradient is a Tensor or None, never a number or an array.
    for bad in (0.0, np.ones(2, np.float32), [1.0, 1.0]):
        with pytest.raises(TypeError, match="Tensor or None"):
            w.grad = bad
    np.testing.assert_array_equal(w.grad.numpy(), [6.0, 6.0])


def test_reused_node_accumulates():
    a = rg.tensor(1.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0
    x = rg.tensor(3.0, requires_grad=True)
    y = x * x * x  # the same leaf feeds three multiplications
    y.backward()
    assert x.grad.item() == pytest.approx(27.0)


def test_second_backward_through_freed_graph_names_retain_graph():
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(rg.GraphError, match="retain_graph"):
        y.backward()
    assert isinstance(rg.GraphError("x"), RuntimeError)
    x2 = rg.tensor([1.0, 2.0], requires_grad=True)
    y2 = (x2.exp() * x2).sum()
    y2.backward(retain_graph=True)
    first = x2.grad.numpy().copy()
    y2.backward(retain_graph=True)
    np.testing.assert_array_equal(x2.grad.numpy(), 2 * first)
    y2.backward()
    np.testing.assert_array_equal(x2.grad.numpy(), 3 * first)
    with pytest.raises(rg.GraphError, match="retain_graph"):
        y2.backward()


def test_backward_twice_on_same_graph_is_bit_identical():
    rng = np.random.default_rng(0)
    x = rg.tensor(rng.standard_normal((64, 300)).astype(np.float32), requires_grad=True)
    w = rg.tensor(rng.standard_normal((300, 50)).astype(np.float32), requires_grad=True)
    loss = ((x @ w).tanh().softmax() * 3.0).log_softmax().mean()
    loss.backward(retain_graph=True)
    g1 = w.grad.numpy().copy()
    w.grad = None
    loss.backward()
    assert np.array_equal(w.grad.numpy(), g1)


def test_one_million_op_chain_backward_and_free():
    x = rg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    assert y.item() == 1_000_001.0
    y.backward()
    assert x.grad.item() == 1.0
    del y
    z = x
    for _ in range(1_000_000):
        z = z * 1.0
    del z  # freed without backward: the drop is iterative too


def test_no_grad_records_nothing():
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    with rg.no_grad():
        assert not rg.is_grad_enabled()
        y = x * 2
        with rg.enable_grad():
            assert rg.is_grad_enabled()
            z = x * 2
        assert not rg.is_grad_enabled()
    assert rg.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    assert z.requires_grad and z.grad_fn == "mul"
    with pytest.raises(rg.GraphError, match="does not require grad"):
        y.sum().backward()


def test_no_grad_as_decorator_and_restores_after_exceptions():
    @rg.no_grad()
    def f(t):
        return t * 2

    x = rg.tensor([1.0], requires_grad=True)
    assert not f(x).requires_grad
    with pytest.raises(KeyError), rg.no_grad():
        raise KeyError("boom")
    assert rg.is_grad_enabled()


def test_set_grad_enabled_function_and_context():
    x = rg.tensor([1.0], requires_grad=True)
    rg.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        rg.set_grad_enabled(True)
    with rg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with rg.no_grad(), rg.set_grad_enabled(True):
        assert (x * 2).requires_grad


def test_grad_mode_is_per_thread():
    seen = []
    with rg.no_grad():
        t = threading.Thread(target=lambda: seen.append(rg.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_detach_cuts_the_path():
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 3).detach()
    assert not d.requires_grad and d.is_leaf
    y = (x * d).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 6.0])
    np.testing.assert_array_equal(d.numpy(), [3.0, 6.0])


def test_retain_grad_on_intermediate():
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    other = x * 4
    (h * h + other).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [6.0, 12.0])
    assert other.grad is None
    np.testing.assert_array_equal(x.grad.numpy(), [22.0, 40.0])


def test_requires_grad_flags():
    x = rg.tensor([1.0])
    assert not (x * 2).requires_grad
    x.requires_grad = True
    y = x * 2
    assert y.requires_grad and not y.is_leaf
    with pytest.raises(rg.GraphError, match="leaf"):
        y.requires_grad = False
    assert rg.zeros(2, requires_grad=True).requires_grad
    assert x.requires_grad_(False) is x and not x.requires_grad


def test_inputs_without_grad_get_none():
    a = rg.tensor(arrays((2, 3), 0), requires_grad=True)
    b = rg.tensor(arrays((3,), 1))
    (a * b).sum().backward()
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(b.numpy(), (2, 3)))
