"""rustgrad.tuner's HyperParameters against KerasTuner's documented behaviour: values, defaults,
sampling (linear / log / reverse_log, with and without step), conditional scopes, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from rustgrad import tuner as kt
from rustgrad.tuner import hp_types


def test_declaring_returns_defaults_as_keras_tuner():
    hp = kt.HyperParameters()
    assert hp.Int("units", min_value=32, max_value=512, step=32) == 32  # default: min_value
    assert hp.Float("lr", 1e-4, 1e-2, sampling="log") == pytest.approx(1e-4)
    assert hp.Choice("activation", ["relu", "tanh"]) == "relu"  # default: the first value
    assert hp.Boolean("dropout") is False
    assert hp.Fixed("batch", 64) == 64
    assert hp.Int("layers", 1, 3, default=2) == 2
    assert hp.values == {"units": 32, "lr": 1e-4, "activation": "relu", "dropout": False,
                         "batch": 64, "layers": 2}  # fmt: skip
    # A second declaration reads the value chosen for the trial.
    hp.values["units"] = 256
    assert hp.Int("units", min_value=32, max_value=512, step=32) == 256
    assert hp["units"] == 256 and hp.get("activation") == "relu" and "dropout" in hp


def test_documented_grids():
    # KerasTuner's Float docstring: step 0.2 on [0, 1]; log sampling with step 10 multiplies.
    lin = hp_types.Float("f", 0, 1, step=0.2)
    assert lin.values == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    log = hp_types.Float("lr", 0.001, 10, step=10, sampling="log")
    assert log.values == pytest.approx([0.001, 0.01, 0.1, 1, 10])
    assert hp_types.Int("units", 32, 512, step=32).values == list(range(32, 513, 32))
    assert hp_types.Int("u", 32, 512, step=2, sampling="log").values == [32, 64, 128, 256, 512]
    assert hp_types.Int("n", 1, 3).values == [1, 2, 3]
    # No step: 10 values spread from min to max, as KerasTuner's grid.
    spread = hp_types.Float("x", 1e-4, 1e-2, sampling="log").values
    assert (
        len(spread) == 10 and spread[0] == pytest.approx(1e-4) and spread[-1] == pytest.approx(1e-2)
    )
    assert np.allclose(np.diff(np.log(spread)), np.log(100) / 9)


@pytest.mark.parametrize("sampling", ["linear", "log", "reverse_log"])
def test_prob_and_value_are_inverse(sampling):
    f = hp_types.Float("x", 0.01, 10.0, sampling=sampling)
    for p in np.linspace(0, 1, 11):
        assert f.value_to_prob(f.prob_to_value(p)) == pytest.approx(p, abs=1e-9)
    stepped = hp_types.Int("n", 2, 64, step=2, sampling=sampling if sampling != "linear" else "log")
    for v in stepped.values:
        assert stepped.prob_to_value(stepped.value_to_prob(v)) == v


def test_log_sampling_is_uniform_in_log_space():
    f = hp_types.Float("lr", 1e-5, 1e-1, sampling="log")
    draws = np.log10([f.random_sample(seed) for seed in range(4000)])
    # Each decade gets about a quarter of the draws.
    counts = np.histogram(draws, bins=4, range=(-5, -1))[0]
    assert np.all(np.abs(counts - 1000) < 120), counts
    rev = hp_types.Float("m", 0.01, 1.0, sampling="reverse_log")
    draws = np.array([rev.random_sample(seed) for seed in range(2000)])
    # reverse_log crowds values near max_value: log(max + min - v) is uniform, so the median is
    # max + min - min * sqrt(max / min) = 0.91.
    assert abs(np.median(draws) - 0.91) < 0.03
    ints = [hp_types.Int("k", 1, 4).random_sample(s) for s in range(2000)]
    assert sorted(set(ints)) == [1, 2, 3, 4]


def test_conditional_scope_activates_only_under_its_parent():
    hp = kt.HyperParameters()
    model_type = hp.Choice("model_type", ["mlp", "cnn"])
    with hp.conditional_scope("model_type", ["mlp"]):
        units = hp.Int("units", 32, 128, step=32)
    with hp.conditional_scope("model_type", "cnn"):
        filters = hp.Int("filters", 8, 32, step=8)
    assert (model_type, units, filters) == ("mlp", 32, None)
    assert hp.is_active("units") and not hp.is_active("filters")
    hp.values["model_type"] = "cnn"
    assert not hp.is_active("units") and hp.is_active("filters")
    assert hp.active_values() == {"model_type": "cnn", "filters": 8}
    with pytest.raises(ValueError, match="must be declared"), hp.conditional_scope("nothing", [1]):
        pass


def test_config_round_trip():
    hp = kt.HyperParameters()
    hp.Int("a", 1, 9, step=2)
    hp.Float("b", 0.1, 1.0, sampling="log", default=0.5)
    hp.Choice("c", [1, 2.5])
    hp.Boolean("d", default=True)
    hp.Fixed("e", "x")
    with hp.conditional_scope("d", [True]):
        hp.Int("f", 1, 2)
    again = kt.HyperParameters.from_config(hp.get_config())
    assert again.get_config() == hp.get_config()
    assert [p.kind for p in again.space] == ["Int", "Float", "Choice", "Boolean", "Fixed", "Int"]


@pytest.mark.parametrize(
    "declare, error, words",
    [
        (lambda hp: hp.Int("a", 5, 1), ValueError, "larger than max_value"),
        (lambda hp: hp.Int("a", 1.5, 3), ValueError, "must be an integer"),
        (lambda hp: hp.Float("a", 0, 1, sampling="exp"), ValueError, "sampling must be one of"),
        (lambda hp: hp.Float("a", 0, 1, sampling="log"), ValueError, "min_value > 0"),
        (lambda hp: hp.Float("a", 1, 10, step=1, sampling="log"), ValueError, "step must be > 1"),
        (lambda hp: hp.Int("a", 1, 5, default=9), ValueError, "outside"),
        (lambda hp: hp.Choice("a", []), ValueError, "non-empty"),
        (lambda hp: hp.Choice("a", [1, "x"]), ValueError, "must all be int"),
        (lambda hp: hp.Choice("a", [1, 2], default=3), ValueError, "not one of"),
        (lambda hp: hp.Boolean("a", default="yes"), TypeError, "True or False"),
        (lambda hp: hp.Fixed("a", [1]), TypeError, "int, float, str or bool"),
        (lambda hp: hp.Int("", 1, 2), ValueError, "non-empty string name"),
    ],
)
def test_bad_declarations_raise_clear_errors(declare, error, words):
    with pytest.raises(error, match=words):
        declare(kt.HyperParameters())


def test_allow_and_tune_new_entries():
    fixed = kt.HyperParameters(tune_new_entries=False)
    assert fixed.Int("units", 32, 64, step=32, default=64) == 64
    assert fixed.space[0].kind == "Fixed"
    closed = kt.HyperParameters(allow_new_entries=False)
    with pytest.raises(RuntimeError, match="allow_new_entries=False"):
        closed.Int("units", 1, 2)
    with pytest.raises(KeyError, match="unknown hyperparameter"):
        closed.get("units")


def test_objective_direction_inferred_as_keras_tuner():
    from rustgrad.tuner.objective import create_objective

    for name, direction in [("val_loss", "min"), ("loss", "min"), ("val_accuracy", "max"),
                            ("accuracy", "max"), ("val_acc", "max"), ("val_auc", "max"),
                            ("val_mean_absolute_error", "min"), ("mse", "min"),
                            ("weighted_categorical_accuracy", "max")]:  # fmt: skip
        assert create_objective(name).direction == direction, name
    assert create_objective(kt.Objective("val_custom", "max")).direction == "max"
    with pytest.raises(ValueError, match="cannot infer whether to minimise or maximise"):
        create_objective("val_custom_metric")
    with pytest.raises(ValueError, match="'min' or 'max'"):
        kt.Objective("val_loss", "down")
    assert repr(kt.Objective("val_loss", "min")) == 'Objective(name="val_loss", direction="min")'
    assert kt.Objective("a", "min").better(1.0, float("nan"))
