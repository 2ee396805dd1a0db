"""PyTorch's creation and maths verbs (issue 12) against NumPy: values, gradients, seeding, cat/t."""

import numpy as np
import pytest
import rustgrad as rg
from core_helpers import FAST, arrays, broadcast_pair, check_grad, close, shapes
from hypothesis import given
from hypothesis import strategies as st

seeds = st.integers(0, 2**32 - 1)


# sin, cos, square, pow: values and float64 central-difference gradients over random shapes.
@pytest.mark.parametrize(
    "rg_fn, np_fn",
    [
        (lambda t: t.sin(), np.sin),
        (lambda t: t.cos(), np.cos),
        (rg.sin, np.sin),
        (rg.cos, np.cos),
        (lambda t: t.square(), np.square),
        (rg.square, np.square),
        (lambda t: rg.pow(t, 3), lambda x: x**3),
    ],
    ids=["sin", "cos", "rg.sin", "rg.cos", "square", "rg.square", "pow3"],
)
@given(shape=shapes, seed=seeds)
@FAST
def test_unary_verbs_values_and_gradients(rg_fn, np_fn, shape, seed):
    x = arrays(shape, seed, -4.0, 4.0)
    close(rg_fn(rg.tensor(x)), np_fn(x), rtol=1e-5, atol=1e-5)
    check_grad(rg_fn, np_fn, [x], seed)


def test_sin_cos_record_their_names_and_pass_gradcheck():
    x = rg.tensor([-2.0, 0.0, 0.7, 3.0], requires_grad=True)
    assert rg.sin(x).grad_fn == "sin" and x.cos().grad_fn == "cos"
    assert rg.gradcheck(lambda t: rg.sin(t) * rg.cos(t), [x.detach()])
    # Functions accept array-likes, as the other module functions do.
    close(rg.sin([0.0, np.pi / 2]), [0.0, 1.0], atol=1e-6)


@given(pair=broadcast_pair(), seed=seeds)
@FAST
def test_pow_with_tensor_exponent_flows_to_both(pair, seed):
    a, b = arrays(pair[0], seed, 0.3, 2.0), arrays(pair[1], seed + 1, -2.0, 2.0)
    close(rg.pow(a, b), np.power(a, b), rtol=1e-5)
    check_grad(rg.pow, np.power, [a, b], seed)


def test_pow_of_a_number_base():
    close(rg.pow(2.0, rg.tensor([0.0, 1.0, 3.0])), [1.0, 2.0, 8.0])


ARITH = {
    "add": (rg.add, np.add),
    "sub": (rg.sub, np.subtract),
    "mul": (rg.mul, np.multiply),
    "div": (rg.div, np.divide),
}


@pytest.mark.parametrize("name", ARITH)
@given(pair=broadcast_pair(), seed=seeds)
@FAST
def test_arithmetic_functions_broadcast_and_differentiate(name, pair, seed):
    rg_fn, np_fn = ARITH[name]
    a, b = arrays(pair[0], seed), arrays(pair[1], seed + 1)
    if name == "div":
        b = np.where(np.abs(b) < 0.3, 0.5, b).astype(np.float32)
    close(rg_fn(a, b), np_fn(a, b), rtol=1e-5)
    close(rg_fn(rg.tensor(a), 1.5), np_fn(a, np.float32(1.5)), rtol=1e-5)
    check_grad(rg_fn, np_fn, [a, b], seed)


def test_add_and_sub_scale_other_by_alpha():
    w, g = rg.tensor([1.0, 2.0], requires_grad=True), rg.tensor([10.0, 20.0], requires_grad=True)
    out = rg.add(w, g, alpha=-0.1)
    close(out, [0.0, 0.0], atol=1e-6)
    out.sum().backward()
    close(w.grad, [1.0, 1.0])
    close(g.grad, [-0.1, -0.1])
    close(rg.sub(w, g, alpha=0.5), [-4.0, -8.0])


# linspace and eye
@given(start=st.floats(-100, 100), end=st.floats(-100, 100), steps=st.integers(0, 50))
@FAST
def test_linspace_matches_numpy_with_exact_endpoints(start, end, steps):
    t = rg.linspace(start, end, steps)
    close(t, np.linspace(start, end, steps).astype(np.float32), rtol=1e-5, atol=1e-4)
    if steps >= 1:
        assert t.numpy()[0] == np.float32(start)
    if steps >= 2:
        assert t.numpy()[-1] == np.float32(end)


def test_linspace_documented_examples_and_steps_one():
    close(rg.linspace(3, 10, steps=5), [3.0, 4.75, 6.5, 8.25, 10.0])
    close(rg.linspace(start=-10, end=10, steps=5), [-10.0, -5.0, 0.0, 5.0, 10.0])
    close(rg.linspace(-10, 10, steps=1), [-10.0])
    assert rg.linspace(0, 1, 0).shape == (0,)
    assert rg.linspace(0, 1, 3, requires_grad=True).requires_grad
    with pytest.raises(rg.InvalidArgumentError, match="steps"):
        rg.linspace(0, 1, -1)


