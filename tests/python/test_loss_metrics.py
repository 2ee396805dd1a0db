"""keras.metrics' classes over loss functions (BinaryCrossentropy, KLDivergence, Hinge, ...) and the
confusion counts (TruePositives, ...): values against real Keras with sample weights and several
batches, configs equal to Keras', and the metric list of TF's imbalanced-data tutorial in fit,
evaluate and a saved model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from keras_interop_helpers import run_keras
from rustgrad import keras

M = keras.metrics

# Each metric is updated with two batches (the second weighted), then read; both sides run these.
SPECS = [
    "M.BinaryCrossentropy()",
    "M.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)",
    "M.CategoricalCrossentropy(label_smoothing=0.2)",
    "M.CategoricalCrossentropy(from_logits=True)",
    "M.SparseCategoricalCrossentropy()",
    "M.SparseCategoricalCrossentropy(from_logits=True)",
    "M.KLDivergence()",
    "M.Poisson()",
    "M.Hinge()",
    "M.SquaredHinge()",
    "M.CategoricalHinge()",
    "M.LogCoshError()",
    "M.CosineSimilarity()",
    "M.TruePositives()",
    "M.FalsePositives(thresholds=0.3)",
    "M.TrueNegatives(thresholds=[0.2, 0.6])",
    "M.FalseNegatives()",
]

RUN = """
def run(M, specs, yt, yp, labels, bt, bp, w):
    out = []
    for spec in specs:
        m = eval(spec, {"M": M})
        sparse = "Sparse" in spec
        binary = "Binary" in spec or "Positives" in spec or "Negatives" in spec
        t, p = (bt, bp) if binary else (labels if sparse else yt, yp)
        m.update_state(t[:5], p[:5])
        m.update_state(t[5:], p[5:], sample_weight=w[5:])
        out.append([m.name, np.asarray(m.result()).tolist(), m.get_config()])
    return out
"""

KERAS_SCRIPT = (
    RUN
    + """
import json, sys
import numpy as np
import keras
a = [np.array(v, dtype=np.float32) for v in json.loads(sys.argv[2])]
print(json.dumps(run(keras.metrics, json.loads(sys.argv[1]), *a)))
"""
)


def _arrays():
    rng = np.random.default_rng(7)
    yp = rng.random((12, 4)).astype(np.float32) + 0.05
    yp /= yp.sum(1, keepdims=True)
    labels = rng.integers(0, 4, 12).astype(np.float32)
    yt = np.eye(4, dtype=np.float32)[labels.astype(int)]
    bt = rng.integers(0, 2, (12, 1)).astype(np.float32)
    bp = rng.random((12, 1)).astype(np.float32)
    w = rng.uniform(0.2, 2.0, 12).astype(np.float32)
    return yt, yp, labels, bt, bp, w


def test_values_names_and_configs_equal_keras():
    arrays = _arrays()
    want = json.loads(
        run_keras(KERAS_SCRIPT, json.dumps(SPECS), json.dumps([a.tolist() for a in arrays]))
    )
    ns: dict = {}
    exec(RUN, {"np": np}, ns)  # noqa: S102 (the test's own source, also run under real Keras)
    ours = ns["run"](M, SPECS, *arrays)
    for spec, (name, value, config), (k_name, k_value, k_config) in zip(SPECS, ours, want):
        assert name == k_name, spec
        np.testing.assert_allclose(value, k_value, rtol=1e-5, atol=1e-6, err_msg=spec)
        assert json.loads(json.dumps(config)) == k_config, spec
        rebuilt = type(eval(spec, {"M": M})).from_config(k_config)
        assert rebuilt.get_config() == config, spec


def test_unsupported_arguments_raise():
    with pytest.raises(NotImplementedError, match="axis=-1"):
        M.CategoricalCrossentropy(axis=1)
    with pytest.raises(NotImplementedError, match="ignore_class"):
        M.SparseCategoricalCrossentropy(ignore_class=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.TruePositives(thresholds=1.5)
    with pytest.raises(ValueError, match="label_smoothing"):
        M.BinaryCrossentropy(label_smoothing=2.0).update_state([[1.0]], [[0.5]])


def test_the_imbalanced_data_tutorials_metrics_in_fit_evaluate_and_files(tmp_path):
    metrics = [
        M.BinaryCrossentropy(name="cross entropy"),
        M.MeanSquaredError(name="Brier score"),
        M.TruePositives(name="tp"),
        M.FalsePositives(name="fp"),
        M.TrueNegatives(name="tn"),
        M.FalseNegatives(name="fn"),
        M.BinaryAccuracy(name="accuracy"),
        M.Precision(name="precision"),
        M.Recall(name="recall"),
        M.AUC(name="auc"),
        M.AUC(name="prc", curve="PR"),
    ]
    rng = np.random.default_rng(8)
    x = rng.standard_normal((400, 6)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 1.2).astype(np.float32)  # about 15% positive
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(keras.optimizers.Adam(1e-2), keras.losses.BinaryCrossentropy(), metrics=metrics)
    hist = model.fit(
        x,
        y,
        batch_size=64,
        epochs=3,
        validation_split=0.2,
        verbose=0,
        class_weight={0: 0.6, 1: 3.0},
    )
    assert {"cross entropy", "Brier score", "tp", "val_prc"} <= set(hist.history)
    logs = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)[:, 0]
    assert logs["tp"] == np.sum((p > 0.5) & (y == 1))
    assert logs["tp"] + logs["fp"] + logs["tn"] + logs["fn"] == len(y)
    eps = 1e-7
    q = np.clip(p, eps, 1 - eps)
    bce = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
    assert logs["cross entropy"] == pytest.approx(bce, rel=1e-4)
    assert logs["loss"] == pytest.approx(bce, rel=1e-4)  # no regularizer: the loss is the metric
    model.save(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "m.keras")
    again = back.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    assert again.keys() == logs.keys()
    for k, v in logs.items():
        assert again[k] == pytest.approx(v, rel=1e-5), k
