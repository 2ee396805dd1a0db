"""Keras metrics in a custom loop: update_state on Tensors and arrays, 0-d Tensor results, reset."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from keras_refs import keras_metric_stats
from rustgrad import keras

rng = np.random.default_rng(2024)


def test_mean_with_sample_weights_over_batches_equals_numpy():
    m = keras.metrics.Mean()
    total = count = 0.0
    shapes = [((6,), (6,)), ((4, 3), (4,)), ((5, 2), (5, 1)), ((3,), None), ((2, 4), None)]
    for vs, ws in shapes:
        v = rng.normal(size=vs)
        w = None if ws is None else rng.uniform(0, 2, ws)
        t, c = keras_metric_stats(v, w)
        total, count = total + t, count + c
        m.update_state(v.astype(np.float32), None if w is None else w.astype(np.float32))
        np.testing.assert_allclose(float(m.result()), total / count, rtol=1e-5)
    # Keras' documented example: [1, 3, 5, 7] weighted [1, 1, 0, 0] -> 2.
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 2.0
    m.reset_states()  # tf.keras 2's name
    assert float(m.result()) == 0.0
    # A scalar (a batch's loss) weighted by its rows, as the loss tracker is fed.
    m.update_state(rg.tensor(2.0), sample_weight=3)
    m.update_state(rg.tensor(4.0), sample_weight=1)
    assert float(m.result()) == pytest.approx(2.5)


def test_sparse_categorical_accuracy_over_batches_equals_numpy():
    m = keras.metrics.SparseCategoricalAccuracy()
    hits = seen = 0
    for n in (7, 5, 9):
        labels = rng.integers(0, 4, n)
        logits = rng.normal(size=(n, 4))
        hits += int(np.sum(logits.argmax(1) == labels))
        seen += n
        m.update_state(labels, rg.tensor(logits.astype(np.float32)))
        np.testing.assert_allclose(float(m.result()), hits / seen, rtol=1e-6)
    m.reset_state()
    assert float(m.result()) == 0.0
    m.update_state([[1], [2]], [[0.1, 0.8, 0.1], [0.9, 0.05, 0.05]])
    assert float(m.result()) == 0.5


def test_result_is_a_0d_tensor_that_converts_like_keras():
    m = keras.metrics.Mean()
    m.update_state([0.25, 0.5])
    r = m.result()
    assert isinstance(r, rg.Tensor) and r.shape == () and not r.requires_grad
    assert float(r) == 0.375 and r.numpy() == np.float32(0.375) and r.item() == 0.375
    assert f"{m.result():.4f}" == "0.3750" and f"{r}" == "0.375"
    assert isinstance(m([1.0]), rg.Tensor)  # __call__ updates and returns the result


def test_update_state_reads_tensors_that_require_grad_without_a_graph():
    w = rg.tensor(rng.normal(size=(3, 4)).astype(np.float32), requires_grad=True)
    x = rg.tensor(rng.normal(size=(6, 3)).astype(np.float32))
    labels = rng.integers(0, 4, 6)
    acc, tracker = keras.metrics.SparseCategoricalAccuracy(), keras.metrics.Mean()
    mse = keras.metrics.MeanSquaredError()
    with rg.GradientTape() as tape:
        logits = x @ w
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
        acc.update_state(labels, logits)
        tracker.update_state(loss)
        mse.update_state(logits, logits * 2.0, sample_weight=rg.tensor(np.ones(6, np.float32)))
    (g,) = tape.gradient(loss, [w])
    assert g is not None and np.all(np.isfinite(np.asarray(g)))
    z = x.numpy() @ w.numpy()
    np.testing.assert_allclose(float(acc.result()), np.mean(z.argmax(1) == labels))
    np.testing.assert_allclose(float(tracker.result()), float(loss))
    np.testing.assert_allclose(float(mse.result()), np.mean(z**2), rtol=1e-5)
    for m in (acc, tracker, mse):
        assert not m.result().requires_grad


class LoopModel(keras.Model):
    """A train_step in the tutorial's style: its own loss object, metrics and result() logs."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(3)
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.tracker = keras.metrics.Mean(name="loss")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")

    def call(self, x):
        return self.dense(x)

    @property
    def metrics(self):
        return [self.tracker, self.acc]

    def train_step(self, data):
        x, y = data
        with rg.GradientTape() as tape:
            logits = self(x, training=True)
            loss = self.loss_fn(y, logits)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.tracker.update_state(loss)
        self.acc.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}


def test_a_custom_train_step_returning_results_logs_python_floats():
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = rng.integers(0, 3, 32).astype(np.float32)
    model = LoopModel()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "acc"}
    for values in history.history.values():
        assert all(type(v) is float for v in values)
    assert 0.0 <= history.history["acc"][-1] <= 1.0


def test_compiled_metrics_in_the_builtin_steps_log_python_floats():
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.integers(0, 3, 16).astype(np.float32)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(3)

        def call(self, x):
            return self.dense(x) * 1.0  # Python code in call: the eager engine

    model = Sub()
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(True), metrics=["accuracy"])
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    for v in [*history.history.values(), *logs.values()]:
        assert type(v if not isinstance(v, list) else v[0]) is float
    for m in model.metrics:
        assert isinstance(m.result(), rg.Tensor)
