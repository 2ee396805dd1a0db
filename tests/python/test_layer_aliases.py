"""Keras' alternative layer names (MaxPool2D, Convolution2D, GlobalAvgPool2D, ...) are the very
classes of the long names, in rustgrad as in Keras, and models written with them train and save
under Keras' class names."""

from __future__ import annotations

import json

import numpy as np
from keras_interop_helpers import run_keras
from rustgrad import keras

ALIASES = {
    "AvgPool1D": "AveragePooling1D",
    "AvgPool2D": "AveragePooling2D",
    "MaxPool1D": "MaxPooling1D",
    "MaxPool2D": "MaxPooling2D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution2DTranspose": "Conv2DTranspose",
    "SeparableConvolution2D": "SeparableConv2D",
}


def test_each_alias_is_the_class_of_its_long_name():
    for alias, name in ALIASES.items():
        assert getattr(keras.layers, alias) is getattr(keras.layers, name), alias
        assert alias in keras.layers.__all__


def test_keras_pairs_the_same_names():
    script = (
        "import json, sys, keras\n"
        "pairs = json.loads(sys.argv[1])\n"
        "print(json.dumps({a: getattr(keras.layers, a) is getattr(keras.layers, n)"
        " for a, n in pairs.items()}))\n"
    )
    assert json.loads(run_keras(script, json.dumps(ALIASES))) == dict.fromkeys(ALIASES, True)


def test_a_model_written_with_the_short_names_trains_and_saves(tmp_path):
    L = keras.layers
    m = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            L.Convolution2D(4, 3, activation="relu"),
            L.MaxPool2D(),
            L.SeparableConvolution2D(4, 1),
            L.GlobalAvgPool2D(),
            L.Dense(2, activation="softmax"),
        ]
    )
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).random((16, 8, 8, 1), dtype=np.float32)
    y = np.arange(16) % 2
    h = m.fit(x, y, epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2
    path = tmp_path / "short_names.keras"
    m.save(path)
    back = keras.models.load_model(path)
    assert [type(layer).__name__ for layer in back.layers] == [
        "Conv2D",
        "MaxPooling2D",
        "SeparableConv2D",
        "GlobalAveragePooling2D",
        "Dense",
    ]
    np.testing.assert_allclose(back.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)
