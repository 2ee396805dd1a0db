"""keras.metrics' functions (binary_accuracy, ..., and the loss functions Keras exports as metrics),
MeanMetricWrapper, and metric functions in compile: a user's `def my_metric(y_true, y_pred)`
trains and evaluates on the eager path under its own name, as in Keras."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rustgrad as rg
from keras_interop_helpers import run_keras
from rustgrad import keras

M = keras.metrics
YT = np.array([[0, 0, 1], [0, 1, 0]], dtype=np.float32)
YP = np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]], dtype=np.float32)


def values(t) -> list:
    return np.asarray(t.numpy()).tolist()


def test_keras_documented_values():
    # The examples of Keras' docstrings for these functions.
    bt = np.array([[1], [1], [0], [0]], dtype=np.float32)
    bp = np.array([[0.98], [1], [0], [0.6]], dtype=np.float32)
    assert values(M.binary_accuracy(bt, bp)) == [[1], [1], [1], [0]]  # value by value
    assert values(M.binary_accuracy(bt[:, 0], bp)) == [[1], [1], [1], [0]]
    assert values(M.categorical_accuracy(YT, YP)) == [0, 1]
    assert values(M.sparse_categorical_accuracy(np.array([[2], [1]]), YP)) == [0, 1]
    assert values(M.top_k_categorical_accuracy(YT, YP, k=3)) == [1, 1]
    assert values(M.top_k_categorical_accuracy(YT, YP, k=1)) == [0, 1]
    assert values(M.sparse_top_k_categorical_accuracy(np.array([2, 1]), YP, k=3)) == [1, 1]


def test_the_threshold_and_k_are_used_and_checked():
    t, p = np.array([[1.0], [0.0]]), np.array([[0.8], [0.6]])
    assert values(M.binary_accuracy(t, p, threshold=0.7)) == [[1], [1]]
    assert values(M.binary_accuracy(t, p)) == [[1], [0]]
    with pytest.raises(rg.ShapeError, match="binary_accuracy"):
        M.binary_accuracy(np.ones((2, 3)), np.ones((2, 2)))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="k must be a positive integer"):
            M.top_k_categorical_accuracy(YT, YP, k=bad)
    with pytest.raises(ValueError, match="from_sorted_ids"):
        M.sparse_top_k_categorical_accuracy(np.array([2, 1]), YP, from_sorted_ids=True)
    with pytest.raises(rg.ShapeError):
        M.categorical_accuracy(YT[:, :2], YP)


def test_each_function_averages_to_its_metric_class():
    rng = np.random.default_rng(0)
    p = rng.random((40, 4)).astype(np.float32)
    labels = rng.integers(0, 4, 40)
    onehot = np.eye(4, dtype=np.float32)[labels]
    pairs = [
        (M.categorical_accuracy, M.CategoricalAccuracy(), onehot),
        (M.sparse_categorical_accuracy, M.SparseCategoricalAccuracy(), labels),
        (M.mean_squared_error, M.MeanSquaredError(), onehot),
        (M.mean_absolute_error, M.MeanAbsoluteError(), onehot),
    ]
    for fn, metric, y in pairs:
        metric.update_state(y, p)
        assert np.mean(values(fn(y, p))) == pytest.approx(float(metric.result()), rel=1e-6)


def test_mean_metric_wrapper_weights_resets_and_round_trips():
    def gap(y_true, y_pred, scale=1.0):
        return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1) * scale

    w = M.MeanMetricWrapper(gap, name="gap", scale=2.0)
    w.update_state(np.zeros((2, 2)), np.array([[1.0, 1.0], [3.0, 3.0]]), sample_weight=[1.0, 0.0])
    assert float(w.result()) == pytest.approx(2.0)
    w.update_state(np.zeros((1, 2)), np.array([[2.0, 2.0]]))
    assert float(w.result()) == pytest.approx(3.0)  # (2*1 + 4*1) / 2
    w.reset_state()
    assert float(w.result()) == 0.0
    back = M.MeanMetricWrapper.from_config(
        M.MeanMetricWrapper(M.binary_accuracy, threshold=0.7).get_config()
    )
    back.update_state(np.array([[1.0], [0.0]]), np.array([[0.8], [0.6]]))
    assert float(back.result()) == 1.0
    with pytest.raises(ValueError, match="no metric function named"):
        M.MeanMetricWrapper.from_config({"fn": "gap", "name": "gap"})
    with pytest.raises(TypeError, match="callable"):
        M.MeanMetricWrapper(3)


def _model():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    m.layers[0].set_weights([np.full((3, 1), 0.1, np.float32), np.zeros(1, np.float32)])
    return m


def test_a_users_metric_function_trains_and_evaluates_under_its_name():
    def my_mae(y_true, y_pred):
        return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)

    def mean_squared_error(y_true, y_pred):  # a user's function named like a built-in one
        return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1) * 0.0 + 7.0

    x = np.linspace(0, 1, 24, dtype=np.float32).reshape(8, 3)
    y = np.ones((8, 1), np.float32)
    m = _model()
    m.compile("sgd", "mse", metrics=[my_mae, "mae", M.binary_crossentropy, mean_squared_error])
    h = m.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert set(h.history) == {"loss", "my_mae", "mae", "binary_crossentropy", "mean_squared_error"}
    np.testing.assert_allclose(h.history["my_mae"], h.history["mae"], rtol=1e-6)
    assert h.history["mean_squared_error"] == [7.0, 7.0]  # the user's function, not the core's
    got = m.evaluate(x, y, verbose=0, return_dict=True)
    pred = m.predict(x, verbose=0)
    assert got["my_mae"] == pytest.approx(float(np.mean(np.abs(y - pred))), rel=1e-5)
    bce = -np.mean(np.log(np.clip(pred, 1e-7, 1 - 1e-7)))
    assert got["binary_crossentropy"] == pytest.approx(bce, rel=1e-4)


def test_metric_names_keras_exports_as_functions_compile():
    m = _model()
    m.compile("sgd", "mse", metrics=["binary_crossentropy", M.binary_accuracy])
    h = m.fit(np.ones((4, 3), np.float32), np.ones((4, 1), np.float32), verbose=0)
    assert set(h.history) == {"loss", "binary_crossentropy", "binary_accuracy"}
    with pytest.raises(ValueError, match="Unknown metric"):
        _model().compile("sgd", "mse", metrics=["no_such_metric"])


# Both sides evaluate these calls: M is rustgrad's keras.metrics or Keras' own.
CALLS = """{
    "binary_accuracy": M.binary_accuracy(yt, yp, threshold=0.6),
    "categorical_accuracy": M.categorical_accuracy(yt, yp),
    "sparse_categorical_accuracy": M.sparse_categorical_accuracy(labels, yp),
    "top_k_categorical_accuracy": M.top_k_categorical_accuracy(yt, yp, k=2),
    "sparse_top_k_categorical_accuracy": M.sparse_top_k_categorical_accuracy(labels, yp, k=2),
    "poisson": M.poisson(yt, yp),
    "hinge": M.hinge(yt, yp),
}"""

KERAS_SCRIPT = f"""
import json, sys
import numpy as np
import keras
M = keras.metrics
yt, yp, labels = (np.array(v, dtype=np.float32) for v in json.loads(sys.argv[1]))
out = {CALLS}
print(json.dumps({{k: np.asarray(v).tolist() for k, v in out.items()}}))
"""


def test_the_functions_equal_keras():
    rng = np.random.default_rng(3)
    yp = rng.random((16, 5)).astype(np.float32)
    yp[3] = yp[3, 0]  # a row of ties: argmax and top-k take Keras' side of them
    labels = rng.integers(0, 5, 16).astype(np.float32)
    yt = np.eye(5, dtype=np.float32)[labels.astype(int)]
    arrays = json.dumps([yt.tolist(), yp.tolist(), labels.tolist()])
    want = json.loads(run_keras(KERAS_SCRIPT, arrays))
    ours = eval(CALLS, {"M": M, "yt": yt, "yp": yp, "labels": labels})
    assert set(ours) == set(want)
    for name, got in ours.items():
        np.testing.assert_allclose(values(got), want[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_a_model_on_the_eager_path_saves_and_resumes_exactly(tmp_path):
    # A metric function puts the model on the eager path, whose optimizer (not the engine) holds
    # the step count and Adam's moments: they are saved and loaded like the engine's.
    def my_mae(y_true, y_pred):
        return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)

    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 3)).astype(np.float32)
    y = rng.standard_normal((32, 1)).astype(np.float32)

    def model():
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
        for layer, seed in zip(m.layers, (2, 3)):
            w, b = layer.get_weights()
            layer.set_weights([np.random.default_rng(seed).random(w.shape, np.float32), b])
        m.compile(keras.optimizers.Adam(0.05), "mse", metrics=[my_mae])
        return m

    a = model()
    a.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = tmp_path / "eager.keras"
    a.save(path)
    b = keras.models.load_model(path, custom_objects={"my_mae": my_mae})
    assert int(b.optimizer.iterations) == 4
    for m in (a, b):
        m.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    # Without the moments (a fresh Adam) the second epoch lands elsewhere.
    c = keras.models.load_model(path, custom_objects={"my_mae": my_mae}, compile=False)
    c.compile(keras.optimizers.Adam(0.05), "mse", metrics=[my_mae])
    c.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert not np.array_equal(c.get_weights()[0], a.get_weights()[0])
