"""Keras' stateful and top-k metrics over several batches against NumPy references and Keras'
documented values, by string name in compile, reset_state, a custom Metric in fit, bad arguments."""

import numpy as np
import pytest
import rustgrad as tf

keras = tf.keras
M = keras.metrics


def _batches(seed=0, n=3):
    rng = np.random.default_rng(seed)
    return [
        (
            (rng.uniform(size=(8, 1)) > 0.5).astype(np.float32),
            rng.uniform(size=(8, 1)).astype(np.float32),
        )
        for _ in range(n)
    ]


def _counts(y, p, t):
    pos, lab = p > t, y != 0
    return (pos & lab).sum(), (pos & ~lab).sum(), (~pos & ~lab).sum(), (~pos & lab).sum()


def test_precision_recall_with_thresholds_over_batches():
    data = _batches()
    y, p = (np.concatenate(v) for v in zip(*data))
    m = M.Precision(thresholds=[0.3, 0.7])
    r = M.Recall(thresholds=0.6)
    for yb, pb in data:
        m.update_state(yb, pb)
        r.update_state(yb, pb)
    cs = [_counts(y, p, t) for t in (0.3, 0.7)]
    ref = [c[0] / (c[0] + c[1]) for c in cs]
    np.testing.assert_allclose(m.result().numpy(), ref, rtol=1e-6)
    tp, _, _, fn = _counts(y, p, 0.6)
    assert abs(float(r.result()) - tp / (tp + fn)) < 1e-6
    m.reset_state()
    assert np.all(m.result().numpy() == 0)


def test_precision_top_k_and_class_id_as_keras_documents():
    m = M.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert float(m.result()) == 0.0
    m = M.Recall(class_id=2)
    m.update_state([[0, 1, 1]], [[0.2, 0.6, 0.7]])
    assert float(m.result()) == 1.0


def _auc_ref(y, p, n=200, curve="ROC"):
    th = np.array([-1e-7, *[(i + 1) / (n - 1) for i in range(n - 2)], 1 + 1e-7])
    tp, fp, tn, fn = np.array([_counts(y, p, t) for t in th], dtype=np.float64).T
    div = lambda a, b: np.divide(a, b, out=np.zeros_like(a), where=b != 0)
    rec = div(tp, tp + fn)
    x, yy = (div(fp, fp + tn), rec) if curve == "ROC" else (rec, div(tp, tp + fp))
    return np.sum((x[:-1] - x[1:]) * (yy[:-1] + yy[1:]) / 2)


def test_auc_roc_and_pr_against_numpy_trapezoids():
    data = _batches(1, 4)
    y, p = (np.concatenate(v) for v in zip(*data))
    roc, pr = M.AUC(), M.AUC(curve="PR", summation_method="minoring")
    for yb, pb in data:
        roc.update_state(yb, pb)
        pr.update_state(yb, pb)
    assert abs(float(roc.result()) - _auc_ref(y, p)) < 1e-6
    m = M.AUC(num_thresholds=3)  # Keras' docstring example
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert abs(float(m.result()) - 0.75) < 1e-6
    interp = M.AUC(curve="PR")
    interp.update_state(y, p)
    assert 0.0 < float(interp.result()) <= 1.0 and 0.0 < float(pr.result()) <= 1.0


def test_f1_score_averages_as_keras_documents():
    y = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.float32)
    p = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32)
    m = M.F1Score(threshold=0.5)
    m.update_state(y, p)
    np.testing.assert_allclose(m.result().numpy(), [0.5, 0.8, 0.6666667], atol=1e-5)
    for avg in ("micro", "macro", "weighted"):
        a = M.F1Score(average=avg, threshold=0.5)
        a.update_state(y[:2], p[:2])
        a.update_state(y[2:], p[2:])
        assert 0.0 < float(a.result()) < 1.0
    macro = M.F1Score(average="macro", threshold=0.5)
    macro.update_state(y, p)
    assert abs(float(macro.result()) - np.mean([0.5, 0.8, 2 / 3])) < 1e-5


def test_top_k_rmse_and_sum():
    t = M.TopKCategoricalAccuracy(k=1)
    t.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    assert float(t.result()) == 0.5
    s = M.SparseTopKCategoricalAccuracy(k=1)
    s.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    assert float(s.result()) == 0.5
    r = M.RootMeanSquaredError()
    r.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    assert abs(float(r.result()) - 0.5) < 1e-6
    total = M.Sum()
    total.update_state([1, 3, 5, 7])
    assert float(total.result()) == 16.0


class Positives(M.Metric):
    def __init__(self, name="positives", **kw):
        super().__init__(name=name, **kw)
        self.n = self.add_weight(name="n", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.n.assign_add(float((np.asarray(y_pred.numpy()) > 0.5).sum()))

    def result(self):
        return self.n


def test_metrics_by_string_and_custom_metric_in_fit_and_evaluate():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = np.eye(3)[np.argmax(x, 1)].astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, activation="softmax")])
    names = ["top_k_categorical_accuracy", "precision", "recall", "auc"]
    f1 = M.F1Score(average="macro")
    model.compile("adam", "categorical_crossentropy", [*names, f1, Positives()])
    h = model.fit(x, y, epochs=2, batch_size=10, verbose=0).history
    assert set(names) | {"loss", "positives", "f1_score"} == set(h)
    assert h["top_k_categorical_accuracy"][-1] == 1.0  # k=5 ≥ 3 classes
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    pred = model.predict(x, verbose=0)
    assert logs["positives"] == float((pred > 0.5).sum())
    ref = M.Precision()
    ref.update_state(y, pred)
    assert abs(logs["precision"] - float(ref.result())) < 1e-5


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="Precision.*threshold"):
        M.Precision(thresholds=1.5)
    with pytest.raises(ValueError, match="Recall.*top_k"):
        M.Recall(top_k=0)
    with pytest.raises(ValueError, match="AUC.*num_thresholds"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="AUC.*curve"):
        M.AUC(curve="XY")
    with pytest.raises(ValueError, match="F1Score.*average"):
        M.F1Score(average="mean")
    with pytest.raises(ValueError, match="TopKCategoricalAccuracy.*k"):
        M.TopKCategoricalAccuracy(k=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.AUC().update_state([1.0], [2.0])
