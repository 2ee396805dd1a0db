"""tf.keras 2's legacy .h5 model files load (read only). The files are written here by hand with
h5py in tf.keras 2's layout: root attributes model_config / training_config (JSON), the group
model_weights with layer_names, and per layer weight_names naming its datasets."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from rustgrad import keras


def _dense(name, units, activation="linear"):
    return {
        "class_name": "Dense",
        "config": {
            "name": name,
            "trainable": True,
            "dtype": "float32",
            "units": units,
            "activation": activation,
            "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "activity_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
        },
    }


SEQUENTIAL = {
    "class_name": "Sequential",
    "config": {
        "name": "sequential",
        "layers": [
            {
                "class_name": "InputLayer",
                "config": {
                    "batch_input_shape": [None, 4],
                    "dtype": "float32",
                    "sparse": False,
                    "ragged": False,
                    "name": "dense_input",
                },
            },
            _dense("dense", 3, "relu"),
            {
                "class_name": "BatchNormalization",
                "config": {
                    "name": "batch_normalization",
                    "trainable": True,
                    "dtype": "float32",
                    "axis": [1],
                    "momentum": 0.99,
                    "epsilon": 0.001,
                    "center": True,
                    "scale": True,
                    "beta_initializer": {"class_name": "Zeros", "config": {}},
                    "gamma_initializer": {"class_name": "Ones", "config": {}},
                    "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
                    "moving_variance_initializer": {"class_name": "Ones", "config": {}},
                    "beta_regularizer": None,
                    "gamma_regularizer": None,
                    "beta_constraint": None,
                    "gamma_constraint": None,
                },
            },
            _dense("dense_1", 2),
        ],
    },
}


def _functional():
    def node(*names):
        return [[[n, 0, 0, {}] for n in names]]

    layers = [
        {
            "class_name": "InputLayer",
            "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "input_1"},
            "name": "input_1",
            "inbound_nodes": [],
        },
        {**_dense("dense", 3), "name": "dense", "inbound_nodes": node("input_1")},
        {**_dense("dense_1", 3), "name": "dense_1", "inbound_nodes": node("input_1")},
        {
            "class_name": "Add",
            "config": {"name": "add", "trainable": True, "dtype": "float32"},
            "name": "add",
            "inbound_nodes": node("dense", "dense_1"),
        },
    ]
    return {
        "class_name": "Functional",
        "config": {
            "name": "model",
            "layers": layers,
            "input_layers": [["input_1", 0, 0]],
            "output_layers": [["add", 0, 0]],
        },
    }


def _write(path, model_config, weights, training=None):
    """A file as tf.keras 2's save_model writes it (weights: {layer: {weight name: array}})."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(model_config)
        if training is not None:
            f.attrs["training_config"] = json.dumps(training)
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [n.encode() for n in weights]
        for layer, named in weights.items():
            lg = g.create_group(layer)
            lg.attrs["weight_names"] = [k.encode() for k in named]
            for k, v in named.items():
                lg.create_dataset(k, data=v)


def _arrays(rng, layer, shapes, kinds=("kernel", "bias")):
    return {f"{layer}/{k}:0": rng.random(s).astype("f4") for k, s in zip(kinds, shapes)}


def test_legacy_sequential_with_training_config(tmp_path):
    rng = np.random.default_rng(0)
    bn = ("gamma", "beta", "moving_mean", "moving_variance")
    weights = {
        "dense": _arrays(rng, "dense", [(4, 3), (3,)]),
        "batch_normalization": _arrays(rng, "batch_normalization", [(3,)] * 4, bn),
        "dense_1": _arrays(rng, "dense_1", [(3, 2), (2,)]),
    }
    weights["batch_normalization"]["batch_normalization/moving_variance:0"] += 0.5
    training = {
        "loss": "mse",
        "metrics": ["mae"],
        "loss_weights": None,
        "optimizer_config": {
            "class_name": "Adam",
            "config": {"name": "Adam", "learning_rate": 0.002, "decay": 0.0, "beta_1": 0.9},
        },
    }
    _write(tmp_path / "old.h5", SEQUENTIAL, weights, training)
    m = keras.models.load_model(tmp_path / "old.h5")
    assert isinstance(m, keras.Sequential) and m.input_shape == (None, 4)
    x = rng.random((5, 4)).astype("f4")
    w = [a for layer in weights.values() for a in layer.values()]
    k1, b1, g, beta, mean, var, k2, b2 = w
    h = np.maximum(x @ k1 + b1, 0)
    h = g * (h - mean) / np.sqrt(var + 1e-3) + beta
    np.testing.assert_allclose(m.predict(x), h @ k2 + b2, rtol=1e-5, atol=1e-5)
    assert type(m.optimizer).__name__ == "Adam"
    assert m.optimizer.get_config()["learning_rate"] == pytest.approx(0.002)
    m.fit(x, np.zeros((5, 2), "f4"), verbose=0)
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, name="dense")])
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"'dense'.*\(4, 3\).*\(4, 5\)"):
        other.load_weights(tmp_path / "old.h5")
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)
    renamed = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="first")])
    with pytest.raises(ValueError, match="no weights for layer 'first'"):
        renamed.load_weights(tmp_path / "old.h5")


def test_legacy_functional_and_wrong_shapes(tmp_path):
    rng = np.random.default_rng(1)
    weights = {
        "dense": _arrays(rng, "dense", [(4, 3), (3,)]),
        "dense_1": _arrays(rng, "dense_1", [(4, 3), (3,)]),
    }
    _write(tmp_path / "fun.h5", _functional(), weights)
    m = keras.models.load_model(tmp_path / "fun.h5")
    x = rng.random((3, 4)).astype("f4")
    (k1, b1), (k2, b2) = (list(v.values()) for v in weights.values())
    np.testing.assert_allclose(m.predict(x), x @ k1 + b1 + x @ k2 + b2, rtol=1e-5)
    weights["dense_1"]["dense_1/kernel:0"] = rng.random((4, 5)).astype("f4")
    _write(tmp_path / "bad.h5", _functional(), weights)
    with pytest.raises(ValueError, match=r"dense_1.*\(4, 5\).*\(4, 3\)"):
        keras.models.load_model(tmp_path / "bad.h5")
    (tmp_path / "empty.h5").write_bytes(b"")
    with pytest.raises(ValueError, match="empty.h5"):
        keras.models.load_model(tmp_path / "empty.h5")
