"""keras.Model subclasses with their own `call`, as Keras' guide "Making new layers and models via
subclassing" describes them: the same network built three ways gives the same predictions, and the
eager engine trains it to the same weights as the Rust graph engine; layer tracking, summary,
weights files, calls on Tensors, trainable, evaluate/predict and several outputs."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from rustgrad import keras
from rustgrad.keras.eager import EagerEngine

layers = keras.layers
rng = np.random.default_rng(11)


def f32(*shape):
    return rng.normal(size=shape).astype(np.float32)


# ---- the same network three ways ------------------------------------------------------------
def sequential(act):
    return keras.Sequential(
        [
            keras.Input((6,)),
            layers.Dense(16, activation="tanh"),
            layers.Dense(8, activation="relu"),
            layers.Dense(3, activation=act),
        ]
    )


def functional(act):
    inputs = keras.Input((6,))
    h = layers.Dense(8, activation="relu")(layers.Dense(16, activation="tanh")(inputs))
    return keras.Model(inputs, layers.Dense(3, activation=act)(h))


class MLP(keras.Model):
    def __init__(self, act=None, **kw):
        super().__init__(**kw)
        self.first = layers.Dense(16, activation="tanh")
        self.second = layers.Dense(8, activation="relu")
        self.head = layers.Dense(3, activation=act)

    def call(self, inputs, training=None):
        return self.head(self.second(self.first(inputs)))


def three_ways(act):
    """Sequential, functional and subclass with the Sequential's starting weights."""
    seq, fun, sub = sequential(act), functional(act), MLP(act=act)
    sub(np.zeros((1, 6), np.float32))  # builds the subclass' layers
    w0 = seq.get_weights()
    fun.set_weights(w0)
    sub.set_weights(w0)
    return seq, fun, sub


def numpy_mlp(ws, x, act):
    h = np.tanh(x @ ws[0] + ws[1])
    h = np.maximum(h @ ws[2] + ws[3], 0.0)
    z = h @ ws[4] + ws[5]
    if act == "softmax":
        e = np.exp(z - z.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    return z


@pytest.mark.parametrize("act", [None, "softmax"])
def test_three_ways_predict_the_same_and_match_numpy(act):
    seq, fun, sub = three_ways(act)
    x = f32(20, 6)
    want = numpy_mlp([w.astype(np.float64) for w in seq.get_weights()], x.astype(np.float64), act)
    got = [m.predict(x, verbose=0) for m in (seq, fun, sub)]
    np.testing.assert_array_equal(got[0], got[1])
    np.testing.assert_array_equal(got[0], got[2])
    np.testing.assert_allclose(got[2], want, rtol=1e-5, atol=1e-6)
    assert isinstance(sub._engine(), EagerEngine) and not isinstance(seq._engine(), EagerEngine)


@pytest.mark.parametrize("opt", ["sgd", "adam"])
@pytest.mark.parametrize("loss", ["mse", "sparse_categorical_crossentropy"])
def test_subclass_trains_to_the_sequential_weights_after_20_steps(opt, loss):
    act = "softmax" if loss.startswith("sparse") else None
    seq, fun, sub = three_ways(act)
    x = f32(80, 6)
    y = rng.integers(0, 3, 80) if act else f32(80, 3)
    hist = []
    for m in (seq, fun, sub):
        m.compile(keras.optimizers.SGD(0.1) if opt == "sgd" else keras.optimizers.Adam(0.01), loss)
        # 80 rows in batches of 16 for 4 epochs: 20 steps, in the same order on every model.
        hist.append(m.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0).history)
    # The functional model runs the same Rust graph as the Sequential one: bit-identical.
    for a, b in zip(seq.get_weights(), fun.get_weights()):
        np.testing.assert_array_equal(a, b)
    # The eager engine computes the same float32 ops, except that softmax + cross-entropy is
    # fused from the logits on the graph engine and taken from clipped probabilities on the eager
    # one; the probabilities here stay far from the 1e-7 clip, so the two differ by float32
    # rounding only (measured ~1e-6 relative after 20 steps), well inside rtol 1e-5 / atol 1e-6.
    for a, b in zip(seq.get_weights(), sub.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hist[2]["loss"], hist[0]["loss"], rtol=1e-5)
    assert hist[0]["loss"][-1] < hist[0]["loss"][0]


