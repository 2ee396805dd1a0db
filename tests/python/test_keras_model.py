"""Sequential's compile/fit/evaluate/predict: History keys, metric resolution, input errors, weights."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from rustgrad import keras

rng = np.random.default_rng(0)


def blobs(n=300, classes=3, features=4, seed=0):
    """Separable clusters: x (n, features) float32, integer labels (n,)."""
    r = np.random.default_rng(seed)
    centers = r.normal(0, 4, size=(classes, features))
    y = r.integers(0, classes, n)
    return (centers[y] + r.normal(0, 1, size=(n, features))).astype(np.float32), y


def classifier(features=4, classes=3, loss="categorical_crossentropy", metrics=("accuracy",)):
    m = keras.Sequential(
        [
            keras.layers.Dense(16, activation="relu", input_shape=(features,)),
            keras.layers.Dense(classes, activation="softmax"),
        ]
    )
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss, metrics=list(metrics))
    return m


def test_fit_returns_history_with_keras_keys_and_learns():
    x, y = blobs()
    m = classifier()
    h = m.fit(x, keras.utils.to_categorical(y), epochs=5, verbose=0, validation_split=0.2)
    assert list(h.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert h.epoch == [0, 1, 2, 3, 4] and m.history is h
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert h.history["val_accuracy"][-1] > 0.9


@pytest.mark.parametrize("name", ["acc", "mae", "mse", "categorical_accuracy"])
def test_history_key_is_the_name_the_user_gave(name):
    x, y = blobs(60)
    m = classifier(metrics=[name])
    h = m.fit(
        x,
        keras.utils.to_categorical(y),
        epochs=1,
        verbose=0,
        validation_data=(x, keras.utils.to_categorical(y)),
    )
    assert list(h.history) == ["loss", name, "val_loss", f"val_{name}"]
    assert m.metrics_names == ["loss", name]


def test_evaluate_returns_loss_or_list_or_dict_and_matches_numpy():
    x, y = blobs(200)
    m = classifier(loss="sparse_categorical_crossentropy")
    m.fit(x, y, epochs=3, verbose=0)
    loss, acc = m.evaluate(x, y, verbose=0)
    p = m.predict(x)
    assert p.shape == (200, 3) and p.dtype == np.float32
    assert acc == pytest.approx(np.mean(np.argmax(p, 1) == y))
    ref = -np.mean(np.log(np.clip(p[np.arange(200), y], 1e-7, 1)))
    assert loss == pytest.approx(ref, rel=1e-4)
    assert m.evaluate(x, y, verbose=0, return_dict=True) == {"loss": loss, "accuracy": acc}
    m2 = classifier(loss="sparse_categorical_crossentropy", metrics=())
    assert isinstance(m2.evaluate(x, y, verbose=0), float)


@pytest.mark.parametrize(
    "loss, units, expected",
    [
        ("binary_crossentropy", 1, "binary_accuracy"),
        ("binary_crossentropy", 3, "binary_accuracy"),
        ("sparse_categorical_crossentropy", 3, "sparse_categorical_accuracy"),
        ("categorical_crossentropy", 3, "categorical_accuracy"),
        ("mse", 3, "categorical_accuracy"),
        ("mse", 1, "binary_accuracy"),
    ],
)
def test_accuracy_is_resolved_from_loss_and_output_shape(loss, units, expected):
    assert keras.metrics.resolve("accuracy", keras.losses.get(loss).core_name, units) == (
        "accuracy",
        expected,
        0.5,
    )


def test_binary_accuracy_end_to_end_matches_numpy():
    x = rng.normal(size=(128, 2)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)
    m = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
    m.compile("adam", "binary_crossentropy", metrics=["acc"])
    m.fit(x, y, epochs=2, verbose=0)
    _, acc = m.evaluate(x, y, verbose=0)
    assert acc == pytest.approx(np.mean((m.predict(x)[:, 0] > 0.5) == y))


@pytest.mark.parametrize(
    "kwargs, listed",
    [
        ({"optimizer": "adamm", "loss": "mse"}, "adam"),
        ({"loss": "msee"}, "mean_squared_error"),
        ({"loss": "mse", "metrics": ["acuracy"]}, "accuracy"),
    ],
)
def test_unknown_names_list_the_valid_ones(kwargs, listed):
    m = classifier()
    with pytest.raises(ValueError, match="Valid names") as e:
        m.compile(**kwargs)
    assert listed in str(e.value) and "Did you mean" in str(e.value)


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="relu"):
        keras.layers.Dense(3, activation="rleu")


def test_shape_errors_name_both_shapes():
    m = classifier()
    x, y = blobs(3)
    yc = keras.utils.to_categorical(y, 3)
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(2, 3\)"):
        m.fit(x, yc[:2], verbose=0)
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(3, 3\)"):
        m.fit(x, y.reshape(3, 1), verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        m.fit(x, yc, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match=r"\(3, 5\).*\(None, 4\)"):
        m.fit(np.zeros((3, 5)), yc, verbose=0)
    with pytest.raises(ValueError, match=r"\(3, 5\).*\(None, 4\)"):
        m.predict(np.zeros((3, 5)))


@pytest.mark.parametrize("bad", [10, -1, 0.5])
def test_bad_sparse_labels_are_named_and_nothing_trains(bad):
    x, y = blobs(40, classes=10)
    m = classifier(classes=10, loss="sparse_categorical_crossentropy")
    before = m.get_weights()
    labels = y.astype(np.float32)
    labels[17] = bad
    with pytest.raises(ValueError, match=f"label {bad}"):
        m.fit(x, labels, verbose=0)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_builds_lazily_from_data_and_from_input():
    m = keras.Sequential()
    m.add(keras.layers.Dense(4, activation="tanh"))
    m.add(keras.layers.Dense(2))
    assert not m.built and m.get_weights() == []
    m.compile(loss="mse")
    m.fit(np.ones((8, 3)), np.zeros((8, 2)), verbose=0)
    assert [w.shape for w in m.get_weights()] == [(3, 4), (4,), (4, 2), (2,)]
    m2 = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    assert m2.built and m2.output_shape == (None, 2)


def test_get_set_weights_roundtrip_and_errors_leave_model_unchanged():
    m = classifier()
    w = [np.full_like(a, i) for i, a in enumerate(m.get_weights())]
    m.set_weights(w)
    for a, b in zip(w, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    bad = [*w[:-1], np.zeros(7)]
    with pytest.raises(ValueError, match=r"\(7,\).*\(3,\)"):
        m.set_weights(bad)
    np.testing.assert_array_equal(m.get_weights()[0], w[0])
    with pytest.raises(ValueError, match="4"):
        m.set_weights(w[:2])


def test_summary_prints_keras_table():
    m = classifier()
    lines = []
    m.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert "(None, 16)" in text and "Total params: 131" in text  # 4*16+16 + 16*3+3


def test_model_call_gives_a_tensor_with_graph():
    m = classifier()
    x = rg.tensor(rng.normal(size=(5, 4)).astype(np.float32))
    out = m(x)
    assert isinstance(out, rg.Tensor) and out.shape == (5, 3)
    np.testing.assert_allclose(out.numpy(), m.predict(x.numpy()), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    assert m.weights[0].grad is not None


def test_predict_batches_agree_and_one_dimensional_inputs_are_columns():
    m = keras.Sequential([keras.layers.Dense(1, input_shape=[1])])
    x = np.arange(70, dtype=np.float64)
    np.testing.assert_allclose(
        m.predict(x, batch_size=7), m.predict(x.reshape(-1, 1), batch_size=64)
    )


def test_class_weight_and_sample_weight_change_the_loss():
    x, y = blobs(64)
    m = classifier(loss="sparse_categorical_crossentropy")
    plain = m.evaluate(x, y, verbose=0)[0]
    double = m.evaluate(x, y, verbose=0, sample_weight=np.full(64, 2.0))[0]
    assert double == pytest.approx(2 * plain, rel=1e-5)
    h = m.fit(x, y, epochs=1, verbose=0, class_weight={0: 0.0, 1: 0.0, 2: 0.0}, shuffle=False)
    assert h.history["loss"][0] == 0.0


def test_verbose_modes_print_keras_progress(capsys):
    x, y = blobs(64)
    m = classifier(loss="sparse_categorical_crossentropy")
    m.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "2/2 - " in out and "loss: " in out and "\r" not in out
    m.fit(x, y, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert "2/2 [==============================]" in out and "/step" in out
    m.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""
