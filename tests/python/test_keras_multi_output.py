"""Models with several inputs and outputs: compile with a loss, weight and metrics per output (one
for all, a list, a dict by output name); fit/evaluate/predict with lists or dicts of arrays; History
keys as Keras 3 names them; one SGD step equal to the NumPy gradient of the weighted loss."""

from __future__ import annotations

import numpy as np
import pytest
from rustgrad import keras

layers = keras.layers
rng = np.random.default_rng(2)
N = 48


def ticket_model(seed=0):
    """The guide's shape of model: two inputs, a shared trunk, a regression and a class head."""
    title, body = keras.Input((4,), name="title"), keras.Input((3,), name="body")
    h = layers.Dense(8, activation="relu", name="trunk")(layers.concatenate([title, body]))
    priority = layers.Dense(1, activation="sigmoid", name="priority")(h)
    department = layers.Dense(3, activation="softmax", name="department")(h)
    model = keras.Model(inputs=[title, body], outputs=[priority, department])
    r = np.random.default_rng(seed)
    model.set_weights([r.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def data():
    xt, xb = rng.normal(size=(N, 4)), rng.normal(size=(N, 3))
    yp, yd = rng.uniform(size=(N, 1)), rng.integers(0, 3, N)
    return xt, xb, yp, yd


def compile_ticket(model, **kw):
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss={"priority": "binary_crossentropy", "department": "sparse_categorical_crossentropy"},
        loss_weights={"priority": 1.0, "department": 0.2},
        metrics={"priority": ["mae"], "department": ["accuracy"]},
        **kw,
    )


def test_history_keys_are_keras_names_and_the_loss_is_the_weighted_total():
    model = ticket_model()
    compile_ticket(model)
    xt, xb, yp, yd = data()
    h = model.fit([xt, xb], [yp, yd], epochs=2, verbose=0, validation_data=([xt, xb], [yp, yd]))
    keys = ["loss", "priority_loss", "department_loss", "priority_mae", "department_accuracy"]
    assert list(h.history) == keys + [f"val_{k}" for k in keys]
    assert model.metrics_names == keys
    logs = model.evaluate([xt, xb], [yp, yd], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["priority_loss"] + 0.2 * logs["department_loss"])
    p, d = model.predict([xt, xb])
    bce = -np.mean(yp * np.log(np.clip(p, 1e-7, 1)) + (1 - yp) * np.log(np.clip(1 - p, 1e-7, 1)))
    assert logs["priority_loss"] == pytest.approx(bce, rel=1e-4)
    cce = -np.mean(np.log(np.clip(d[np.arange(N), yd], 1e-7, 1)))
    assert logs["department_loss"] == pytest.approx(cce, rel=1e-4)
    assert logs["priority_mae"] == pytest.approx(np.mean(np.abs(p - yp)), rel=1e-4)
    assert logs["department_accuracy"] == pytest.approx(np.mean(np.argmax(d, 1) == yd))
    assert model.evaluate([xt, xb], [yp, yd], verbose=0) == list(logs.values())


def test_dicts_and_lists_of_arrays_train_the_same():
    xt, xb, yp, yd = data()
    by_list, by_dict = ticket_model(), ticket_model()
    compile_ticket(by_list)
    compile_ticket(by_dict)
    by_list.fit([xt, xb], [yp, yd], epochs=2, shuffle=False, verbose=0)
    by_dict.fit(
        {"body": xb, "title": xt},
        {"department": yd, "priority": yp},
        epochs=2,
        shuffle=False,
        verbose=0,
    )
    for a, b in zip(by_list.get_weights(), by_dict.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_dict_outputs_predict_a_dict_and_name_the_history():
    a = keras.Input((3,), name="x")
    h = layers.Dense(4, activation="relu")(a)
    model = keras.Model(a, {"score": layers.Dense(1)(h), "kind": layers.Dense(2)(h)})
    assert model.output_names == ["score", "kind"]
    x = rng.normal(size=(N, 3))
    out = model.predict(x, batch_size=7)
    assert list(out) == ["score", "kind"] and out["kind"].shape == (N, 2)
    model.compile("sgd", loss="mse", metrics=["mae"])  # one loss and flat metrics: every output
    hist = model.fit(x, {"score": np.zeros((N, 1)), "kind": np.ones((N, 2))}, verbose=0)
    assert list(hist.history) == ["loss", "score_loss", "kind_loss", "score_mae", "kind_mae"]


def test_losses_and_metrics_as_lists_per_output():
    model = ticket_model()
    model.compile(
        "sgd",
        loss=["mse", "sparse_categorical_crossentropy"],
        metrics=[[], ["accuracy", "sparse_categorical_accuracy"]],
    )
    xt, xb, yp, yd = data()
    logs = model.evaluate([xt, xb], [yp, yd], verbose=0, return_dict=True)
    assert list(logs) == [
        "loss",
        "priority_loss",
        "department_loss",
        "department_accuracy",
        "department_sparse_categorical_accuracy",
    ]
    assert logs["department_accuracy"] == logs["department_sparse_categorical_accuracy"]


def test_one_sgd_step_is_the_numpy_gradient_of_the_weighted_loss():
    a = keras.Input((3,))
    model = keras.Model(a, [layers.Dense(2, name="o1")(a), layers.Dense(1, name="o2")(a)])
    w1, b1, w2, b2 = (rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights())
    model.set_weights([w1, b1, w2, b2])
    model.compile(keras.optimizers.SGD(0.1), loss="mse", loss_weights=[1.0, 0.5])
    x, y1, y2 = rng.normal(size=(8, 3)), rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    x, y1, y2 = (v.astype(np.float32) for v in (x, y1, y2))
    model.fit(x, [y1, y2], batch_size=8, epochs=1, shuffle=False, verbose=0)
    g1 = 2 * (x @ w1 + b1 - y1) / y1.size
    g2 = 0.5 * 2 * (x @ w2 + b2 - y2) / y2.size
    want = [w1 - 0.1 * x.T @ g1, b1 - 0.1 * g1.sum(0), w2 - 0.1 * x.T @ g2, b2 - 0.1 * g2.sum(0)]
    for got, w in zip(model.get_weights(), want):
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


def test_sample_weight_scales_every_output_loss():
    model = ticket_model()
    compile_ticket(model)
    xt, xb, yp, yd = data()
    plain = model.evaluate([xt, xb], [yp, yd], verbose=0)
    double = model.evaluate([xt, xb], [yp, yd], verbose=0, sample_weight=np.full(N, 2.0))
    assert double[:3] == pytest.approx([2 * v for v in plain[:3]], rel=1e-5)


def test_compile_and_data_errors_name_the_outputs():
    model = ticket_model()
    with pytest.raises(ValueError, match="2 outputs"):
        model.compile("sgd", loss=["mse"])
    with pytest.raises(ValueError, match=r"\['prio'\].*\['priority', 'department'\]"):
        model.compile("sgd", loss={"prio": "mse", "department": "mse"})
    with pytest.raises(ValueError, match=r"no loss for output\(s\) \['department'\]"):
        model.compile("sgd", loss={"priority": "mse"})
    with pytest.raises(ValueError, match="Valid names"):
        model.compile("sgd", loss="mse", metrics={"department": ["acuracy"]})
    compile_ticket(model)
    xt, xb, yp, yd = data()
    with pytest.raises(ValueError, match=r"without the input\(s\) \['body'\]"):
        model.fit({"title": xt}, [yp, yd], verbose=0)
    with pytest.raises(ValueError, match="2 inputs"):
        model.fit(xt, [yp, yd], verbose=0)
    with pytest.raises(ValueError, match="2 outputs"):
        model.fit([xt, xb], yp, verbose=0)
    with pytest.raises(ValueError, match=r"y\['department'\].*label 5"):
        model.fit([xt, xb], [yp, np.full(N, 5)], verbose=0)
    with pytest.raises(ValueError, match="single output"):
        model.fit([xt, xb], [yp, yd], class_weight={0: 1.0}, verbose=0)
    with pytest.raises(ValueError, match=r"x\['body'\] of shape \(48, 2\)"):
        model.predict([xt, xb[:, :2]])
