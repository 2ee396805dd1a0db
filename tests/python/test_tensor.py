"""Tensor construction, factories, properties and conversions to and from Python and NumPy."""

import numpy as np
import pytest
import rustgrad as rg
from core_helpers import FAST, arrays, shapes
from hypothesis import given
from hypothesis import strategies as st

NUMERIC_DTYPES = [
    np.bool_,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
]


@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_tensor_from_numpy_of_every_numeric_dtype(dtype):
    src = np.array([[0, 1, 2], [3, 4, 5]]).astype(dtype)
    t = rg.tensor(src)
    assert t.shape == (2, 3) and t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), src.astype(np.float32))


@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_numpy_scalars_and_0d_arrays_stay_0d(dtype):
    for value in (dtype(1), np.array(1, dtype=dtype)):
        t = rg.tensor(value)
        assert t.shape == () and t.item() == 1.0
    assert (rg.tensor([1.0, 2.0]) * dtype(1)).shape == (2,)


def test_tensor_from_non_contiguous_and_strided_arrays():
    for dtype in (np.float64, np.float32):  # float32 arrays are read without a conversion
        src = np.arange(24, dtype=dtype).reshape(4, 6)
        for view in (src.T, src[::2, ::-3], np.asfortranarray(src)):
            np.testing.assert_array_equal(rg.tensor(view).numpy(), view.astype(np.float32))


@pytest.mark.parametrize(
    "data,shape",
    [
        (3, ()),
        (2.5, ()),
        (True, ()),
        ([1, 2, 3], (3,)),
        ([[1.0, 2.0], [3.0, 4.0]], (2, 2)),
        ([[[1], [2]], [[3], [4]], [[5], [6]]], (3, 2, 1)),
        ([], (0,)),
        ([[], []], (2, 0)),
        ((1, 2.5), (2,)),
        ([np.float32(1), np.int64(2)], (2,)),
    ],
)
def test_tensor_from_python_values(data, shape):
    t = rg.tensor(data)
    assert t.shape == shape
    np.testing.assert_array_equal(t.numpy(), np.asarray(data, dtype=np.float32))


@pytest.mark.parametrize("ragged", [[[1, 2], [3]], [1, [2, 3]], [[[1, 2]], [[3]]]])
def test_ragged_lists_raise(ragged):
    with pytest.raises((rg.ShapeError, TypeError)) as e:
        rg.tensor(ragged)
    assert "tensor" in str(e.value)


def test_tensor_copies_its_input():
    src = np.ones(3, dtype=np.float32)
    t = rg.tensor(src)
    src[0] = 5.0
    assert t.numpy()[0] == 1.0
    u = rg.tensor(t, requires_grad=True)
    assert u.is_leaf and u.requires_grad and not t.requires_grad


@given(shapes)
@FAST
def test_factories_fill_their_shape(shape):
    for fn, value in ((rg.zeros, 0.0), (rg.ones, 1.0)):
        t = fn(shape)
        assert t.shape == shape and t.size == int(np.prod(shape)) and t.ndim == len(shape)
        np.testing.assert_array_equal(t.numpy(), np.full(shape, value, np.float32))
    np.testing.assert_array_equal(rg.full(shape, -2.5).numpy(), np.full(shape, -2.5, np.float32))
    if shape:
        assert rg.zeros(*shape).shape == shape


def test_full_accepts_an_int_shape():
    np.testing.assert_array_equal(rg.full(3, 1.0).numpy(), np.ones(3, np.float32))
    assert rg.full((), 7.0).item() == 7.0
    assert rg.full([2, 1], 0.5).shape == (2, 1)


@pytest.mark.parametrize(
    "args", [(5,), (2, 7), (0, 1, 0.25), (3, -2, -1), (1.5, 4), (0, 0), (5, 1)]
)
def test_arange_matches_numpy(args):
    np.testing.assert_allclose(rg.arange(*args).numpy(), np.arange(*args, dtype=np.float64))


def test_rand_and_randn_are_seeded_and_distributed():
    rg.manual_seed(123)
    a, b = rg.rand(1000), rg.randn(2000)
    rg.manual_seed(123)
    np.testing.assert_array_equal(rg.rand(1000).numpy(), a.numpy())
    np.testing.assert_array_equal(rg.randn(2000).numpy(), b.numpy())
    rg.manual_seed(124)
    assert not np.array_equal(rg.rand(1000).numpy(), a.numpy())
    assert a.numpy().min() >= 0.0 and a.numpy().max() < 1.0
    assert abs(a.numpy().mean() - 0.5) < 0.05
    assert abs(b.numpy().mean()) < 0.1 and abs(b.numpy().std() - 1.0) < 0.1
    assert rg.rand(2, 3).shape == (2, 3) and rg.randn((4,)).shape == (4,)


