"""Configs in Keras 3's form: layer get_config/from_config round trips, Sequential and functional
JSON (to_json, model_from_json), clone_model, registered and scoped custom objects, and Lambda's
code refused unless safe_mode=False. (The values themselves are checked against real Keras in
test_keras_interop.py.)"""

from __future__ import annotations

import json

import numpy as np
import pytest
from rustgrad import keras

L = keras.layers

LAYERS = [
    lambda: L.Dense(3, activation="relu", use_bias=False, kernel_regularizer="l2"),
    lambda: L.Conv2D(2, (3, 2), strides=2, padding="same", activation="tanh"),
    lambda: L.MaxPooling2D((3, 3), strides=1, padding="same"),
    lambda: L.AveragePooling2D(2),
    lambda: L.BatchNormalization(momentum=0.9, epsilon=1e-4),
    lambda: L.Dropout(0.3, seed=4),
    lambda: L.SpatialDropout2D(0.2),
    lambda: L.Flatten(),
    lambda: L.Reshape((4, -1)),
    lambda: L.Activation("sigmoid"),
    lambda: L.Embedding(10, 4),
    lambda: L.LayerNormalization(epsilon=1e-5, center=False),
    lambda: L.Concatenate(axis=1),
    lambda: L.Add(),
    lambda: L.Conv1D(3, 2, dilation_rate=2),
    lambda: L.ZeroPadding2D(((1, 2), (0, 1))),
    lambda: L.GlobalAveragePooling2D(),
    lambda: L.LeakyReLU(0.1),
    lambda: L.Rescaling(2.0, offset=1.0),
    lambda: L.InputLayer(shape=(3, 4)),
]


def _json(config):
    return json.loads(json.dumps(config))


@pytest.mark.parametrize("make", LAYERS, ids=lambda f: f().__class__.__name__)
def test_layer_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert type(again) is type(layer)
    assert _json(again.get_config()) == _json(config)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert _json(restored.get_config()) == _json(config)


def test_keras_keys_rustgrad_lacks_are_accepted_at_their_default_only():
    config = L.Dense(2).get_config()
    assert L.Dense.from_config({**config, "lora_rank": None}).units == 2
    with pytest.raises(NotImplementedError, match="lora_rank"):
        L.Dense.from_config({**config, "lora_rank": 4})
    # Constraints are options rustgrad has: a Keras config's constraint is honoured.
    nonneg = L.Dense.from_config({**config, "kernel_constraint": {"class_name": "NonNeg"}})
    assert nonneg.get_config()["kernel_constraint"]["class_name"] == "NonNeg"
    with pytest.raises(NotImplementedError, match="groups"):
        L.Conv2D.from_config({**L.Conv2D(2, 3).get_config(), "groups": 2})
    with pytest.raises(NotImplementedError, match="bfloat16"):
        L.Dense.from_config({**config, "dtype": "bfloat16"})


def _functional():
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    shared = L.Dense(5, activation="relu", name="shared")
    h = L.Concatenate()([shared(a), shared(L.Dense(4)(b))])
    out = L.Dense(2, name="head")(L.Dropout(0.1)(h))
    return keras.Model([a, b], out)


