"""Shape ops, joins, indexing and one_hot against NumPy (values; gradients are in test_grad_views)."""

import numpy as np
import pytest
import rustgrad as rg
from core_helpers import FAST, arrays, close, nonempty_shapes
from hypothesis import given
from hypothesis import strategies as st

seeds = st.integers(0, 2**32 - 1)


@given(shape=nonempty_shapes, seed=seeds, data=st.data())
@FAST
def test_reshape_flatten_and_minus_one(shape, seed, data):
    x = arrays(shape, seed)
    t = rg.tensor(x)
    target = data.draw(st.permutations(list(shape)))
    close(t.reshape(target), x.reshape(target))
    close(t.reshape(*target), x.reshape(target))
    close(t.reshape(-1), x.reshape(-1))
    close(t.reshape(shape[0], -1), x.reshape(shape[0], -1))
    close(t.flatten(), x.flatten())
    close(t.view(x.size), x.reshape(x.size))


@given(
    shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple), seed=seeds, data=st.data()
)
@FAST
def test_transpose_permute_and_T(shape, seed, data):
    x = arrays(shape, seed)
    t = rg.tensor(x)
    perm = data.draw(st.permutations(range(len(shape))))
    close(t.permute(*perm), x.transpose(perm))
    close(t.permute(perm), x.transpose(perm))
    close(t.transpose(tuple(perm)), x.transpose(perm))
    close(t.T, x.T)
    close(t.transpose(), x.transpose())
    a, b = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=2, max_size=2))
    # Two ints swap exactly those axes (PyTorch), whatever the rank.
    close(t.transpose(a, b), np.swapaxes(x, a, b))


def test_transpose_0_1_swaps_on_2d_and_nd():
    x = arrays((2, 3), 0)
    close(rg.tensor(x).transpose(0, 1), x.T)
    y = arrays((2, 3, 4), 1)
    close(rg.tensor(y).transpose(0, 1), y.transpose(1, 0, 2))
    close(rg.tensor(y).transpose(2, 0, 1), y.transpose(2, 0, 1))


@given(shape=nonempty_shapes, seed=seeds, data=st.data())
@FAST
def test_expand_dims_and_squeeze(shape, seed, data):
    x = arrays(shape, seed)
    t = rg.tensor(x)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    e = t.expand_dims(axis)
    close(e, np.expand_dims(x, axis))
    close(t.unsqueeze(axis), np.expand_dims(x, axis))
    close(e.squeeze(axis), x)
    close(e.squeeze(), np.squeeze(np.expand_dims(x, axis)))
    ones = tuple(i for i, d in enumerate(e.shape) if d == 1)
    close(e.squeeze(ones), np.squeeze(np.expand_dims(x, axis), axis=ones))


def test_squeeze_tuple_and_errors():
    x = np.zeros((1, 3, 1, 1), dtype=np.float32)
    assert rg.tensor(x).squeeze((0, 2)).shape == (3, 1)
    assert rg.tensor(x).squeeze((-1,)).shape == (1, 3, 1)
    with pytest.raises(rg.ShapeError, match=r"squeeze.*\(1, 3, 1, 1\)"):
        rg.tensor(x).squeeze((0, 1))
    with pytest.raises(rg.ShapeError, match="squeeze"):
        rg.tensor(x).squeeze(4)


