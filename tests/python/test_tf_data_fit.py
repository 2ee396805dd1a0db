"""fit / evaluate / predict on a tf.data.Dataset: the same weights, losses and outputs as on the
arrays it holds (batch for batch), on Sequential, functional and subclassed (eager) models; Keras'
argument errors; steps_per_epoch, validation datasets, unknown cardinality."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras

Dataset = tf.data.Dataset
layers = keras.layers
rng = np.random.default_rng(3)
X = rng.normal(size=(90, 5)).astype(np.float32)
Y = rng.integers(0, 3, 90)
W = rng.uniform(0.2, 2.0, 90).astype(np.float32)


def sequential():
    return keras.Sequential(
        [keras.Input((5,)), layers.Dense(7, activation="relu"), layers.Dense(3)]
    )


def functional():
    inputs = keras.Input((5,))
    return keras.Model(inputs, layers.Dense(3)(layers.Dense(7, activation="relu")(inputs)))


class Sub(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(7, activation="relu")
        self.out = layers.Dense(3)

    def call(self, inputs, training=None):
        return self.out(self.hidden(inputs))


def pair(make=sequential, optimizer="sgd"):
    """Two compiled models with the same starting weights."""
    a, b = make(), make()
    for m in (a, b):
        m(np.zeros((1, 5), np.float32))
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        m.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    b.set_weights(a.get_weights())
    return a, b


def same_weights(a, b):
    for p, q in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(p, q)


class BatchCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


# ---- same result as arrays -------------------------------------------------------------------------
@pytest.mark.parametrize("make", [sequential, functional, Sub])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_fit_dataset_equals_fit_arrays(make, optimizer):
    a, b = pair(make, optimizer)
    ha = a.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    ds = Dataset.from_tensor_slices((X, Y)).batch(16).prefetch(tf.data.AUTOTUNE)
    hb = b.fit(ds, epochs=2, verbose=0)
    same_weights(a, b)
    np.testing.assert_allclose(hb.history["loss"], ha.history["loss"], rtol=1e-6)
    assert hb.history["accuracy"] == ha.history["accuracy"]


@pytest.mark.parametrize("make", [sequential, Sub])
def test_per_batch_dataset_path_equals_arrays(make):
    # map() leaves the index plan, so these batches go one by one through train_batch.
    a, b = pair(make)
    a.fit(X, Y, batch_size=20, epochs=2, shuffle=False, verbose=0)
    counter = BatchCounter()
    ds = Dataset.from_tensor_slices((X, Y)).map(lambda x, y: (x, y)).batch(20)
    h = b.fit(ds, epochs=2, verbose=0, callbacks=[counter])
    same_weights(a, b)
    assert counter.batches == 2 * 5 and h.params["steps"] == 5


def test_fit_follows_the_datasets_shuffle_each_epoch():
    a, b = pair()
    orders = Dataset.range(90).shuffle(90, seed=9)
    for _ in range(3):
        order = np.array([int(i) for i in orders.as_numpy_iterator()])
        a.fit(X[order], Y[order], batch_size=32, epochs=1, shuffle=False, verbose=0)
    ds = Dataset.from_tensor_slices((X, Y)).shuffle(90, seed=9).batch(32)
    b.fit(ds, epochs=3, verbose=0)
    same_weights(a, b)


def test_drop_remainder_and_take_on_the_fast_path():
    a, b = pair()
    a.fit(X[:64], Y[:64], batch_size=16, epochs=1, shuffle=False, verbose=0)
    h = b.fit(Dataset.from_tensor_slices((X, Y)).take(70).batch(16, drop_remainder=True), verbose=0)
    same_weights(a, b)
    assert h.params["steps"] == 4 and b.optimizer.iterations == 4


def test_sample_weight_elements_equal_sample_weight_argument():
    a, b = pair()
    a.fit(X, Y, sample_weight=W, batch_size=16, shuffle=False, verbose=0)
    b.fit(Dataset.from_tensor_slices((X, Y, W)).batch(16), verbose=0)
    same_weights(a, b)
    c, d = pair()
    c.fit(X, Y, sample_weight=W, batch_size=16, shuffle=False, verbose=0)
    d.fit(Dataset.from_tensor_slices((X, Y, W)).map(lambda *e: e).batch(16), verbose=0)
    same_weights(c, d)


def test_class_weight_with_a_dataset():
    cw = {0: 1.0, 1: 3.0, 2: 0.5}
    a, b = pair()
    a.fit(X, Y, class_weight=cw, batch_size=16, shuffle=False, verbose=0)
    b.fit(
        Dataset.from_tensor_slices((X, Y)).map(lambda *e: e).batch(16), class_weight=cw, verbose=0
    )
    same_weights(a, b)


@pytest.mark.parametrize("make", [sequential, Sub])
def test_evaluate_and_predict_equal_arrays(make):
    m, _ = pair(make)
    ds = Dataset.from_tensor_slices((X, Y)).batch(32)
    want = m.evaluate(X, Y, batch_size=32, verbose=0)
    np.testing.assert_allclose(m.evaluate(ds, verbose=0), want, rtol=1e-6)
    d = m.evaluate(ds.map(lambda x, y: (x, y)), verbose=0, return_dict=True)
    np.testing.assert_allclose(list(d.values()), want, rtol=1e-6)
    p = m.predict(X, batch_size=32)
    np.testing.assert_array_equal(m.predict(ds), p)
    np.testing.assert_array_equal(m.predict(Dataset.from_tensor_slices(X).batch(7)), p)
    np.testing.assert_array_equal(m.predict(Dataset.from_tensor_slices((X,)).batch(7)), p)
    assert m.predict(ds, steps=2).shape == (64, 3)


def test_validation_data_as_a_dataset():
    a, b = pair()
    val = (X[:30], Y[:30])
    ha = a.fit(X, Y, batch_size=16, epochs=2, shuffle=False, validation_data=val, verbose=0)
    vds = Dataset.from_tensor_slices(val).batch(16)
    hb = b.fit(
        Dataset.from_tensor_slices((X, Y)).batch(16), epochs=2, validation_data=vds, verbose=0
    )
    for k in ("val_loss", "val_accuracy"):
        np.testing.assert_allclose(hb.history[k], ha.history[k], rtol=1e-6)
    # Arrays to train on, a dataset to validate on.
    c, d = pair()
    hc = c.fit(X, Y, batch_size=16, shuffle=False, validation_data=vds, verbose=0)
    hd = d.fit(X, Y, batch_size=16, shuffle=False, validation_data=val, verbose=0)
    np.testing.assert_allclose(hc.history["val_loss"], hd.history["val_loss"], rtol=1e-6)


def test_multi_input_dict_elements():
    a_in, b_in = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    out = layers.Dense(1)(layers.Concatenate()([a_in, b_in]))
    m = keras.Model([a_in, b_in], out)
    m.compile("sgd", "mse")
    xa, xb, y = X[:, :3], X[:, 3:], X[:, :1] * 2
    w0 = m.get_weights()
    m.fit({"a": xa, "b": xb}, y, batch_size=10, shuffle=False, verbose=0)
    want = m.get_weights()
    m.set_weights(w0)
    m.fit(Dataset.from_tensor_slices(({"a": xa, "b": xb}, y)).batch(10), verbose=0)
    for p, q in zip(m.get_weights(), want):
        np.testing.assert_array_equal(p, q)


# ---- steps and cardinality -------------------------------------------------------------------------
def test_steps_per_epoch_with_a_repeated_dataset():
    m, _ = pair()
    ds = Dataset.from_tensor_slices((X, Y)).shuffle(90, seed=1).batch(16).repeat()
    h = m.fit(ds, epochs=3, steps_per_epoch=4, verbose=0)
    assert m.optimizer.iterations == 12 and h.params["steps"] == 4 and len(h.epoch) == 3


def test_steps_per_epoch_running_out_warns_and_stops():
    m, _ = pair()
    ds = Dataset.from_tensor_slices((X, Y)).batch(30)  # 3 batches
    with pytest.warns(UserWarning, match="ran out of data"):
        h = m.fit(ds, epochs=5, steps_per_epoch=2, verbose=0)
    assert m.optimizer.iterations == 3 and len(h.epoch) == 2


def test_unknown_cardinality_trains_and_counts_steps():
    m, _ = pair()
    ds = Dataset.from_tensor_slices((X, Y)).filter(lambda x, y: y < 3).batch(30)
    h = m.fit(ds, epochs=2, verbose=0)
    assert m.optimizer.iterations == 6 and h.params["steps"] == 3


def test_custom_train_step_gets_dataset_batches():
    seen = []

    class Custom(Sub):
        def train_step(self, data):
            seen.append(data[0].shape)
            return super().train_step(data)

    m = Custom()
    m(np.zeros((1, 5), np.float32))
    m.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    m.fit(Dataset.from_tensor_slices((X, Y)).batch(40), verbose=0)
    m.fit(Dataset.from_tensor_slices((X, Y)).map(lambda *e: e).batch(40), verbose=0)
    assert seen == [(40, 5), (40, 5), (10, 5)] * 2


def test_tape_loop_over_a_dataset_as_the_tf_quickstart():
    # The "TensorFlow 2 quickstart for experts" loop, with only the import changed.
    model, ref = pair(optimizer="sgd")
    loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.SGD(learning_rate=0.01)
    train_ds = Dataset.from_tensor_slices((X, Y)).batch(30)
    for images, labels in train_ds:
        with tf.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = loss_object(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    ref.fit(X, Y, batch_size=30, shuffle=False, verbose=0)
    for p, q in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)


# ---- errors ------------------------------------------------------------------------------------------
def test_keras_argument_errors():
    m, _ = pair()
    ds = Dataset.from_tensor_slices((X, Y)).batch(16)
    with pytest.raises(ValueError, match="batch_size"):
        m.fit(ds, batch_size=16, verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        m.evaluate(ds, batch_size=16, verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        m.predict(ds, batch_size=16)
    with pytest.raises(ValueError, match="`y`"):
        m.fit(ds, Y, verbose=0)
    with pytest.raises(ValueError, match="sample_weight"):
        m.fit(ds, sample_weight=W, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        m.fit(ds, validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="steps_per_epoch"):  # arrays take it too, as Keras 3
        m.fit(X, Y, steps_per_epoch=0, verbose=0)


def test_infinite_dataset_without_steps_is_refused():
    m, _ = pair()
    ds = Dataset.from_tensor_slices((X, Y)).batch(16).repeat()
    with pytest.raises(ValueError, match="steps_per_epoch"):
        m.fit(ds, verbose=0)
    with pytest.raises(ValueError, match="steps"):
        m.evaluate(ds, verbose=0)
    with pytest.raises(ValueError, match="validation_steps"):
        m.fit(Dataset.from_tensor_slices((X, Y)).batch(16), validation_data=ds, verbose=0)
    assert len(m.evaluate(ds, steps=2, verbose=0)) == 2


def test_elements_that_do_not_match_the_model():
    m, _ = pair()
    with pytest.raises(ValueError, match="incompatible"):
        m.fit(Dataset.from_tensor_slices((X[:, :4], Y)).batch(16), verbose=0)
    with pytest.raises(ValueError, match="no targets"):
        m.fit(Dataset.from_tensor_slices(X).batch(16), verbose=0)
    with pytest.raises(ValueError, match="tuple of 4"):
        m.fit(Dataset.from_tensor_slices((X, Y, W, W)).batch(16), verbose=0)
    with pytest.raises(ValueError, match="integer class"):
        m.fit(Dataset.from_tensor_slices((X, Y + 5)).map(lambda *e: e).batch(16), verbose=0)
    with pytest.raises(ValueError):  # unbatched elements: one sample is not a batch
        m.fit(Dataset.from_tensor_slices((X, Y)), verbose=0)