# ---- tracking, summary, weights files ------------------------------------------------------
class Tracked(keras.Model):
    def __init__(self):
        super().__init__()
        self.stem = layers.Dense(4, activation="relu", name="stem")
        self.blocks = [layers.Dense(4, activation="relu", name=f"block{i}") for i in range(2)]
        self.heads = {"out": layers.Dense(2, name="out")}
        self.not_a_layer = [1, 2, 3]

    def call(self, x):
        h = self.stem(x)
        for b in self.blocks:
            h = b(h) + h
        return self.heads["out"](h)


def test_a_subclass_whose_init_takes_positional_arguments_stays_a_subclass():
    # Keras makes a functional model only of keras.Model(inputs, outputs) (or a subclass whose
    # __init__ passes inputs and outputs on to super().__init__), not of any positional argument.
    m = MLP("softmax")
    assert type(m) is MLP
    out = m.predict(f32(4, 6), verbose=0)
    np.testing.assert_allclose(out.sum(-1), np.ones(4), rtol=1e-5)


def test_layers_in_attributes_lists_and_dicts_are_tracked():
    m = Tracked()
    assert [la.name for la in m.layers] == ["stem", "block0", "block1", "out"]
    assert m.weights == []  # nothing built yet
    m(f32(3, 5))
    assert [w.shape for w in m.weights] == [(5, 4), (4,), (4, 4), (4,), (4, 4), (4,), (4, 2), (2,)]
    assert len(m.trainable_weights) == 8 and m.non_trainable_weights == []
    assert m.count_params() == 24 + 20 + 20 + 10
    assert m.get_layer("block1") is m.blocks[1] and m.get_layer(index=3) is m.heads["out"]


def test_summary_after_build_lists_the_tracked_layers():
    m = Tracked()
    m(f32(2, 5))
    lines: list[str] = []
    m.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for name, shape, count in [
        ("stem", 4, 24),
        ("block0", 4, 20),
        ("block1", 4, 20),
        ("out", 2, 10),
    ]:
        assert any(name in ln and f"(None, {shape})" in ln and str(count) in ln for ln in lines), (
            text
        )
    assert "Total params: 74" in text and "Trainable params: 74" in text


@pytest.mark.parametrize("ext", [".npz", ".safetensors"])
def test_save_and_load_weights_round_trip(tmp_path, ext):
    x = f32(7, 5)
    a, b = Tracked(), Tracked()
    a(x)
    b(x)
    path = tmp_path / f"sub{ext}"
    a.save_weights(path)
    assert not np.allclose(a.predict(x, verbose=0), b.predict(x, verbose=0))
    b.load_weights(path)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))


def test_calling_the_model_on_arrays_and_tensors_returns_tensors_that_backward():
    m = MLP()
    x = f32(4, 6)
    assert isinstance(m(x), rg.Tensor) and m(x).shape == (4, 3)
    xt = rg.tensor(x, requires_grad=True)
    out = m(xt)
    assert isinstance(out, rg.Tensor)
    rg.sum(out).backward()
    # d sum(out) / d head bias is 1 per row: 4 rows.
    np.testing.assert_allclose(m.head.weights[1].grad.numpy(), np.full(3, 4.0), rtol=1e-6)
    w = [v.astype(np.float64) for v in m.get_weights()]
    h1 = np.tanh(x @ w[0] + w[1])
    h2 = np.maximum(h1 @ w[2] + w[3], 0)
    np.testing.assert_allclose(
        m.head.weights[0].grad.numpy(), h2.sum(0)[:, None] * np.ones(3), 1e-5
    )
    g2 = np.ones((4, 3)) @ w[4].T * (h2 > 0)
    g1 = g2 @ w[2].T * (1 - h1**2)
    np.testing.assert_allclose(xt.grad.numpy(), g1 @ w[0].T, rtol=1e-4, atol=1e-6)


