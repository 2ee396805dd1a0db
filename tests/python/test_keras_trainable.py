"""`trainable` as Keras honours it: a frozen layer's weights stay bit-identical through fit, move to
non_trainable_weights and count as non-trainable in summary; setting it on a model freezes all its
layers; a change after compile counts from the next compile; frozen BatchNormalization runs in
inference mode."""

from __future__ import annotations

import numpy as np
from rustgrad import keras

layers = keras.layers
rng = np.random.default_rng(3)


def xy(n=64, features=3):
    x = rng.normal(size=(n, features)).astype(np.float32)
    return x, (x.sum(1, keepdims=True) > 0).astype(np.float32)


def same(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a, b))


def summary_text(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def test_constructor_argument_freezes_the_layer_in_fit_and_summary():
    frozen = layers.Dense(4, activation="relu", trainable=False, name="frozen")
    model = keras.Sequential([keras.Input((3,)), frozen, layers.Dense(1, name="head")])
    assert not frozen.trainable and frozen.trainable_weights == []
    assert len(frozen.non_trainable_weights) == 2 and len(model.trainable_weights) == 2
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (4, 1), (1,)]
    model.compile("adam", "binary_crossentropy")
    before = model.get_weights()
    model.fit(*xy(), epochs=3, verbose=0)
    after = model.get_weights()
    assert same(before[:2], after[:2]) and not same(before[2:], after[2:])
    text = summary_text(model)
    assert "Total params: 21" in text and "Trainable params: 5 " in text
    assert "Non-trainable params: 16 " in text


def test_a_change_after_compile_counts_from_the_next_compile():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.layers[0].trainable = False  # not yet: compile read the flags
    before = model.get_weights()
    model.fit(*xy(), verbose=0)
    assert not same(before[:2], model.get_weights()[:2])
    model.compile("sgd", "mse")
    before = model.get_weights()
    model.fit(*xy(), verbose=0)
    assert same(before[:2], model.get_weights()[:2])
    assert not same(before[2:], model.get_weights()[2:])
    model.layers[0].trainable = True
    model.compile("sgd", "mse")
    model.fit(*xy(), verbose=0)
    assert not same(before[:2], model.get_weights()[:2])


def test_freezing_a_model_freezes_every_layer_and_a_base_model_inside_another():
    base = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(4)], name="base")
    base.trainable = False
    assert all(not la.trainable for la in base.layers) and base.trainable_weights == []
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(1, name="new_head")(base(inputs)))
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 4
    model.compile("adam", "mse")
    before = base.get_weights()
    head = model.get_layer("new_head").get_weights()
    model.fit(*xy(), epochs=2, verbose=0)
    assert same(before, base.get_weights())
    assert not same(head, model.get_layer("new_head").get_weights())
    assert "Non-trainable params: 36 " in summary_text(model)  # 3*4+4 + 4*4+4


def test_frozen_layer_shared_by_two_branches_stays_put():
    shared = layers.Dense(3, name="shared_frozen", trainable=False)
    a, b = keras.Input((3,)), keras.Input((3,))
    out = layers.Dense(1)(layers.concatenate([shared(a), shared(b)]))
    model = keras.Model([a, b], out)
    model.compile("adam", "mse")
    x, y = xy()
    before = shared.get_weights()
    model.fit([x, x[::-1]], y, epochs=2, verbose=0)
    assert same(before, shared.get_weights())


def test_frozen_batch_normalization_runs_in_inference_mode():
    bn = layers.BatchNormalization(name="bn_frozen")
    model = keras.Sequential([keras.Input((3,)), bn, layers.Dense(1)])
    bn.trainable = False
    model.compile("adam", "mse")
    before = bn.get_weights()
    x, y = xy()
    model.fit(x * 5 + 3, y, epochs=2, verbose=0)  # batch statistics far from the moving ones
    assert same(before, bn.get_weights())  # gamma, beta and the moving statistics
    gamma, beta, mean, var = before
    want = (x - mean) / np.sqrt(var + 1e-3) * gamma + beta
    dense = model.layers[1].get_weights()
    np.testing.assert_allclose(model.predict(x), want @ dense[0] + dense[1], rtol=1e-5, atol=1e-5)


def test_frozen_weights_save_and_load_in_the_same_order(tmp_path):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, trainable=False), layers.Dense(1)])
    path = tmp_path / "w.npz"
    model.save_weights(path)
    copy = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Dense(1)])
    copy.load_weights(path)
    assert same(model.get_weights(), copy.get_weights())