@given(
    shape=nonempty_shapes,
    seed=seeds,
    n=st.integers(1, 3),
    data=st.data(),
)
@FAST
def test_concatenate_and_stack(shape, seed, n, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    xs = []
    for i in range(n):
        s = list(shape)
        s[axis] = data.draw(st.integers(0, 3))
        xs.append(arrays(tuple(s), seed + i))
    close(rg.concatenate([rg.tensor(x) for x in xs], axis=axis), np.concatenate(xs, axis=axis))
    same = [arrays(shape, seed + i) for i in range(n)]
    sa = data.draw(st.integers(-len(shape) - 1, len(shape)))
    close(rg.stack(tuple(rg.tensor(x) for x in same), axis=sa), np.stack(same, axis=sa))


BASIC_KEYS = [
    1,
    -1,
    (0, 1),
    slice(None),
    slice(1, None),
    slice(None, None, -1),
    slice(-2, None, 2),
    (slice(None), 0),
    (Ellipsis, 1),
    (None, 0),
    (0, None, slice(None, 2)),
    (slice(5, 1), 0),
    (Ellipsis,),
]


@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
def test_basic_indexing_matches_numpy(key):
    x = arrays((3, 4, 2), 7)
    close(rg.tensor(x)[key], x[key])


INT_ARRAY_KEYS = [
    [0, 2],
    np.array([[0, 1], [2, 2]]),
    ([0, 2], [1, 3]),
    (slice(None), [3, 0, 0]),
    ([0, 1], slice(None), [1, 0]),
    (np.array([[0], [2]]), np.array([1, 3])),
    (Ellipsis, [1]),
    [-1, -3],
]


@pytest.mark.parametrize("key", INT_ARRAY_KEYS, ids=repr)
def test_integer_array_indexing_matches_numpy(key):
    x = arrays((3, 4, 2), 3)
    close(rg.tensor(x)[key], x[key])


def test_tensor_indices_and_masks():
    x = arrays((4, 3), 5)
    t = rg.tensor(x)
    close(t[rg.tensor([3, 0])], x[[3, 0]])
    # Comparison results are masks: t[t > 0] selects, it does not gather rows 0 and 1.
    close(t[t > 0], x[x > 0])
    close(t[rg.tensor(x[:, 0]) > 0], x[x[:, 0] > 0])
    close(t[x > 0.5], x[x > 0.5])
    close(t[[True, False, True, False]], x[[True, False, True, False]])
    close(t[:, np.array([False, True, True])], x[:, [False, True, True]])
    close(t[True], x[True])
    close(t[False], x[False])
    close(t[..., True], x[..., True])


@given(seed=seeds, data=st.data())
@FAST
def test_random_masks_match_numpy(seed, data):
    shape = data.draw(nonempty_shapes)
    x = arrays(shape, seed)
    thresh = data.draw(st.floats(-2, 2))
    close(rg.tensor(x)[rg.tensor(x) > thresh], x[x > thresh])


def test_index_errors():
    t = rg.tensor(arrays((3, 4), 0))
    with pytest.raises(IndexError, match="out of bounds"):
        t[3]
    with pytest.raises(IndexError, match="out of bounds"):
        t[:, [0, 4]]
    with pytest.raises(IndexError, match="too many indices"):
        t[0, 0, 0]
    with pytest.raises(IndexError):
        t[[0.5]]
    with pytest.raises(IndexError):
        t["a"]
    # A mask must have the shape of the axes it covers (a short mask is not a partial selection).
    for mask in (np.array([True]), np.ones(4, bool), np.ones((3, 2), bool)):
        with pytest.raises(IndexError, match=r"boolean index.*\(3, 4\)"):
            t[mask]
    with pytest.raises(IndexError, match="out of bounds"):
        t[10**20]
    assert t[10**20 :].shape == (0, 4) and t[-(10**20) :].shape == (3, 4)


@given(n=st.integers(0, 6), classes=st.integers(1, 5), seed=seeds)
@FAST
def test_one_hot_matches_eye(n, classes, seed):
    labels = np.random.default_rng(seed).integers(0, classes, size=n)
    expected = np.eye(classes, dtype=np.float32)[labels]
    close(rg.one_hot(labels, classes), expected)
    close(rg.one_hot(rg.tensor(labels.reshape(-1, 1)), classes), expected.reshape(n, 1, classes))
    if n:
        bad = labels.copy()
        bad[0] = classes
        with pytest.raises(rg.InvalidArgumentError, match="one_hot"):
            rg.one_hot(bad, classes)


def test_broadcast_to():
    x = arrays((3, 1), 0)
    close(rg.tensor(x).broadcast_to((2, 3, 4)), np.broadcast_to(x, (2, 3, 4)))
    with pytest.raises(rg.ShapeError, match="broadcast_to"):
        rg.tensor(x).broadcast_to((3, 2, 4, 2))
