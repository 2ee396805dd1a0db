"""Tests of rustgrad.data: mini-batches, train/test split, Keras-style validation split."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rustgrad.data import Batches, batches, train_test_split, validation_split


def test_batches_in_order_are_views_with_a_short_last_batch():
    x = np.arange(10 * 3).reshape(10, 3)
    y = np.arange(10)
    out = list(batches(x, y, batch_size=4))
    assert [len(b[1]) for b in out] == [4, 4, 2]
    assert all(isinstance(b, tuple) and len(b) == 2 for b in out)
    assert np.array_equal(np.concatenate([b[0] for b in out]), x)
    assert np.shares_memory(out[0][0], x)  # slices, not copies
    assert len(batches(x, y, batch_size=4)) == 3


def test_drop_remainder_and_single_array():
    b = batches(np.arange(10), batch_size=4, drop_remainder=True)
    assert len(b) == 2 and [t[0].tolist() for t in b] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert list(batches(np.arange(3), batch_size=4, drop_remainder=True)) == []
    assert list(batches(np.zeros((0, 2)), batch_size=4)) == []


def test_shuffle_is_seeded_keeps_pairs_and_changes_per_epoch():
    x = np.arange(100)
    y = x * 10
    it = batches(x, y, batch_size=7, shuffle=True, seed=42)
    epoch1 = [(a.copy(), b.copy()) for a, b in it]
    epoch2 = [a.copy() for a, _ in it]
    flat1 = np.concatenate([a for a, _ in epoch1])
    assert sorted(flat1.tolist()) == list(range(100))  # each sample exactly once
    assert all(np.array_equal(b, a * 10) for a, b in epoch1)  # x and y stay aligned
    assert not np.array_equal(flat1, x)
    assert not np.array_equal(flat1, np.concatenate(epoch2))
    again = [a for a, _ in batches(x, y, batch_size=7, shuffle=True, seed=42)]
    assert np.array_equal(np.concatenate(again), flat1)  # same seed, same order
    gen = np.random.default_rng(0)
    assert len(list(batches(x, batch_size=10, shuffle=True, seed=gen))) == 10


def test_lists_are_accepted():
    assert [b[0].tolist() for b in batches([1, 2, 3], batch_size=2)] == [[1, 2], [3]]


@pytest.mark.parametrize("bad", [0, -1])
def test_nonpositive_batch_size_is_a_value_error(bad):
    with pytest.raises(ValueError, match="batch_size"):
        batches(np.arange(4), batch_size=bad)


@pytest.mark.parametrize("bad", [1.5, "8", True, None])
def test_non_integer_batch_size_is_a_type_error(bad):
    with pytest.raises(TypeError, match="batch_size"):
        batches(np.arange(4), batch_size=bad)


def test_mismatched_lengths_name_the_lengths():
    with pytest.raises(ValueError, match=r"\[10, 9\]"):
        batches(np.zeros(10), np.zeros(9), batch_size=2)
    with pytest.raises(ValueError, match=r"\[10, 9\]"):
        train_test_split(np.zeros(10), np.zeros(9))
    with pytest.raises(ValueError, match=r"\[10, 9\]"):
        validation_split(np.zeros(10), np.zeros(9), 0.2)


def test_no_arrays_or_a_scalar_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        batches(batch_size=2)
    with pytest.raises(ValueError, match="scalar"):
        batches(np.float32(3.0), batch_size=2)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 60),
    batch_size=st.integers(1, 70),
    shuffle=st.booleans(),
    drop=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_batches_cover_every_sample_once(n, batch_size, shuffle, drop, seed):
    x = np.arange(n)
    it = Batches(x, batch_size=batch_size, shuffle=shuffle, seed=seed, drop_remainder=drop)
    got = [b[0] for b in it]
    assert len(got) == len(it)
    assert all(len(b) == batch_size for b in got[:-1])
    flat = np.concatenate(got) if got else np.zeros(0, int)
    kept = (n // batch_size) * batch_size if drop else n
    assert len(flat) == kept and len(set(flat.tolist())) == kept
    if not shuffle:
        assert flat.tolist() == list(range(kept))


def test_train_test_split_sizes_alignment_and_seed():
    x = np.arange(10)
    y = x + 100
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, seed=3)
    assert len(x_te) == 3 and len(x_tr) == 7  # ceil(10 * 0.25)
    assert sorted(np.concatenate([x_tr, x_te]).tolist()) == list(range(10))
    assert np.array_equal(y_tr, x_tr + 100) and np.array_equal(y_te, x_te + 100)
    assert np.array_equal(train_test_split(x, y, seed=3)[1], x_te)
    a, b = train_test_split(x, test_size=4, shuffle=False)
    assert a.tolist() == list(range(6)) and b.tolist() == [6, 7, 8, 9]


@pytest.mark.parametrize("size", [0.0, 1.0, -0.1, 0, 10, 11])
def test_train_test_split_refuses_empty_parts(size):
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(np.arange(10), test_size=size)


def test_validation_split_takes_the_last_fraction_like_keras():
    x = np.arange(10).reshape(10, 1)
    y = np.arange(10)
    (x_tr, y_tr), (x_val, y_val) = validation_split(x, y, 0.25)
    # Keras: split_at = floor(10 * (1 - 0.25)) = 7; no shuffling before the split.
    assert y_tr.tolist() == list(range(7)) and y_val.tolist() == [7, 8, 9]
    assert x_tr[:, 0].tolist() == list(range(7))
    assert x_val[:, 0].tolist() == [7, 8, 9] and np.shares_memory(x_val, x)
    (_x_tr, none_tr), (x_val, none_val) = validation_split(x, None, 0.5)
    assert none_tr is None and none_val is None and len(x_val) == 5


@pytest.mark.parametrize("fraction", [0.0, 1.0, 1.5, -0.2, 1e-17])
def test_validation_split_refuses_bad_fractions(fraction):
    with pytest.raises(ValueError):
        validation_split(np.arange(10), np.arange(10), fraction)
