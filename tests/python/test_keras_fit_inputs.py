"""fit / evaluate / predict on generators, iterators and keras.utils.PyDataset (and Sequence) give
what the same batches as arrays give; steps_per_epoch, validation_steps; *_on_batch."""

from __future__ import annotations

import numpy as np
import pytest
from rustgrad import keras


def data(n=48, seed=0):
    r = np.random.default_rng(seed)
    x = r.normal(size=(n, 3)).astype(np.float32)
    return x, x @ np.array([[1.0], [-2.0], [0.5]], np.float32)


def model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.layers.Dense(4, "relu", input_shape=(3,)), keras.layers.Dense(1)])
    m.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    return m


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, bs, **kw):
        super().__init__(**kw)
        self.x, self.y, self.bs, self.ends = x, y, bs, 0

    def __len__(self):
        return (len(self.x) + self.bs - 1) // self.bs

    def __getitem__(self, i):
        s = slice(i * self.bs, (i + 1) * self.bs)
        return self.x[s], self.y[s]

    def on_epoch_end(self):
        self.ends += 1


def same(a, b):
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-7)


def test_pydataset_and_generator_fit_equal_array_fit():
    x, y = data()
    ref = model()
    h_ref = ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    ds = Batches(x, y, 16)
    m = model()
    h = m.fit(ds, epochs=2, verbose=0)
    same(ref, m)
    np.testing.assert_allclose(h.history["loss"], h_ref.history["loss"], rtol=1e-6)
    assert ds.ends == 2 and h.params["steps"] == 3

    def gen():
        while True:
            for i in range(0, 48, 16):
                yield x[i : i + 16], y[i : i + 16]

    g = model()
    g.fit(gen(), steps_per_epoch=3, epochs=2, verbose=0)
    same(ref, g)
    seq = type(
        "Seq",
        (keras.utils.Sequence,),
        {
            "__len__": lambda s: 3,
            "__getitem__": lambda s, i: (x[i * 16 : (i + 1) * 16], y[i * 16 : (i + 1) * 16]),
        },
    )
    q = model()
    q.fit(seq(), epochs=2, verbose=0)  # fmt: skip
    same(ref, q)


def test_finite_generator_runs_out_and_warns():
    x, y = data()
    m = model()
    batches = ((x[i : i + 16], y[i : i + 16]) for i in range(0, 48, 16))
    with pytest.warns(UserWarning, match="ran out of data"):
        h = m.fit(batches, epochs=3, verbose=0)
    assert m.optimizer.iterations == 3 and len(h.epoch) == 2


def test_validation_and_evaluate_predict_on_batches():
    x, y = data()
    m = model()
    ref = m.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    got = m.evaluate(Batches(x, y, 16), verbose=0, return_dict=True)
    assert got == pytest.approx(ref, rel=1e-6)
    it = iter([(x[:16], y[:16]), (x[16:32], y[16:32]), (x[32:], y[32:])])
    assert m.evaluate(it, steps=1, verbose=0) == pytest.approx(
        m.evaluate(x[:16], y[:16], verbose=0), rel=1e-6
    )
    np.testing.assert_allclose(m.predict(Batches(x, y, 16)), m.predict(x), rtol=1e-6)
    seen = []
    count = keras.callbacks.LambdaCallback(on_test_batch_end=lambda b, logs: seen.append(b))
    h = m.fit(x, y, epochs=1, validation_data=Batches(x, y, 16), validation_steps=1,
              callbacks=[count], verbose=0)  # fmt: skip
    assert seen == [0] and np.isfinite(h.history["val_loss"][0])
    with pytest.raises(ValueError, match="`y`"):
        m.fit(Batches(x, y, 16), y, verbose=0)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        m.fit(x, y, steps_per_epoch=0, verbose=0)


def test_steps_per_epoch_on_arrays_takes_the_first_batches():
    x, y = data()
    m = model()
    m.fit(x, y, batch_size=8, epochs=2, steps_per_epoch=2, verbose=0)
    assert m.optimizer.iterations == 4


def test_pydataset_workers_warn_and_bad_values_raise():
    x, y = data()
    with pytest.warns(UserWarning, match="workers=4"):
        Batches(x, y, 16, workers=4)
    with pytest.raises(ValueError, match="workers"):
        Batches(x, y, 16, workers=0)


def test_train_test_predict_on_batch_are_this_batchs_values():
    x, y = data()
    a, b = model(), model()
    loss_before = a.test_on_batch(x[:16], y[:16])
    res = a.train_on_batch(x[:16], y[:16])
    b.fit(x[:16], y[:16], batch_size=16, epochs=1, shuffle=False, verbose=0)
    same(a, b)
    assert res[0] == pytest.approx(loss_before[0], rel=1e-5) and len(res) == 2
    d = a.test_on_batch(x[:16], y[:16], return_dict=True)
    assert d == pytest.approx(a.evaluate(x[:16], y[:16], verbose=0, return_dict=True), rel=1e-6)
    np.testing.assert_allclose(a.predict_on_batch(x), a.predict(x), rtol=1e-6)
