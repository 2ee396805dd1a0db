"""keras.layers.SimpleRNN, LSTM, GRU and Bidirectional: NumPy references of the cells, gradients by
central differences, and the real Keras 3 for outputs, one SGD step and files both ways."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rustgrad as rg
from keras_interop_helpers import keras_python, run_keras
from rustgrad import keras

L = keras.layers


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def numpy_rnn(kind, x, kernel, rec, bias, reset_after=True, backwards=False, sequences=False):
    """The Keras 3 cells, step by step, in float64."""
    b, t, _ = x.shape
    u = rec.shape[0]
    h = np.zeros((b, u))
    c = np.zeros((b, u))
    outs = []
    steps = range(t - 1, -1, -1) if backwards else range(t)
    for s in steps:
        if kind == "GRU" and reset_after:
            xw = x[:, s] @ kernel + bias[0]
            inner = h @ rec + bias[1]
            z = sigmoid(xw[:, :u] + inner[:, :u])
            r = sigmoid(xw[:, u : 2 * u] + inner[:, u : 2 * u])
            hh = np.tanh(xw[:, 2 * u :] + r * inner[:, 2 * u :])
            h = z * h + (1 - z) * hh
        elif kind == "GRU":
            xw = x[:, s] @ kernel + bias
            inner = h @ rec[:, : 2 * u]
            z = sigmoid(xw[:, :u] + inner[:, :u])
            r = sigmoid(xw[:, u : 2 * u] + inner[:, u:])
            hh = np.tanh(xw[:, 2 * u :] + (r * h) @ rec[:, 2 * u :])
            h = z * h + (1 - z) * hh
        elif kind == "LSTM":
            zz = x[:, s] @ kernel + h @ rec + bias
            i, f, g, o = (zz[:, k * u : (k + 1) * u] for k in range(4))
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        else:
            h = np.tanh(x[:, s] @ kernel + h @ rec + bias)
        outs.append(h)
    return np.stack(outs, 1) if sequences else h


CASES = [
    ("SimpleRNN", {}),
    ("LSTM", {}),
    ("GRU", {}),
    ("GRU", {"reset_after": False}),
    ("LSTM", {"return_sequences": True, "go_backwards": True}),
    ("GRU", {"return_sequences": True}),
]


@pytest.mark.parametrize("kind,kw", CASES)
def test_outputs_equal_the_numpy_cells(kind, kw):
    r = np.random.default_rng(1)
    x = r.normal(size=(3, 5, 4)).astype(np.float32)
    layer = getattr(L, kind)(6, bias_initializer="random_normal", **kw)
    y = np.asarray(layer(x))
    kernel, rec, bias = (w.astype(np.float64) for w in layer.get_weights())
    want = numpy_rnn(
        kind,
        x.astype(np.float64),
        kernel,
        rec,
        bias,
        reset_after=kw.get("reset_after", True),
        backwards=kw.get("go_backwards", False),
        sequences=kw.get("return_sequences", False),
    )
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


def test_initial_weights_follow_keras():
    lstm = L.LSTM(8)
    lstm.build((None, 3, 5))
    kernel, rec, bias = lstm.get_weights()
    assert kernel.shape == (5, 32) and rec.shape == (8, 32) and bias.shape == (32,)
    np.testing.assert_allclose(rec @ rec.T, np.eye(8), atol=1e-5)  # orthogonal rows
    np.testing.assert_array_equal(bias, np.r_[np.zeros(8), np.ones(8), np.zeros(16)])
    limit = np.sqrt(6 / (5 + 32))
    assert np.abs(kernel).max() <= limit
    gru = L.GRU(4)
    gru.build((None, 2, 3))
    assert gru.get_weights()[2].shape == (2, 12)
    no_forget = L.LSTM(2, unit_forget_bias=False)
    no_forget.build((None, 2, 2))
    assert not no_forget.get_weights()[2].any()
    ones = L.LSTM(2, bias_initializer="ones")
    ones.build((None, 2, 2))
    np.testing.assert_array_equal(ones.get_weights()[2], np.ones(8))
    simple = L.SimpleRNN(3)
    simple.build((None, 4, 6))
    np.testing.assert_allclose(
        simple.get_weights()[1] @ simple.get_weights()[1].T, np.eye(3), atol=1e-5
    )


@pytest.mark.parametrize("kind,kw", CASES[:4])
def test_gradients_equal_central_differences(kind, kw):
    r = np.random.default_rng(2)
    x = r.normal(size=(2, 3, 2)).astype(np.float32)
    layer = getattr(L, kind)(3, bias_initializer="random_normal", **kw)
    layer.build((None, 3, 2))
    xt = rg.tensor(x, requires_grad=True)
    y = layer(xt)
    (y * y).sum().backward()
    weights = layer.get_weights()
    grads = [np.asarray(w.grad) for w in layer.weights]

    def loss(ws, xs):
        kernel, rec, bias = (w.astype(np.float64) for w in ws)
        h = numpy_rnn(kind, xs.astype(np.float64), kernel, rec, bias, kw.get("reset_after", True))
        return float((h * h).sum())

    eps = 1e-4
    for i, w in enumerate(weights):
        num = np.zeros(w.shape)
        for j in np.ndindex(w.shape):
            plus = [v.astype(np.float64) for v in weights]
            minus = [v.astype(np.float64) for v in weights]
            plus[i][j] += eps
            minus[i][j] -= eps
            num[j] = (loss(plus, x) - loss(minus, x)) / (2 * eps)
        np.testing.assert_allclose(grads[i], num, rtol=1e-3, atol=1e-4, err_msg=f"weight {i}")
    num_x = np.zeros(x.shape)
    for j in np.ndindex(x.shape):
        xp, xm = x.astype(np.float64), x.astype(np.float64)
        xp[j] += eps
        xm[j] -= eps
        num_x[j] = (loss(weights, xp) - loss(weights, xm)) / (2 * eps)
    np.testing.assert_allclose(np.asarray(xt.grad), num_x, rtol=1e-3, atol=1e-4)


def test_dropout_only_in_training_and_seeded():
    x = np.ones((4, 6, 8), np.float32)
    layer = L.LSTM(5, dropout=0.5, recurrent_dropout=0.3, seed=3)
    infer = np.asarray(layer(x))
    np.testing.assert_array_equal(np.asarray(layer(x)), infer)
    a = np.asarray(layer(x, training=True))
    assert not np.allclose(a, infer)
    other = L.LSTM(5, dropout=0.5, recurrent_dropout=0.3, seed=3)
    other.build((None, 6, 8))
    other.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(other(x, training=True)), a)


def test_bidirectional_merges_forward_and_reversed_backward():
    r = np.random.default_rng(4)
    x = r.normal(size=(2, 4, 3)).astype(np.float32)
    for mode in ("concat", "sum", "mul", "ave"):
        for seq in (False, True):
            bi = L.Bidirectional(L.GRU(3, return_sequences=seq), merge_mode=mode)
            y = np.asarray(bi(x))
            f = np.asarray(bi.forward_layer(x))
            b = np.asarray(bi.backward_layer(x))
            if seq:
                b = b[:, ::-1]
            want = {
                "concat": np.concatenate([f, b], -1),
                "sum": f + b,
                "mul": f * b,
                "ave": (f + b) / 2,
            }[mode]
            np.testing.assert_allclose(y, want, rtol=1e-6, atol=1e-6)
            assert (None, *y.shape[1:]) == bi.compute_output_shape((None, 4, 3))
    bi = L.Bidirectional(L.LSTM(2, name="enc"))
    assert bi.forward_layer.name == "forward_enc" and bi.backward_layer.name == "backward_enc"
    assert bi.backward_layer.go_backwards and not bi.forward_layer.go_backwards
    bi.build((None, 3, 2))
    assert len(bi.weights) == 6
    assert [id(w) for w in bi.weights] == [
        id(w) for w in bi.forward_layer.weights + bi.backward_layer.weights
    ]


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="units"):
        L.LSTM(0)
    with pytest.raises(ValueError, match="dropout"):
        L.GRU(2, dropout=1.5)
    with pytest.raises(NotImplementedError, match="return_state"):
        L.LSTM(2, return_state=True)
    with pytest.raises(NotImplementedError, match="stateful"):
        L.SimpleRNN(2, stateful=True)
    with pytest.raises(ValueError, match="activation"):
        L.SimpleRNN(2, activation="nope")
    with pytest.raises(ValueError, match="timesteps"):
        L.LSTM(2)(np.zeros((2, 3), np.float32))
    layer = L.GRU(2)
    layer(np.zeros((1, 3, 4), np.float32))
    with pytest.raises(ValueError):
        layer(np.zeros((1, 3, 5), np.float32))
    with pytest.raises(ValueError, match="SimpleRNN, LSTM or GRU"):
        L.Bidirectional(L.Dense(2))
    with pytest.raises(ValueError, match="merge_mode"):
        L.Bidirectional(L.LSTM(2), merge_mode="max")
    with pytest.raises(NotImplementedError, match="merge_mode=None"):
        L.Bidirectional(L.LSTM(2), merge_mode=None)
    with pytest.raises(ValueError, match="go_backwards"):
        L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2))


def _text_model(keras_mod, merge="concat"):
    layers = keras_mod.layers
    return keras_mod.Sequential(
        [
            keras_mod.Input((7,)),
            layers.Embedding(20, 4),
            layers.Bidirectional(layers.LSTM(5, return_sequences=True), merge_mode=merge),
            layers.GRU(3, return_sequences=True),
            layers.SimpleRNN(2),
            layers.Dense(1),
        ]
    )


def test_trains_on_a_sequence_task_in_both_engines():
    # The sum of a sequence's first and last values: needs the state carried through time.
    r = np.random.default_rng(7)
    x = r.uniform(-1, 1, (512, 8, 1)).astype(np.float32)
    y = x[:, 0] + x[:, -1]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 1)), L.LSTM(16), L.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.1 * first

    class Wrapped(keras.Model):  # the eager engine: a Python call around the same layers
        def __init__(self):
            super().__init__()
            self.rnn = L.GRU(4)
            self.out = L.Dense(1)

        def call(self, inputs):
            return self.out(self.rnn(inputs))

    eager = Wrapped()
    eager.compile(keras.optimizers.SGD(0.05), "mse")
    graph = keras.Sequential([keras.Input((8, 1)), L.GRU(4), L.Dense(1)])
    graph.compile(keras.optimizers.SGD(0.05), "mse")
    eager(x[:1])
    graph.set_weights(eager.get_weights())
    eager.fit(x[:64], y[:64], batch_size=16, epochs=2, shuffle=False, verbose=0)
    graph.fit(x[:64], y[:64], batch_size=16, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(eager.get_weights(), graph.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


KERAS_SIDE = """
import json, sys, numpy as np, keras
exec(sys.argv[2])
folder = sys.argv[1]
x = np.load(folder + "/x.npy")
y = np.load(folder + "/y.npy")
ours = keras.models.load_model(folder + "/ours.keras")
np.save(folder + "/keras_pred.npy", ours.predict(x, verbose=0))
w = _text_model(keras)
w.load_weights(folder + "/ours.weights.h5")
w.compile(keras.optimizers.SGD(0.1), "mse")
w.train_on_batch(x, y)
np.save(folder + "/keras_step.npy", np.concatenate([v.ravel() for v in w.get_weights()]))
k = _text_model(keras, merge="sum")
k.save(folder + "/theirs.keras")
np.save(folder + "/theirs_pred.npy", k.predict(x, verbose=0))
print(json.dumps([v.path for v in w.weights]))
"""


def test_files_outputs_and_a_training_step_equal_keras(tmp_path):
    keras_python()
    import inspect

    r = np.random.default_rng(8)
    x = r.integers(0, 20, (6, 7)).astype(np.float32)
    y = r.normal(size=(6, 1)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    model = _text_model(keras)
    for layer in model.layers:  # non-zero biases, so a bias in the wrong place shows
        layer.set_weights([w + 0.1 * r.normal(size=w.shape) for w in layer.get_weights()])
    model.save(tmp_path / "ours.keras")
    model.save_weights(tmp_path / "ours.weights.h5")
    paths = json.loads(run_keras(KERAS_SIDE, str(tmp_path), inspect.getsource(_text_model)))
    assert paths[1] == "sequential/bidirectional/forward_lstm/lstm_cell/kernel"
    mine = model.predict(x, verbose=0)
    np.testing.assert_allclose(np.load(tmp_path / "keras_pred.npy"), mine, rtol=1e-5, atol=1e-5)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.train_on_batch(x, y)
    after = np.concatenate([v.ravel() for v in model.get_weights()])
    np.testing.assert_allclose(np.load(tmp_path / "keras_step.npy"), after, rtol=1e-4, atol=1e-5)
    theirs = keras.models.load_model(tmp_path / "theirs.keras")
    assert isinstance(theirs.layers[1], L.Bidirectional)
    np.testing.assert_allclose(
        theirs.predict(x, verbose=0), np.load(tmp_path / "theirs_pred.npy"), rtol=1e-5, atol=1e-5
    )