def test_functional_config_is_keras_json_and_rebuilds_the_same_graph():
    m = _functional()
    cfg = m.get_config()
    assert cfg["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert cfg["output_layers"] == ["head", 0, 0]
    entries = {e["name"]: e for e in cfg["layers"]}
    assert entries["a"]["class_name"] == "InputLayer"
    assert entries["a"]["config"]["batch_shape"] == [None, 4]
    shared_calls = entries["shared"]["inbound_nodes"]
    assert len(shared_calls) == 2  # one layer, two calls
    histories = [n["args"][0]["config"]["keras_history"] for n in shared_calls]
    assert histories[0] == ["a", 0, 0]
    assert histories[1][0].startswith("dense")
    concat = entries[next(n for n in entries if n.startswith("concatenate"))]["inbound_nodes"][0]
    assert [t["config"]["keras_history"][:2] for t in concat["args"][0]] == [
        ["shared", 0],
        ["shared", 1],
    ]
    x = [np.random.rand(6, 4).astype("f4"), np.random.rand(6, 3).astype("f4")]
    again = keras.models.model_from_json(m.to_json())
    assert _json(again.get_config()) == _json(cfg)
    again.set_weights(m.get_weights())
    np.testing.assert_allclose(again.predict(x), m.predict(x), atol=1e-6)
    assert len(again.get_layer("shared").inbound_nodes) == 2


def test_sequential_config_starts_with_its_input_layer():
    m = keras.Sequential([keras.Input((6,)), L.Dense(3), L.Dense(1)], name="seq")
    cfg = m.get_config()
    assert cfg["layers"][0]["class_name"] == "InputLayer"
    assert cfg["build_input_shape"] == [None, 6]
    ser = keras.saving.serialize_keras_object(m)
    assert (ser["module"], ser["class_name"]) == ("keras", "Sequential")
    again = keras.Sequential.from_config(cfg)
    assert [la.name for la in again.layers] == [la.name for la in m.layers]
    assert again.input_shape == (None, 6)


def test_clone_model_makes_fresh_weights_and_honours_clone_function():
    np.random.seed(0)
    m = _functional()
    seen = []

    def clone(layer):
        seen.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    c = keras.models.clone_model(m, clone_function=clone)
    assert seen.count("shared") == 1  # a shared layer is cloned once
    assert _json(c.get_config()) == _json(m.get_config())
    assert c.get_layer("shared") is not m.get_layer("shared")
    assert not np.allclose(
        c.get_layer("head").get_weights()[0], m.get_layer("head").get_weights()[0]
    )
    s = keras.Sequential([keras.Input((3,)), L.Dense(2, name="d")])
    renamed = keras.models.clone_model(
        s, clone_function=lambda la: L.Dense(la.units, name=la.name + "_copy")
    )
    assert [la.name for la in renamed.layers] == ["d_copy"]
    with pytest.raises(NotImplementedError, match="call_function"):
        keras.models.clone_model(s, call_function=lambda *a: None)


class Scale(L.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _custom_model():
    inp = keras.Input((3,))
    return keras.Model(inp, L.Dense(2)(Scale(3.0, name="scale")(inp)))


def test_custom_layers_need_registration_or_custom_objects():
    m = _custom_model()
    text = m.to_json()
    with pytest.raises(TypeError, match="Scale"):
        keras.models.model_from_json(text)
    again = keras.models.model_from_json(text, custom_objects={"Scale": Scale})
    assert again.get_layer("scale").factor == 3.0
    with keras.saving.custom_object_scope({"Scale": Scale}):
        assert keras.models.model_from_json(text).get_layer("scale").factor == 3.0

    @keras.saving.register_keras_serializable(package="tests")
    class Shift(Scale):
        pass

    assert keras.saving.get_registered_object("tests>Shift") is Shift
    assert keras.saving.get_registered_name(Shift) == "tests>Shift"
    inp = keras.Input((3,))
    m2 = keras.Model(inp, Shift(name="shift")(inp))
    entry = m2.get_config()["layers"][1]
    assert entry["registered_name"] == "tests>Shift"
    assert type(keras.models.model_from_json(m2.to_json()).get_layer("shift")) is Shift


def test_lambda_code_is_refused_unless_safe_mode_is_off(tmp_path):
    inp = keras.Input((3,))
    m = keras.Model(inp, L.Lambda(lambda t: t * 3.0, name="triple")(L.Dense(2)(inp)))
    path = tmp_path / "lam.keras"
    m.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, safe_mode=False)
    x = np.random.rand(4, 3).astype("f4")
    np.testing.assert_allclose(loaded.predict(x), m.predict(x), atol=1e-6)


@keras.saving.register_keras_serializable(package="tests")
class TwoLayer(keras.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = L.Dense(units, activation="relu")
        self.out = L.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_through_its_get_config_and_registration(tmp_path):
    x = np.random.rand(8, 5).astype("f4")
    m = TwoLayer(units=3, name="two")
    m.compile("adam", "mse")
    m.fit(x, x[:, :1], epochs=1, verbose=0)
    m.save(tmp_path / "sub.keras")
    loaded = keras.models.load_model(tmp_path / "sub.keras")
    assert type(loaded) is TwoLayer and loaded.units == 3
    np.testing.assert_allclose(loaded.predict(x), m.predict(x), atol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda: keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.1, 100, 0.9)),
        lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
        lambda: keras.optimizers.RMSprop(centered=True),
        lambda: keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        lambda: keras.losses.SparseCategoricalCrossentropy(),
        lambda: keras.losses.Huber(delta=2.0),
        lambda: keras.losses.MeanSquaredError(),
        lambda: keras.metrics.Precision(thresholds=0.3),
        lambda: keras.metrics.AUC(num_thresholds=50),
        lambda: keras.metrics.MeanAbsoluteError(),
    ],
    ids=lambda f: f().__class__.__name__,
)
def test_optimizers_losses_and_metrics_serialize(make):
    obj = make()
    ser = keras.saving.serialize_keras_object(obj)
    assert ser["module"].startswith("keras.")
    again = keras.saving.deserialize_keras_object(json.loads(json.dumps(ser)))
    assert type(again) is type(obj)
    assert _json(keras.saving.serialize_keras_object(again)) == _json(ser)