@pytest.mark.parametrize("n, m", [(0, None), (1, None), (3, None), (2, 4), (4, 2), (3, 0)])
def test_eye_matches_numpy(n, m):
    close(rg.eye(n, m), np.eye(n, m, dtype=np.float32))
    close(rg.eye(n, m=m), np.eye(n, m, dtype=np.float32))


def test_eye_refuses_negative_sizes_and_can_require_grad():
    with pytest.raises(rg.InvalidArgumentError, match="n must be >= 0"):
        rg.eye(-1)
    with pytest.raises(rg.InvalidArgumentError, match="m must be >= 0"):
        rg.eye(2, -3)
    e = rg.eye(2, requires_grad=True)
    (e * 3.0).sum().backward()
    close(e.grad, np.full((2, 2), 3.0))


# the *_like family
@given(shape=shapes, seed=seeds)
@FAST
def test_like_functions_take_the_input_shape(shape, seed):
    x = rg.tensor(arrays(shape, seed))
    close(rg.zeros_like(x), np.zeros(shape))
    close(rg.ones_like(x), np.ones(shape))
    close(rg.full_like(x, 2.5), np.full(shape, 2.5))
    assert rg.rand_like(x).shape == shape and rg.randn_like(x).shape == shape
    # An array works too, as NumPy's zeros_like.
    close(rg.ones_like(np.zeros(shape)), np.ones(shape))


def test_like_results_are_new_leaves():
    x = rg.tensor([[1.0, 2.0]], requires_grad=True)
    z = rg.zeros_like(x)
    assert not z.requires_grad and z.is_leaf and z.grad_fn is None
    y = rg.full_like(x, 7.0, requires_grad=True)
    assert y.requires_grad and y.is_leaf
    assert x.numpy().tolist() == [[1.0, 2.0]]  # the input is not touched


def test_rand_like_and_randn_like_follow_manual_seed():
    x = rg.zeros(64, 3)
    rg.manual_seed(123)
    u1, n1 = rg.rand_like(x).numpy().copy(), rg.randn_like(x).numpy().copy()
    rg.manual_seed(123)
    u2, n2 = rg.rand_like(x).numpy(), rg.randn_like(x).numpy()
    np.testing.assert_array_equal(u1, u2)
    np.testing.assert_array_equal(n1, n2)
    assert not np.array_equal(u1, rg.rand_like(x).numpy())
    # The same generator as rand / randn: the same draws for the same seed.
    rg.manual_seed(7)
    a = rg.rand(64, 3).numpy().copy()
    rg.manual_seed(7)
    np.testing.assert_array_equal(rg.rand_like(x).numpy(), a)
    assert 0.0 <= u1.min() and u1.max() < 1.0
    assert abs(n1.mean()) < 0.3 and 0.7 < n1.std() < 1.3


# cat, t
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), seed=seeds, data=st.data())
@FAST
def test_cat_matches_numpy_along_dim(shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = arrays(tuple(shape), seed)
    other = list(shape)
    other[dim] = data.draw(st.integers(1, 3))
    b = arrays(tuple(other), seed + 1)
    want = np.concatenate([a, b], axis=dim)
    close(rg.cat([a, b], dim=dim), want)
    close(rg.cat((rg.tensor(a), b), axis=dim), want)
    close(rg.cat([a, b], dim), want)
    check_grad(
        lambda x, y: rg.cat([x, y], dim=dim), lambda x, y: np.concatenate([x, y], dim), [a, b]
    )


def test_cat_defaults_to_dim_zero_and_refuses_two_different_axes():
    close(rg.cat([[1.0], [2.0, 3.0]]), [1.0, 2.0, 3.0])
    close(rg.cat([np.ones((1, 2)), np.ones((1, 2))], dim=1, axis=1), np.ones((1, 4)))
    with pytest.raises(TypeError, match="both dim=1 and axis=0"):
        rg.cat([np.ones((2, 2)), np.ones((2, 2))], dim=1, axis=0)
    with pytest.raises(rg.ShapeError):
        rg.cat([np.ones((2, 2)), np.ones((3, 3))], dim=0)


@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple), seed=seeds)
@FAST
def test_t_transposes_two_dims_and_keeps_fewer(shape, seed):
    x = arrays(shape, seed)
    close(rg.tensor(x).t(), x.T)
    check_grad(lambda v: v.t(), lambda v: v.T, [x], seed)


def test_t_refuses_more_than_two_dims():
    with pytest.raises(rg.ShapeError, match="at most 2 dimensions"):
        rg.zeros(2, 3, 4).t()
