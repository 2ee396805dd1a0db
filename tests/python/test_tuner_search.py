"""rustgrad.tuner runs KerasTuner's getting-started listings (one import changed) and its four
tuners follow KerasTuner's rules: the grid's order, Hyperband's brackets and checkpoints, the
Bayesian GP's posterior, best models equal to their trials' best epochs."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras
from rustgrad import tuner as keras_tuner
from rustgrad.keras import layers
from rustgrad.tuner.gaussian_process import GaussianProcess, matern52

kt = keras_tuner


def toy_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = keras.utils.to_categorical((x[:, 0] + x[:, 1] > 0).astype(int), 2)
    return x, y


def toy_model(hp):
    model = keras.Sequential([
        keras.Input((8,)),
        layers.Dense(hp.Int("units", 4, 16, step=4), activation="relu"),
        layers.Dense(2, activation="softmax"),
    ])  # fmt: skip
    lr = hp.Float("lr", 1e-3, 1e-1, sampling="log")
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


def test_getting_started_listing_on_mnist(tmp_path, real_dataset_dir, capsys):
    real_dataset_dir("mnist")

    # KerasTuner's getting-started guide, `import keras_tuner` -> `from rustgrad import tuner`.
    def build_model(hp):
        model = keras.Sequential()
        model.add(layers.Flatten())
        model.add(
            layers.Dense(
                units=hp.Int("units", min_value=32, max_value=512, step=32),
                activation=hp.Choice("activation", ["relu", "tanh"]),
            )
        )
        if hp.Boolean("dropout"):
            model.add(layers.Dropout(rate=0.25))
        model.add(layers.Dense(10, activation="softmax"))
        learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    build_model(keras_tuner.HyperParameters())
    tuner = keras_tuner.RandomSearch(
        hypermodel=build_model, objective="val_accuracy", max_trials=3, executions_per_trial=2,
        overwrite=True, directory=tmp_path / "my_dir", project_name="helloworld", seed=1,
    )  # fmt: skip
    tuner.search_space_summary()
    (x, y), _ = keras.datasets.mnist.load_data()
    x, y = x[:3000] / 255.0, keras.utils.to_categorical(y[:3000], 10)
    x_train, y_train, x_val, y_val = x[:2000], y[:2000], x[2000:], y[2000:]
    tuner.search(x_train, y_train, epochs=2, validation_data=(x_val, y_val), verbose=0)
    models = tuner.get_best_models(num_models=2)
    best_model = models[0]
    best_model.build(input_shape=(None, 28, 28))
    best_model.summary()
    tuner.results_summary()
    best_hps = tuner.get_best_hyperparameters(5)
    model = build_model(best_hps[0])
    model.fit(x, y, epochs=1, verbose=0)

    out = capsys.readouterr().out
    assert "Default search space size: 4" in out and "units (Int)" in out
    assert (
        "Showing 3 best trials" in out and 'Objective(name="val_accuracy", direction="max")' in out
    )
    best = tuner.oracle.get_best_trials(3)
    assert [t.score for t in best] == sorted((t.score for t in best), reverse=True)
    assert best[0].score > 0.8  # 2000 MNIST images, 2 epochs
    # The score is the mean over the 2 executions of each one's best epoch; the checkpoint holds
    # the best execution's best epoch, so the best model evaluates to that one's val_accuracy.
    per_exec = [max(h["val_accuracy"]) for h in best[0].history]
    assert best[0].score == pytest.approx(np.mean(per_exec))
    _, acc = best_model.evaluate(x_val, y_val, verbose=0)
    assert acc == pytest.approx(max(per_exec), abs=1e-6)
    assert len(best_hps) == 3 and set(best_hps[0].values) >= {"units", "activation", "lr"}


def test_hypermodel_fit_tunes_batch_size_and_custom_objectives(tmp_path):
    x, y = toy_data()
    seen = []

    class MyHyperModel(kt.HyperModel):
        def build(self, hp):
            return toy_model(hp)

        def fit(self, hp, model, *args, **kwargs):
            batch_size = hp.Choice("batch_size", [16, 32])
            seen.append(batch_size)
            return model.fit(*args, batch_size=batch_size, shuffle=hp.Boolean("shuffle"), **kwargs)

    tuner = kt.RandomSearch(MyHyperModel(), objective="val_loss", max_trials=4, seed=3,
                            directory=tmp_path, project_name="fit")  # fmt: skip
    tuner.search(x, y, epochs=2, validation_split=0.25, verbose=0)
    names = [hp.name for hp in tuner.oracle.hyperparameters.space]
    assert names[-2:] == ["batch_size", "shuffle"]  # declared by fit in the first trial
    assert set(seen) == {16, 32} or len(set(seen)) == 1
    assert all(
        t.hyperparameters.values["batch_size"] in (16, 32) for t in tuner.oracle.trials.values()
    )

    # A fit returning one float: the objective to minimise ("default_objective"), as KerasTuner.
    class HyperRegressor(kt.HyperModel):
        def build(self, hp):
            return toy_model(hp)

        def fit(self, hp, model, x, y, validation_data, **kwargs):
            model.fit(x, y, **kwargs)
            x_val, y_val = validation_data
            return float(np.mean(np.abs(model.predict(x_val, verbose=0) - y_val)))

    reg = kt.RandomSearch(HyperRegressor(), max_trials=3, directory=tmp_path, project_name="mae",
                          seed=4)  # fmt: skip
    reg.search(x[:192], y[:192], validation_data=(x[192:], y[192:]), epochs=1, verbose=0)
    scores = [t.score for t in reg.oracle.trials.values()]
    assert reg.oracle.objective.name == "default_objective"
    assert reg.oracle.get_best_trials(1)[0].score == min(scores)

    class DictRegressor(HyperRegressor):
        def fit(self, hp, model, x, y, validation_data, **kwargs):
            mae = super().fit(hp, model, x, y, validation_data, **kwargs)
            return {"metric_a": -mae, "metric_b": mae}

    d = kt.RandomSearch(DictRegressor(), objective=kt.Objective("metric_a", "max"), max_trials=2,
                        directory=tmp_path, project_name="dict", seed=5)  # fmt: skip
    d.search(x[:192], y[:192], validation_data=(x[192:], y[192:]), epochs=1, verbose=0)
    best = d.oracle.get_best_trials(2)
    assert best[0].score >= best[1].score and best[0].metrics["metric_b"] == -best[0].score


def test_tune_anything_by_overriding_run_trial(tmp_path):
    # The guide's "tune anything": no model at all, run_trial returns the value to minimise.
    class MyTuner(kt.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):
            hp = trial.hyperparameters
            x = hp.Float("x", -1.0, 1.0)
            return x * x + 1

    tuner = MyTuner(max_trials=20, overwrite=True, directory=tmp_path, project_name="anything",
                    seed=7)  # fmt: skip
    tuner.search()
    xs = [t.hyperparameters.values["x"] for t in tuner.oracle.trials.values()]
    best_x = tuner.get_best_hyperparameters()[0].get("x")
    assert best_x == min(xs, key=abs) and abs(best_x) < 0.3
    assert len(set(xs)) == 20


def test_grid_search_order_and_conditional_scopes(tmp_path):
    hp = kt.HyperParameters()
    hp.Choice("a", [1, 2, 3])
    hp.Boolean("b")
    seen = []

    class Grid(kt.GridSearch):
        def run_trial(self, trial, *args, **kwargs):
            seen.append(dict(trial.hyperparameters.values))
            return float(trial.hyperparameters.values.get("a", 0))

    Grid(hyperparameters=hp, directory=tmp_path, project_name="g").search()
    # KerasTuner's order: defaults first, the last declared hyperparameter turns fastest.
    assert [(v["a"], v["b"]) for v in seen] == [(a, b) for a in (1, 2, 3) for b in (False, True)]

    cond = kt.HyperParameters()
    cond.Choice("model_type", ["mlp", "cnn"])
    with cond.conditional_scope("model_type", ["mlp"]):
        cond.Choice("units", [32, 64])
    with cond.conditional_scope("model_type", ["cnn"]):
        cond.Choice("filters", [8, 16])
    seen.clear()
    g = Grid(hyperparameters=cond, directory=tmp_path, project_name="c")
    g.search()
    assert seen == [{"model_type": "mlp", "units": 32}, {"model_type": "mlp", "units": 64},
                    {"model_type": "cnn", "filters": 8}, {"model_type": "cnn", "filters": 16}]  # fmt: skip
    # max_trials cuts the grid short.
    seen.clear()
    Grid(hyperparameters=hp, max_trials=2, directory=tmp_path, project_name="cut").search()
    assert len(seen) == 2


def test_hyperband_brackets_and_checkpoints(tmp_path):
    x, y = toy_data(64)
    resumed = []

    class Checked(kt.HyperModel):
        def build(self, hp):
            return toy_model(hp)

        def fit(self, hp, model, *args, **kwargs):
            parent = hp.values.get("tuner/trial_id")
            if parent is not None:  # the model must start from the parent's best epoch
                ref = toy_model(hp)
                ref.load_weights(str(tmp_path / "hb" / f"trial_{parent}" / "checkpoint.weights.h5"))
                same = all(
                    np.array_equal(a, b) for a, b in zip(ref.get_weights(), model.get_weights())
                )
                resumed.append((same, kwargs["initial_epoch"], kwargs["epochs"]))
            return model.fit(*args, **kwargs)

    tuner = kt.Hyperband(Checked(), objective="val_accuracy", max_epochs=9, factor=3, seed=2,
                         directory=tmp_path, project_name="hb")  # fmt: skip
    tuner.search(x, y, epochs=100, validation_split=0.25, verbose=0)
    trials = [tuner.oracle.trials[i] for i in tuner.oracle.start_order]
    # KerasTuner's schedule for max_epochs 9, factor 3: brackets of 9->3->1, 5->2 and 3 trials.
    plan = [(t.hyperparameters["tuner/bracket"], t.hyperparameters["tuner/round"],
             t.hyperparameters["tuner/initial_epoch"], t.hyperparameters["tuner/epochs"])
            for t in trials]  # fmt: skip
    expect = [(2, 0, 0, 1)] * 9 + [(2, 1, 1, 3)] * 3 + [(2, 2, 3, 9)] + [(1, 0, 0, 3)] * 5
    expect += [(1, 1, 3, 9)] * 2 + [(0, 0, 0, 9)] * 3
    assert plan == expect
    assert resumed and all(same for same, _, _ in resumed)
    for t in trials:  # trained from initial_epoch up to epochs
        assert t.history[0]["epoch"] == list(range(t.hyperparameters["tuner/initial_epoch"] + 1,
                                                   t.hyperparameters["tuner/epochs"] + 1))  # fmt: skip
        parent = t.hyperparameters.values.get("tuner/trial_id")
        if parent is not None:  # promoted with its parent's values, the best ones not yet promoted
            p = tuner.oracle.trials[parent]
            assert {k: v for k, v in t.hyperparameters.values.items() if not k.startswith("tuner/")} == {
                k: v for k, v in p.hyperparameters.values.items() if not k.startswith("tuner/")}  # fmt: skip


def test_gaussian_process_matches_the_closed_form():
    rng = np.random.default_rng(0)
    x, y, q = rng.random((7, 2)), rng.normal(size=7), rng.random((5, 2))
    gp = GaussianProcess(alpha=1e-4).fit(x, y)
    mu, sd = gp.predict(q)
    m, s = y.mean(), y.std()
    k_inv = np.linalg.inv(matern52(x, x) + 1e-4 * np.eye(7))
    ks = matern52(q, x)
    assert np.allclose(mu, ks @ k_inv @ (y - m) / s * s + m, atol=1e-8)
    var = 1 - np.einsum("ij,jk,ik->i", ks, k_inv, ks)
    assert np.allclose(sd, np.sqrt(np.maximum(var, 0)) * s, atol=1e-6)
    # At an observed point the GP returns the observation, with almost no uncertainty.
    mu0, sd0 = gp.predict(x[:1])
    assert mu0[0] == pytest.approx(y[0], abs=1e-2) and sd0[0] < 0.05


def test_bayesian_optimization_moves_towards_the_minimum(tmp_path):
    class Bayes(kt.BayesianOptimization):
        def run_trial(self, trial, *args, **kwargs):
            return (trial.hyperparameters.Float("x", 0.0, 1.0) - 0.3) ** 2

    tuner = Bayes(max_trials=12, num_initial_points=4, seed=11, directory=tmp_path,
                  project_name="bo")  # fmt: skip
    tuner.search()
    xs = [tuner.oracle.trials[i].hyperparameters["x"] for i in tuner.oracle.start_order]
    gap = np.abs(np.asarray(xs) - 0.3)
    assert gap[4:].mean() < gap[:4].mean() and gap.min() < 0.03
    assert tuner.oracle.num_initial_points == 4 and tuner.oracle.beta == 2.6
    assert kt.BayesianOptimization(toy_model, "val_loss", directory=tmp_path).oracle.alpha == 1e-4


def test_plot_draws_a_png(tmp_path):
    x, y = toy_data()
    tuner = kt.RandomSearch(toy_model, objective="val_accuracy", max_trials=3, seed=1,
                            directory=tmp_path, project_name="p")  # fmt: skip
    with pytest.raises(ValueError, match="no trial has completed"):
        tuner.plot(tmp_path / "none.png")
    tuner.search(x, y, epochs=2, validation_split=0.25, verbose=0)
    path = tuner.plot(tmp_path / "search.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert tf.tuner is kt  # reachable as rustgrad.tuner too


def test_plot_without_matplotlib_says_how_to_get_it(tmp_path, monkeypatch):
    import sys

    class Anything(kt.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):
            return trial.hyperparameters.Float("x", 0.0, 1.0)

    tuner = Anything(max_trials=2, directory=tmp_path, seed=0)
    tuner.search()
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    with pytest.raises(ImportError, match="pip install matplotlib"):
        tuner.plot(tmp_path / "x.png")
    with pytest.raises(ValueError, match="no hypermodel"):
        tuner.get_best_models(1)


def test_bayesian_optimization_on_a_model(tmp_path):
    x, y = toy_data()
    tuner = kt.BayesianOptimization(toy_model, objective="val_loss", max_trials=5,
                                    num_initial_points=2, seed=3, directory=tmp_path)  # fmt: skip
    tuner.search(x, y, epochs=2, validation_split=0.25, verbose=0)
    trials = [tuner.oracle.trials[i] for i in tuner.oracle.start_order]
    assert [t.status for t in trials] == ["COMPLETED"] * 5
    keys = {tuple(sorted(t.hyperparameters.values.items())) for t in trials}
    assert len(keys) == 5  # the GP never proposes values already tried
    best = tuner.get_best_models(1)[0]
    loss = best.evaluate(x[192:], y[192:], verbose=0)[0]
    assert loss == pytest.approx(tuner.oracle.get_best_trials(1)[0].score, rel=1e-5)
