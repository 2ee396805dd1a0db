"""Axes of unknown size (None) in input shapes, as Keras takes them: sequences of any length
(`Input((None,))`, `LSTM(input_shape=(None, 28))`) and images of any size for convolutions;
a layer that needs such an axis's size says so."""

from __future__ import annotations

import numpy as np
import pytest
from rustgrad import keras

L = keras.layers


def _lengths(model, make_x, lengths=(5, 9)):
    model.compile(keras.optimizers.Adam(0.01), "mse")
    for t in lengths:
        x = make_x(t)
        y = np.zeros((len(x), model.output_shape[-1]), np.float32)
        model.fit(x, y, epochs=1, verbose=0)
        assert model.predict(x, verbose=0).shape == y.shape


def test_text_of_any_length_trains_saves_and_loads(tmp_path):
    model = keras.Sequential([keras.Input((None,)), L.Embedding(30, 4), L.LSTM(3), L.Dense(2)])
    assert model.layers[1].output_shape == (None, 3)
    ids = lambda t: np.random.default_rng(t).integers(0, 30, (6, t)).astype(np.float32)
    _lengths(model, ids)
    model.save(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "m.keras")
    for t in (3, 11):
        np.testing.assert_allclose(
            back.predict(ids(t), verbose=0), model.predict(ids(t), verbose=0)
        )


def test_the_rnn_guides_input_shape_with_unknown_steps():
    model = keras.Sequential(
        [L.LSTM(8, input_shape=(None, 28)), L.BatchNormalization(), L.Dense(10)]
    )
    assert model.input_shape == (None, None, 28) and model.output_shape == (None, 10)
    _lengths(model, lambda t: np.random.default_rng(t).random((4, t, 28), np.float32), (28, 7))
    with pytest.raises(ValueError, match=r"\(4, 7, 27\).*\(None, None, 28\)"):
        model.predict(np.zeros((4, 7, 27), np.float32), verbose=0)


def test_convolutions_over_images_of_any_size():
    model = keras.Sequential(
        [
            keras.Input((None, None, 1)),
            L.Conv2D(2, 3, activation="relu"),
            L.MaxPooling2D(),
            L.GlobalAveragePooling2D(),
            L.Dense(1),
        ]
    )
    assert model.layers[0].output_shape == (None, None, None, 2)
    _lengths(
        model, lambda t: np.random.default_rng(t).random((3, t, t + 2, 1), np.float32), (8, 12)
    )


def test_a_layer_that_needs_an_unknown_size_says_so():
    with pytest.raises(ValueError, match=r"Dense layer 'head'.*\(None, None\).*unknown"):
        keras.Sequential([keras.Input((None, 3)), L.Flatten(), L.Dense(1, name="head")])
    with pytest.raises(ValueError, match=r"LSTM 'rnn'.*features known"):
        keras.Sequential([keras.Input((4, None)), L.LSTM(2, name="rnn")])
    with pytest.raises(ValueError, match="positive sizes"):
        keras.Input((0, 3))


def test_onnx_export_keeps_the_time_axis_dynamic(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = keras.Sequential([keras.Input((None, 3)), L.GRU(4), L.Dense(1)])
    model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    for t in (2, 9):
        x = np.random.default_rng(t).random((2, t, 3), np.float32)
        got = session.run(None, {session.get_inputs()[0].name: x})[0]
        np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