def test_keras_loss_and_metric_configs_load():
    # As Keras 3.15 writes them (its MSE has no extra keys; its metrics carry a dtype).
    mse = {
        "module": "keras.losses",
        "class_name": "MeanSquaredError",
        "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"},
    }
    assert isinstance(keras.saving.deserialize_keras_object(mse), keras.losses.MeanSquaredError)
    cce = {
        "module": "keras.losses",
        "class_name": "CategoricalCrossentropy",
        "config": {
            "name": "cce",
            "reduction": "sum_over_batch_size",
            "from_logits": True,
            "label_smoothing": 0.2,
            "axis": -1,
        },
    }
    loss = keras.saving.deserialize_keras_object(cce)
    assert (loss.from_logits, loss.label_smoothing) == (True, 0.2)
    with pytest.raises(NotImplementedError, match="axis"):
        keras.saving.deserialize_keras_object({**cce, "config": {**cce["config"], "axis": 1}})
    prec = {
        "module": "keras.metrics",
        "class_name": "Precision",
        "config": {
            "name": "precision",
            "dtype": "float32",
            "thresholds": 0.3,
            "top_k": None,
            "class_id": None,
        },
    }
    assert isinstance(keras.saving.deserialize_keras_object(prec), keras.metrics.Precision)


def test_keras_config_lets_every_later_load_run_lambda_code(tmp_path, monkeypatch):
    from rustgrad.keras.saving import serialization

    monkeypatch.setitem(serialization._UNSAFE, "everywhere", False)  # restored after the test
    inp = keras.Input((3,))
    m = keras.Model(inp, L.Lambda(lambda t: t + 1.0, name="plus_one")(inp))
    path = tmp_path / "lam.keras"
    m.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.load_model(path)
    keras.config.enable_unsafe_deserialization()
    x = np.random.rand(4, 3).astype("f4")
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0), x + 1.0)


def test_keras_config_and_top_level_names():
    assert keras.config.backend() == "rustgrad"
    assert keras.config.floatx() == keras.backend.floatx() == "float32"
    assert keras.config.epsilon() == keras.backend.epsilon()
    assert keras.Layer is L.Layer and keras.Loss is keras.losses.Loss
    assert keras.Metric is keras.metrics.Metric and keras.Optimizer is keras.optimizers.Optimizer
    v = keras.Variable(np.ones(2, np.float32))
    assert v.trainable and v.shape == (2,)
