"""History.plot / keras.utils.plot_history: curves from fit, and a clear message without matplotlib."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from rustgrad import keras

pytest.importorskip("matplotlib")


def small_history():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 3, 64), 3)
    model = keras.Sequential([keras.layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=3, validation_split=0.25, verbose=0)


def test_plot_draws_one_panel_per_metric_with_validation(tmp_path):
    history = small_history()
    fig = history.plot(tmp_path / "h.png", title="t")
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"
    axes = fig.get_axes()
    assert [ax.get_ylabel() for ax in axes] == ["loss", "accuracy"]
    for ax, key in zip(axes, ("loss", "accuracy")):
        train, val = ax.get_lines()
        np.testing.assert_allclose(train.get_ydata(), history.history[key])
        np.testing.assert_allclose(val.get_ydata(), history.history["val_" + key])
        assert list(train.get_xdata()) == [1, 2, 3]


def test_plot_history_accepts_the_dict_and_rejects_empty():
    fig = keras.utils.plot_history({"loss": [3.0, 2.0, 1.0]})
    assert len(fig.get_axes()) == 1
    with pytest.raises(ValueError, match="History"):
        keras.utils.plot_history(keras.callbacks.History())


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"pip install rustgrad\[examples\]"):
        keras.utils.plot_history({"loss": [1.0]})
