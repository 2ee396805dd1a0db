"""tf.data.Dataset against plain Python / NumPy: each transformation's elements and order, shuffle's
buffer, cardinality, element types."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import Tensor

Dataset = tf.data.Dataset


def items(ds):
    return list(ds.as_numpy_iterator())


def ints(ds):
    return [int(v) for v in ds.as_numpy_iterator()]


# ---- creation and element types -------------------------------------------------------------------
def test_tf_data_names():
    assert tf.data.AUTOTUNE == tf.data.experimental.AUTOTUNE
    assert tf.data.INFINITE_CARDINALITY == -1 and tf.data.UNKNOWN_CARDINALITY == -2
    assert tf.data.experimental.cardinality(Dataset.range(4)) == 4


def test_from_tensor_slices_tuple_yields_tensors_and_int_labels():
    x = np.arange(12, dtype=np.float64).reshape(6, 2)
    y = np.arange(6)
    got = list(Dataset.from_tensor_slices((x, y)))
    assert len(got) == 6
    for i, (xe, ye) in enumerate(got):
        assert isinstance(xe, Tensor) and xe.shape == (2,)
        np.testing.assert_array_equal(xe.numpy(), x[i].astype(np.float32))
        assert ye.numpy().dtype == np.int64 and int(ye.numpy()) == i


def test_as_numpy_iterator_keeps_dtypes_and_gives_scalars():
    x = np.arange(6, dtype=np.float64).reshape(3, 2)
    out = items(Dataset.from_tensor_slices((x, np.arange(3, dtype=np.int32))))
    assert out[1][0].dtype == np.float64 and isinstance(out[1][1], np.int32)
    np.testing.assert_array_equal(out[2][0], x[2])


def test_from_tensor_slices_dict_and_tensor():
    d = {"a": np.arange(3.0), "b": tf.tensor(np.ones((3, 2), np.float32))}
    out = items(Dataset.from_tensor_slices(d))
    assert [list(e) for e in out] == [["a", "b"]] * 3
    assert out[2]["a"] == 2.0 and out[2]["b"].shape == (2,)
    elem = next(iter(Dataset.from_tensor_slices(d)))
    assert isinstance(elem["a"], Tensor)


def test_list_is_one_tensor_as_tf():
    assert ints(Dataset.from_tensor_slices([1, 2, 3])) == [1, 2, 3]
    with pytest.raises(ValueError, match="tuple"):
        Dataset.from_tensor_slices([np.ones(3), np.ones(2)])


def test_slices_must_share_first_dimension():
    with pytest.raises(ValueError, match="first dimension"):
        Dataset.from_tensor_slices((np.ones((4, 2)), np.ones(5)))
    with pytest.raises(ValueError, match="scalar"):
        Dataset.from_tensor_slices(np.float32(1.0))


def test_from_tensors_and_range():
    out = items(Dataset.from_tensors(np.arange(4)))
    assert len(out) == 1 and out[0].tolist() == [0, 1, 2, 3]
    assert ints(Dataset.range(5)) == list(range(5))
    assert ints(Dataset.range(2, 11, 3)) == list(range(2, 11, 3))
    assert Dataset.range(2, 11, 3).cardinality() == 3


# ---- shuffle ----------------------------------------------------------------------------------------
def test_shuffle_seeded_is_reproducible_and_a_permutation():
    a = ints(Dataset.range(50).shuffle(10, seed=7))
    b = ints(Dataset.range(50).shuffle(10, seed=7))
    assert a == b and sorted(a) == list(range(50)) and a != list(range(50))
    assert ints(Dataset.range(50).shuffle(10, seed=8)) != a


@pytest.mark.parametrize("buffer", [1, 2, 5, 17])
def test_small_buffer_keeps_elements_near_their_place(buffer):
    for seed in range(5):
        out = ints(Dataset.range(100).shuffle(buffer, seed=seed))
        assert sorted(out) == list(range(100))
        # Output k is drawn from a buffer holding inputs up to k + buffer - 1.
        assert all(v <= k + buffer - 1 for k, v in enumerate(out))
    assert ints(Dataset.range(10).shuffle(1, seed=0)) == list(range(10))


def test_big_buffer_moves_elements_far():
    out = ints(Dataset.range(100).shuffle(1000, seed=1))
    assert sorted(out) == list(range(100))
    assert max(v - k for k, v in enumerate(out)) > 20


def test_buffer_is_uniform_over_its_contents():
    # With buffer 3 the first output is one of the first three inputs, each a third of the time.
    firsts = [ints(Dataset.range(10).shuffle(3, seed=s))[0] for s in range(900)]
    counts = np.bincount(firsts, minlength=10)
    assert counts[3:].sum() == 0 and all(240 < c < 360 for c in counts[:3])


def test_reshuffle_each_iteration():
    ds = Dataset.range(30).shuffle(30, seed=3)
    assert ints(ds) != ints(ds)
    fixed = Dataset.range(30).shuffle(30, seed=3, reshuffle_each_iteration=False)
    assert ints(fixed) == ints(fixed)
    # The sequence of epochs is itself reproducible.
    again = Dataset.range(30).shuffle(30, seed=3)
    ds2 = Dataset.range(30).shuffle(30, seed=3)
    assert [ints(again) for _ in range(3)] == [ints(ds2) for _ in range(3)]


def test_unseeded_shuffle_follows_numpy_global_seed():
    np.random.seed(5)
    a = ints(Dataset.range(20).shuffle(20))
    np.random.seed(5)
    assert ints(Dataset.range(20).shuffle(20)) == a


def test_shuffle_after_map_matches_index_path():
    plain = ints(Dataset.range(40).shuffle(7, seed=2))
    mapped = ints(Dataset.range(40).map(lambda v: v).shuffle(7, seed=2))
    full = ints(Dataset.range(40).map(lambda v: v).shuffle(100, seed=2))
    assert mapped == plain and full == ints(Dataset.range(40).shuffle(100, seed=2))


# ---- batch -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("drop", [False, True])
def test_batch_matches_numpy_slices(drop):
    x = np.arange(22, dtype=np.float32).reshape(11, 2)
    y = np.arange(11)
    out = items(Dataset.from_tensor_slices((x, y)).batch(4, drop_remainder=drop))
    stops = [4, 8] if drop else [4, 8, 11]
    assert len(out) == len(stops) == len(Dataset.from_tensor_slices(x).batch(4, drop))
    for (xb, yb), stop in zip(out, stops):
        np.testing.assert_array_equal(xb, x[stop - 4 if stop != 11 else 8 : stop])
        np.testing.assert_array_equal(yb, y[stop - 4 if stop != 11 else 8 : stop])


def test_batch_yields_tensors_and_generic_path_equals_vectorised():
    x = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)

    def make():
        return Dataset.from_tensor_slices(({"f": x}, np.arange(10))).shuffle(4, seed=1)

    fast = items(make().batch(3))
    slow = items(make().map(lambda a, b: (a, b)).batch(3))
    assert len(fast) == len(slow) == 4
    for (a, b), (c, d) in zip(fast, slow):
        np.testing.assert_array_equal(a["f"], c["f"])
        np.testing.assert_array_equal(b, d)
    xb, yb = next(iter(Dataset.from_tensor_slices((x, np.arange(10))).batch(3)))
    assert isinstance(xb, Tensor) and xb.shape == (3, 3) and yb.numpy().tolist() == [0, 1, 2]


def test_batch_of_different_shapes_raises():
    ds = Dataset.range(3).map(lambda v: np.zeros(int(v) + 1))
    with pytest.raises(ValueError, match="different shapes"):
        items(ds.batch(3))


def test_unbatch_undoes_batch():
    assert ints(Dataset.range(7).batch(3).unbatch()) == list(range(7))
    assert Dataset.range(7).batch(3).unbatch().cardinality() == tf.data.UNKNOWN_CARDINALITY


# ---- map and filter --------------------------------------------------------------------------------
def test_map_calls_with_components_as_arguments():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    seen = []

    def fn(a, b):
        seen.append((type(a), type(b)))
        return a * 2.0, [b + 1, b]

    out = items(Dataset.from_tensor_slices((x, np.arange(3))).map(fn, num_parallel_calls=-1))
    assert seen[0][0] is Tensor
    for i, (a, (b, c)) in enumerate(out):
        np.testing.assert_array_equal(a, x[i] * 2)
        assert (b, c) == (i + 1, i)


def test_map_single_and_filter():
    assert ints(Dataset.range(10).map(lambda v: v * v)) == [i * i for i in range(10)]
    evens = Dataset.range(10).filter(lambda v: v % 2 == 0)
    assert ints(evens) == [0, 2, 4, 6, 8]
    floats = Dataset.from_tensor_slices(np.arange(5.0)).filter(lambda v: v > 2)
    assert [float(v) for v in floats.as_numpy_iterator()] == [3.0, 4.0]


# ---- repeat, take, skip, cache, cardinality --------------------------------------------------------
def test_repeat_take_skip_against_python():
    ref = list(range(5))
    assert ints(Dataset.range(5).repeat(3)) == ref * 3
    assert ints(Dataset.range(5).repeat().take(12)) == (ref * 3)[:12]
    assert ints(Dataset.range(5).take(3)) == ref[:3]
    assert ints(Dataset.range(5).take(-1)) == ref
    assert ints(Dataset.range(5).skip(2)) == ref[2:]
    assert ints(Dataset.range(5).skip(-1)) == []
    assert ints(Dataset.range(5).map(lambda v: v).skip(3).take(1)) == [3]
    assert ints(Dataset.range(0).repeat()) == []


def test_repeat_reshuffles_each_repetition():
    out = ints(Dataset.range(20).shuffle(20, seed=4).repeat(2))
    assert sorted(out[:20]) == sorted(out[20:]) == list(range(20)) and out[:20] != out[20:]


@pytest.mark.parametrize(
    ("make", "card"),
    [
        (lambda: Dataset.range(10), 10),
        (lambda: Dataset.range(10).batch(3), 4),
        (lambda: Dataset.range(10).batch(3, drop_remainder=True), 3),
        (lambda: Dataset.range(10).repeat(), -1),
        (lambda: Dataset.range(10).repeat().take(7), 7),
        (lambda: Dataset.range(10).repeat(2).skip(3), 17),
        (lambda: Dataset.range(10).filter(lambda v: True), -2),
        (lambda: Dataset.range(10).map(lambda v: v).shuffle(3), 10),
        (lambda: Dataset.zip(Dataset.range(3), Dataset.range(10).repeat()), 3),
        (lambda: Dataset.range(3).concatenate(Dataset.range(4)), 7),
    ],
)
def test_cardinality(make, card):
    ds = make()
    assert ds.cardinality() == card and ds.cardinality().numpy() == card
    if card >= 0:
        assert len(ds) == card == len(items(ds))


def test_len_raises_type_error_when_not_finite():
    with pytest.raises(TypeError, match="infinite"):
        len(Dataset.range(3).repeat())
    with pytest.raises(TypeError, match="unknown"):
        len(Dataset.range(3).filter(lambda v: True))


def test_cache_replays_first_iteration():
    calls = []
    ds = Dataset.range(4).map(lambda v: calls.append(1) or v).cache()
    assert ints(ds) == ints(ds) == [0, 1, 2, 3] and len(calls) == 4
    shuffled = Dataset.range(30).shuffle(30, seed=1).cache()
    assert ints(shuffled) == ints(shuffled)


def test_prefetch_is_a_pass_through():
    ds = Dataset.range(6).batch(4).prefetch(tf.data.AUTOTUNE)
    assert [b.tolist() for b in ds.as_numpy_iterator()] == [[0, 1, 2, 3], [4, 5]]
    assert ds.cardinality() == 2


# ---- combining -------------------------------------------------------------------------------------
def test_zip_concatenate_enumerate():
    z = items(Dataset.zip(Dataset.range(3), Dataset.range(10, 15)))
    assert [(int(a), int(b)) for a, b in z] == [(0, 10), (1, 11), (2, 12)]
    zd = items(Dataset.zip({"a": Dataset.range(2), "b": Dataset.range(5)}))
    assert [(int(e["a"]), int(e["b"])) for e in zd] == [(0, 0), (1, 1)]
    assert ints(Dataset.range(2).concatenate(Dataset.range(5, 7))) == [0, 1, 5, 6]
    e = items(Dataset.range(10, 13).enumerate(start=5))
    assert [(int(i), int(v)) for i, v in e] == [(5, 10), (6, 11), (7, 12)]
    with pytest.raises(TypeError):
        Dataset.zip(Dataset.range(2), [1, 2])


def test_iterating_twice_gives_the_same_elements_without_shuffle():
    ds = Dataset.from_tensor_slices(np.arange(8.0)).map(lambda v: v + 1).batch(3)
    first = [b.tolist() for b in ds.as_numpy_iterator()]
    assert first == [b.tolist() for b in ds.as_numpy_iterator()]
    assert first == [[1, 2, 3], [4, 5, 6], [7, 8]]
