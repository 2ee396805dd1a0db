"""Weight options beyond Dense/Conv2D: Conv1D, Embedding, LayerNormalization, BatchNormalization and
PReLU take Keras' <weight>_initializer / _regularizer / _constraint: the initial values land in
the weights, the regularizers add the expected penalty to the loss, the constraints hold after fit,
and get_config round-trips."""

import numpy as np
import pytest
from rustgrad import keras
from rustgrad.keras import constraints, initializers, layers, regularizers


def rng():
    return np.random.default_rng(0)


def conv1d(**kw):
    return layers.Conv1D(3, 2, **kw), (5, 2)


def embedding(**kw):
    return layers.Embedding(6, 3, **kw), (4,)


def layer_norm(**kw):
    return layers.LayerNormalization(**kw), (4,)


def batch_norm(**kw):
    return layers.BatchNormalization(**kw), (4,)


def prelu(**kw):
    return layers.PReLU(**kw), (4,)


# (maker, weight names whose options are tested, input sampler)
CASES = [
    (conv1d, ("kernel", "bias")),
    (embedding, ("embeddings",)),
    (layer_norm, ("gamma", "beta")),
    (batch_norm, ("gamma", "beta")),
    (prelu, ("alpha",)),
]
IDS = ["Conv1D", "Embedding", "LayerNormalization", "BatchNormalization", "PReLU"]


def inputs(maker, shape, n=8):
    if maker is embedding:
        return rng().integers(0, 6, (n, *shape)).astype(np.float32)
    return rng().normal(0, 1, (n, *shape)).astype(np.float32)


def model_of(layer, shape):
    model = keras.Sequential([keras.Input(shape), layer])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


@pytest.mark.parametrize("maker, names", CASES, ids=IDS)
def test_initializers_land_in_the_weights(maker, names):
    kw = {f"{n}_initializer": initializers.Constant(0.3) for n in names}
    layer, shape = maker(**kw)
    model_of(layer, shape)
    for n in names:
        np.testing.assert_allclose(getattr(layer, n).numpy(), 0.3)


def test_batch_norm_moving_initializers():
    layer = layers.BatchNormalization(
        moving_mean_initializer=initializers.Constant(0.5), moving_variance_initializer="zeros"
    )
    model_of(layer, (3,))
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.0)
    assert layer.get_config()["moving_mean_initializer"]["config"] == {"value": 0.5}


@pytest.mark.parametrize("maker, names", CASES, ids=IDS)
def test_regularizers_add_the_expected_penalty(maker, names):
    plain, shape = maker()
    x = inputs(maker, shape)
    model = model_of(plain, shape)
    plain.set_weights([np.abs(rng().normal(0, 1, w.shape)) + 0.1 for w in plain.get_weights()])
    y = np.zeros(model.predict(x, verbose=0).shape, np.float32)
    base = model.evaluate(x, y, verbose=0)
    reg, _ = maker(**{f"{n}_regularizer": regularizers.L1L2(0.1, 0.2) for n in names})
    model2 = model_of(reg, shape)
    reg.set_weights(plain.get_weights())
    want = sum(
        0.1 * np.abs(w).sum() + 0.2 * np.square(w).sum()
        for w in (getattr(plain, n).numpy().astype(np.float64) for n in names)
    )
    assert want > 0
    assert np.isclose(model2.evaluate(x, y, verbose=0), base + want, rtol=1e-5)
    assert len(reg.losses) == 1


@pytest.mark.parametrize("maker, names", CASES, ids=IDS)
def test_non_neg_constraints_hold_after_fit(maker, names):
    layer, shape = maker(**{f"{n}_constraint": "non_neg" for n in names})
    x = inputs(maker, shape, n=16)
    model = model_of(layer, shape)
    # Targets far below the outputs push every weight down.
    y = model.predict(x, verbose=0) - 5.0
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    for n in names:
        assert getattr(layer, n).numpy().min() >= 0.0, n


@pytest.mark.parametrize("maker, names", CASES, ids=IDS)
def test_get_config_round_trips(maker, names):
    kw = {}
    for n in names:
        kw[f"{n}_initializer"] = initializers.Constant(0.25)
        kw[f"{n}_regularizer"] = regularizers.L2(0.5)
        kw[f"{n}_constraint"] = constraints.MaxNorm(3.0)
    layer, _ = maker(**kw)
    cfg = layer.get_config()
    short = {k: {"class_name": v["class_name"], "config": v["config"]} for k, v in cfg.items()
             if isinstance(v, dict) and "class_name" in v}  # fmt: skip
    for n in names:
        assert short[f"{n}_initializer"] == {"class_name": "Constant", "config": {"value": 0.25}}
        assert short[f"{n}_regularizer"] == {"class_name": "L2", "config": {"l2": 0.5}}
        assert short[f"{n}_constraint"] == {
            "class_name": "MaxNorm",
            "config": {"max_value": 3.0, "axis": 0},
        }
        assert cfg[f"{n}_constraint"]["module"] == "keras.constraints"
    again = type(layer).from_config({**cfg, "name": None})
    assert again.get_config() == {**cfg, "name": again.name}


def test_defaults_in_config_and_bad_options():
    cfg = layers.Embedding(4, 2).get_config()
    assert cfg["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert cfg["embeddings_regularizer"] is None and cfg["embeddings_constraint"] is None
    ln = layers.LayerNormalization().get_config()
    assert ln["gamma_initializer"]["class_name"] == "Ones"
    with pytest.raises(ValueError, match="Embedding.*embeddings_initializer.*nope"):
        layers.Embedding(4, 2, embeddings_initializer="nope")
    with pytest.raises(ValueError, match="BatchNormalization.*gamma_constraint.*valid names"):
        layers.BatchNormalization(gamma_constraint="positive")
    with pytest.raises(NotImplementedError, match="Conv1D.*kernel_regularizer"):
        layers.Conv1D(2, 2, kernel_regularizer=lambda w: 0.0)