def test_properties():
    t = rg.tensor(np.zeros((2, 3, 4)), requires_grad=True)
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3, 4), 3, 24, 2)
    assert t.dtype == np.float32 and t.is_leaf and t.requires_grad and t.grad is None
    y = t * 2
    assert not y.is_leaf and y.requires_grad
    assert rg.tensor(1.0).is_leaf
    with pytest.raises(TypeError):
        len(rg.tensor(1.0))


def test_numpy_shares_memory_and_asarray_follows_numpy2_copy_rules():
    t = rg.tensor([1.0, 2.0, 3.0])
    a, b = t.numpy(), np.asarray(t)
    assert a.dtype == np.float32 and np.shares_memory(a, b)
    assert np.shares_memory(np.asarray(t, dtype=np.float32), a)
    assert np.shares_memory(np.array(t, copy=False), a)
    c = np.array(t, copy=True)
    assert not np.shares_memory(c, a)
    d = np.asarray(t, dtype=np.float64)
    assert d.dtype == np.float64 and not np.shares_memory(d, a)
    np.testing.assert_array_equal(d, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        np.array(t, dtype=np.float64, copy=False)
    e = np.array(t, dtype=np.int32, copy=True)
    assert e.dtype == np.int32 and e.tolist() == [1, 2, 3]


def test_numpy_ufuncs_read_tensors_like_torch():
    x = rg.tensor([0.0, 1.0, -2.0])
    r = np.exp(x)
    assert isinstance(r, np.ndarray)
    np.testing.assert_allclose(r, np.exp([0.0, 1.0, -2.0]), rtol=1e-6)
    np.testing.assert_allclose(np.maximum(x, 0.5), [0.5, 1.0, 0.5])
    # ndarray op Tensor defers to the tensor's reflected operator and stays a Tensor.
    s = np.array([1.0, 1.0, 1.0], dtype=np.float32) + x
    assert isinstance(s, rg.Tensor)
    np.testing.assert_array_equal(s.numpy(), [1.0, 2.0, -1.0])
    assert isinstance(np.float32(2.0) * x, rg.Tensor)


@given(shapes, st.integers(0, 10**6))
@FAST
def test_item_tolist_roundtrip(shape, seed):
    x = arrays(shape, seed)
    t = rg.tensor(x)
    assert t.tolist() == x.tolist()
    if x.size == 1:
        assert t.item() == float(x.reshape(-1)[0])
    else:
        with pytest.raises(rg.ShapeError):
            t.item()


def test_scalar_conversions_of_one_element_tensors():
    t = rg.tensor([[2.75]])
    assert float(t) == 2.75 and int(t) == 2 and int(rg.tensor(-2.75)) == -2
    assert bool(t) and not bool(rg.tensor([0.0]))
    assert f"{t:.1f}" == "2.8" and f"{rg.tensor(3.0):>6.2f}" == "  3.00"
    assert format(rg.tensor([1.0, 2.0]), "") == repr(rg.tensor([1.0, 2.0]))
    assert f"{rg.tensor(2.5)}" == "2.5" and f"{rg.tensor([2.5])}" == repr(rg.tensor([2.5]))
    many = rg.tensor([1.0, 2.0])
    for conv in (float, int, bool):
        with pytest.raises(ValueError):
            conv(many)
    with pytest.raises(TypeError):
        f"{many:.2f}"
    with pytest.raises(ValueError):
        int(rg.tensor(float("nan")))


def test_iteration_and_equality_with_foreign_objects():
    t = rg.tensor([[1.0, 2.0], [3.0, 4.0]])
    rows = list(t)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    assert [float(v) for v in rg.tensor([5.0, 6.0])] == [5.0, 6.0]
    with pytest.raises(TypeError, match="0-d"):
        iter(rg.tensor(1.0))
    assert (t == None) is False
    assert (t != "a") is True
    with pytest.raises(TypeError):
        t < None  # noqa: B015


def test_repr_is_numpy_like():
    r = repr(rg.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert r.startswith("tensor([[1., 2.],") and r.endswith("]])")
    assert "requires_grad=True" in repr(rg.tensor([1.0], requires_grad=True))
    y = rg.tensor([1.0], requires_grad=True) * 2
    assert "grad_fn=<mul>" in repr(y)
    assert repr(rg.tensor(2.0)) == "tensor(2.)"
    assert str(rg.zeros((0, 3))).startswith("tensor(")
