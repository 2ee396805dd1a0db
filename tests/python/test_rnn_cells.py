"""keras.layers.RNN over SimpleRNNCell, LSTMCell and GRUCell: the same values as the matching
layer, files both ways with the real Keras, the wrappers' regularization counted once, errors."""

from __future__ import annotations

import numpy as np
import pytest
from keras_interop_helpers import files_both_ways
from rustgrad import keras

L = keras.layers

PAIRS = [
    (lambda: L.LSTMCell(4), lambda **kw: L.LSTM(4, **kw)),
    (lambda: L.GRUCell(3, reset_after=False), lambda **kw: L.GRU(3, reset_after=False, **kw)),
    (lambda: L.SimpleRNNCell(2, activation="relu"), lambda **kw: L.SimpleRNN(2, "relu", **kw)),
]


@pytest.mark.parametrize("cell,layer", PAIRS)
@pytest.mark.parametrize("kw", [{}, {"return_sequences": True, "go_backwards": True}])
def test_rnn_of_a_cell_is_the_cells_layer(cell, layer, kw):
    x = np.random.default_rng(0).normal(size=(3, 5, 2)).astype(np.float32)
    rnn = L.RNN(cell(), **kw)
    y = np.asarray(rnn(x))
    same = layer(**kw)
    same.build((None, 5, 2))
    same.set_weights(rnn.get_weights())
    np.testing.assert_allclose(y, np.asarray(same(x)), rtol=1e-6, atol=1e-6)
    assert rnn.cell.kernel is rnn.weights[0] and len(rnn.cell.weights) == 3
    assert rnn.compute_output_shape((None, 5, 2)) == same.compute_output_shape((None, 5, 2))


def test_cells_state_sizes_and_errors():
    assert L.LSTMCell(5).state_size == [5, 5] and L.GRUCell(3).state_size == 3
    assert L.SimpleRNNCell(2).output_size == 2
    with pytest.raises(AttributeError, match="no kernel yet"):
        _ = L.LSTMCell(2).kernel
    with pytest.raises(NotImplementedError, match="inside keras.layers.RNN"):
        L.LSTMCell(2)(np.zeros((1, 2), np.float32), [np.zeros((1, 2), np.float32)] * 2)
    with pytest.raises(NotImplementedError, match="StackedRNNCells"):
        L.RNN([L.LSTMCell(2), L.LSTMCell(2)])
    with pytest.raises(NotImplementedError, match="only keras.layers.SimpleRNNCell"):
        L.RNN(L.Dense(2))
    cell = L.GRUCell(2)
    L.RNN(cell)
    with pytest.raises(NotImplementedError, match="already belongs"):
        L.RNN(cell)
    with pytest.raises(ValueError, match="units"):
        L.LSTMCell(0)
    with pytest.raises(NotImplementedError, match="return_state"):
        L.RNN(L.LSTMCell(2), return_state=True)


def test_wrappers_count_their_parts_regularization_once():
    x = np.random.default_rng(1).normal(size=(3, 5, 2)).astype(np.float32)
    layers = [
        L.Bidirectional(L.LSTM(2, kernel_regularizer="l2", bias_constraint="non_neg")),
        L.TimeDistributed(L.Dense(2, kernel_regularizer="l2")),
        L.RNN(L.LSTMCell(2, kernel_regularizer="l2")),
    ]
    for layer in layers:
        layer(x)
        total = sum(float(np.asarray(v)) for v in layer.losses)
        np.testing.assert_allclose(total, float(np.asarray(layer.core.penalty())), rtol=1e-6)
    rebuilt = L.Bidirectional.from_config(layers[0].get_config())
    assert rebuilt.forward_layer.get_config()["kernel_regularizer"]["class_name"] == "L2"


def _model(keras_mod):
    layers = keras_mod.layers
    return keras_mod.Sequential(
        [
            keras_mod.Input((6, 3)),
            layers.RNN(layers.LSTMCell(4), return_sequences=True),
            layers.RNN(layers.GRUCell(3), go_backwards=True),
            layers.Dense(1),
        ]
    )


def test_files_go_both_ways_with_keras(tmp_path):
    x = np.random.default_rng(2).normal(size=(4, 6, 3)).astype(np.float32)
    theirs = files_both_ways(tmp_path, _model, x, seed=3)
    assert isinstance(theirs.layers[0].cell, L.LSTMCell)