# ---- trainable ------------------------------------------------------------------------------
def _fit_some(m, n=32):
    m.compile(keras.optimizers.SGD(0.1), "mse")
    m.fit(f32(n, 6), f32(n, 3), batch_size=8, epochs=2, shuffle=False, verbose=0)


def test_a_frozen_layer_inside_a_subclass_is_bit_identical_after_fit():
    m = MLP()
    m(f32(1, 6))
    m.second.trainable = False
    before = m.get_weights()
    assert len(m.trainable_weights) == 4 and len(m.non_trainable_weights) == 2
    _fit_some(m)
    after = m.get_weights()
    np.testing.assert_array_equal(after[2], before[2])
    np.testing.assert_array_equal(after[3], before[3])
    assert not np.array_equal(after[0], before[0]) and not np.array_equal(after[4], before[4])


def test_a_frozen_subclass_is_bit_identical_after_fit():
    m = MLP()
    m(f32(1, 6))
    m.trainable = False
    before = m.get_weights()
    assert m.trainable_weights == [] and len(m.non_trainable_weights) == 6
    _fit_some(m)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---- evaluate, predict, several outputs -------------------------------------------------------
def test_evaluate_and_predict_on_the_subclass_match_numpy():
    m = MLP()
    x, y = f32(30, 6), f32(30, 3)
    m.compile("sgd", "mse", metrics=["mae"])
    m(x[:1])
    w = [v.astype(np.float64) for v in m.get_weights()]
    p = numpy_mlp(w, x.astype(np.float64), None)
    np.testing.assert_allclose(m.predict(x, batch_size=7, verbose=0), p, rtol=1e-5, atol=1e-6)
    loss, mae = m.evaluate(x, y, batch_size=30, verbose=0)
    np.testing.assert_allclose(loss, np.mean((p - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(mae, np.mean(np.abs(p - y)), rtol=1e-5)
    logs = m.evaluate(x, y, batch_size=30, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mae"}


def test_training_flag_reaches_call():
    seen = []

    class Flag(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(1)

        def call(self, x, training=None):
            seen.append(training)
            return self.d(x)

    m = Flag()
    m.compile("sgd", "mse")
    x, y = f32(8, 2), f32(8, 1)
    m.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert seen[-1] is True
    m.predict(x, verbose=0)
    m.evaluate(x, y, verbose=0)
    assert not seen[-1] and not seen[-2]


class TwoHeads(keras.Model):
    def __init__(self):
        super().__init__()
        self.body = layers.Dense(5, activation="relu")
        self.reg = layers.Dense(2)
        self.cls = layers.Dense(3, activation="softmax")

    def call(self, x):
        h = self.body(x)
        return [self.reg(h), self.cls(h)]


def test_a_subclass_returning_a_list_predicts_a_list():
    m = TwoHeads()
    out = m.predict(f32(6, 4), verbose=0)
    assert isinstance(out, list) and [o.shape for o in out] == [(6, 2), (6, 3)]


def test_a_subclass_with_two_outputs_fits_with_a_list_of_losses():
    m = TwoHeads()
    x = f32(16, 4)
    ys = [f32(16, 2), rng.integers(0, 3, 16)]
    # Compiled before the first call: the losses are matched to the outputs once call has run.
    m.compile("sgd", ["mse", "sparse_categorical_crossentropy"], loss_weights=[1.0, 0.5])
    hist = m.fit(x, ys, batch_size=16, epochs=2, verbose=0).history
    assert set(hist) == {"loss", "output_1_loss", "output_2_loss"}
    for e in range(2):  # one batch per epoch: the total is the weighted sum of the two losses
        want = hist["output_1_loss"][e] + 0.5 * hist["output_2_loss"][e]
        assert hist["loss"][e] == pytest.approx(want, rel=1e-5)
    assert len(m.evaluate(x, ys, verbose=0)) == 3
    assert [p.shape for p in m.predict(x, verbose=0)] == [(16, 2), (16, 3)]
