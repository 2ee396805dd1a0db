"""keras.utils.pad_sequences (against the real Keras) and timeseries_dataset_from_array (Keras'
documented windows, a NumPy reference, and fit on it with an LSTM)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from keras_interop_helpers import keras_python, run_keras
from rustgrad import keras

PAD_CASES = [
    {},
    {"maxlen": 2},
    {"maxlen": 5, "padding": "post"},
    {"maxlen": 2, "truncating": "post"},
    {"maxlen": 4, "padding": "post", "truncating": "post", "value": -1},
    {"dtype": "float32", "value": 0.5},
]
SEQS = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]]

KERAS_PAD = """
import json, sys, keras
seqs, cases = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps([[keras.utils.pad_sequences(seqs, **c).tolist(),
                   str(keras.utils.pad_sequences(seqs, **c).dtype)] for c in cases]))
"""


def test_pad_sequences_equals_keras():
    keras_python()
    want = json.loads(run_keras(KERAS_PAD, json.dumps(SEQS), json.dumps(PAD_CASES)))
    for case, (values, dtype) in zip(PAD_CASES, want):
        got = keras.utils.pad_sequences(SEQS, **case)
        assert str(got.dtype) == dtype, case
        np.testing.assert_array_equal(got, np.asarray(values).reshape(got.shape), err_msg=str(case))
    assert keras.preprocessing.sequence.pad_sequences is keras.utils.pad_sequences


def test_pad_sequences_of_vectors_and_bad_input():
    seqs = [np.ones((2, 3)), np.full((4, 3), 2.0)]
    out = keras.utils.pad_sequences(seqs, maxlen=3, dtype="float32")
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out[0], np.r_[np.zeros((1, 3)), np.ones((2, 3))])
    np.testing.assert_array_equal(out[1], np.full((3, 3), 2.0))
    with pytest.raises(ValueError, match="iterables"):
        keras.utils.pad_sequences([[1], 3])
    with pytest.raises(ValueError, match="Padding type"):
        keras.utils.pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match="Truncating type"):
        keras.utils.pad_sequences(SEQS, truncating="both")
    with pytest.raises(ValueError, match="dtype"):
        keras.utils.pad_sequences(SEQS, value="x")
    with pytest.raises(ValueError, match="Shape of sample"):
        keras.utils.pad_sequences([np.ones((2, 3)), np.ones((2, 4))])
    # Keras itself fails on maxlen=0 (s[-0:] is the whole sequence); the rows are empty here.
    assert keras.utils.pad_sequences(SEQS, maxlen=0).shape == (4, 0)
    text = keras.utils.pad_sequences([["a", "b"], ["c"]], dtype=object, value="")
    assert text.tolist() == [["a", "b"], ["", "c"]]


def _all(ds):
    batches = list(ds.as_numpy_iterator())
    if isinstance(batches[0], tuple):
        return tuple(np.concatenate(c) for c in zip(*batches))
    return np.concatenate(batches)


def test_windows_are_keras_documented_ones():
    # keras.utils.timeseries_dataset_from_array's docstring, example 1.
    ds = keras.utils.timeseries_dataset_from_array(
        np.arange(100)[:99], None, sequence_length=10, sampling_rate=2, sequence_stride=3
    )
    x = _all(ds)
    np.testing.assert_array_equal(x[0], np.arange(0, 20, 2))
    np.testing.assert_array_equal(x[1], np.arange(3, 23, 2))
    np.testing.assert_array_equal(x[-1], np.arange(78, 98, 2))
    # Example 2: targets 10 steps ahead.
    data = np.arange(50)
    ds = keras.utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)
    inputs, targets = next(iter(ds.as_numpy_iterator()))
    np.testing.assert_array_equal(inputs[0], data[:10])
    assert targets[0] == data[10]


@pytest.mark.parametrize(
    "kw",
    [
        {"sequence_length": 4},
        {"sequence_length": 3, "sequence_stride": 2, "sampling_rate": 3, "batch_size": 5},
        {"sequence_length": 5, "start_index": 7, "end_index": 40, "batch_size": None},
    ],
)
def test_windows_equal_a_numpy_reference(kw):
    r = np.random.default_rng(0)
    data = r.normal(size=(60, 2)).astype(np.float32)
    targets = r.normal(size=60).astype(np.float32)
    ds = keras.utils.timeseries_dataset_from_array(data, targets, **kw)
    length, stride = kw["sequence_length"], kw.get("sequence_stride", 1)
    rate, start = kw.get("sampling_rate", 1), kw.get("start_index", 0)
    end = kw.get("end_index", len(data))
    starts = range(start, end - (length - 1) * rate, stride)
    want_x = np.stack([data[s : s + length * rate : rate] for s in starts])
    want_y = np.array([targets[s] for s in starts])
    if kw.get("batch_size", 128) is None:
        got = list(ds.as_numpy_iterator())
        got_x, got_y = np.stack([g[0] for g in got]), np.array([g[1] for g in got])
    else:
        got_x, got_y = _all(ds)
    np.testing.assert_array_equal(got_x, want_x)
    np.testing.assert_array_equal(got_y, want_y)


def test_shuffled_windows_are_the_same_windows_and_seeded():
    data = np.arange(200, dtype=np.float32)[:, None]
    make = lambda: keras.utils.timeseries_dataset_from_array(
        data, data[:, 0], sequence_length=5, batch_size=16, shuffle=True, seed=3
    )
    x, y = _all(make())
    assert sorted(y.tolist()) == list(range(196))
    np.testing.assert_array_equal(x[:, 0, 0], y)
    assert not np.array_equal(y, np.arange(196))
    np.testing.assert_array_equal(_all(make())[1], y)


def test_bad_arguments_raise():
    data = np.zeros((20, 1))
    with pytest.raises(ValueError, match="sequence_length"):
        keras.utils.timeseries_dataset_from_array(data, None, 0)
    with pytest.raises(ValueError, match="sampling_rate"):
        keras.utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)
    with pytest.raises(ValueError, match="start_index"):
        keras.utils.timeseries_dataset_from_array(data, None, 3, start_index=25)
    with pytest.raises(ValueError, match="end_index"):
        keras.utils.timeseries_dataset_from_array(data, None, 3, start_index=5, end_index=4)
    with pytest.raises(ValueError, match="format"):
        keras.utils.timeseries_dataset_from_array(data, None, 3, format="grain")


def test_an_lstm_forecasts_from_windows():
    t = np.arange(1200, dtype=np.float32)
    series = np.stack([np.sin(t / 8), np.cos(t / 8)], 1).astype(np.float32)
    ahead = 3
    train = keras.utils.timeseries_dataset_from_array(
        series[:-ahead],
        series[ahead + 15 :, 0],
        sequence_length=16,
        batch_size=32,
        shuffle=True,
        seed=1,
    )
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((16, 2)), keras.layers.LSTM(16), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    history = model.fit(train, epochs=4, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    assert model.evaluate(train, verbose=0) < 0.01
