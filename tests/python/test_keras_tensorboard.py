"""TensorBoard callback: the event files it writes read back with tensorboard's own reader."""

from __future__ import annotations

import numpy as np
import pytest
from rustgrad import keras

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def read(run_dir):
    acc = event_accumulator.EventAccumulator(
        str(run_dir), size_guidance={event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0}
    )
    acc.Reload()
    return acc


def fitted(tmp_path, **kw):
    r = np.random.default_rng(0)
    x = r.normal(size=(40, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.layers.Dense(2, input_shape=(3,), name="hidden"),
                          keras.layers.Dense(1, name="out")])  # fmt: skip
    m.compile(keras.optimizers.SGD(0.01), "mse", metrics=["mae"])
    tb = keras.callbacks.TensorBoard(tmp_path, **kw)
    h = m.fit(x, y, batch_size=10, epochs=3, validation_split=0.25, callbacks=[tb], verbose=0)
    return m, h


def test_epoch_scalars_learning_rate_and_graph(tmp_path):
    _, h = fitted(tmp_path)
    train, val = read(tmp_path / "train"), read(tmp_path / "validation")
    for name in ("loss", "mae"):
        got = [e.value for e in train.Scalars(f"epoch_{name}")]
        np.testing.assert_allclose(got, h.history[name], rtol=1e-6)
        assert [e.step for e in train.Scalars(f"epoch_{name}")] == [0, 1, 2]
        got = [e.value for e in val.Scalars(f"epoch_{name}")]
        np.testing.assert_allclose(got, h.history[f"val_{name}"], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in train.Scalars("epoch_learning_rate")], 0.01)
    graph = train.Graph()
    assert [(n.name, n.op, list(n.input)) for n in graph.node] == [
        ("hidden", "Dense", []),
        ("out", "Dense", ["hidden"]),
    ]


def test_batch_scalars_and_histograms(tmp_path):
    m, _ = fitted(tmp_path, update_freq=2, histogram_freq=1, write_graph=False)
    train = read(tmp_path / "train")
    assert [e.step for e in train.Scalars("batch_loss")] == [2, 4, 6, 8]  # 3 batches x 3 epochs
    hist = train.Histograms("out/kernel/histogram")
    assert [e.step for e in hist] == [0, 1, 2]
    last = hist[-1].histogram_value
    kernel = m.layers[1].get_weights()[0]
    assert last.num == kernel.size and last.sum == pytest.approx(float(kernel.sum()), rel=1e-5)


def test_unsupported_options_raise(tmp_path):
    with pytest.raises(NotImplementedError, match="write_images"):
        keras.callbacks.TensorBoard(tmp_path, write_images=True)
    with pytest.raises(ValueError, match="update_freq"):
        keras.callbacks.TensorBoard(tmp_path, update_freq=0)
