"""An optimizer's whole state (step count and slots) read and restored: fit's engine, the eager
engine of a subclassed model, apply_gradients; BackupAndRestore resumes Adam, RMSprop with momentum
and use_ema bit for bit; a state that does not fit is refused before anything changes."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from rustgrad import keras
from rustgrad.keras import callbacks


def data(n=48, seed=0):
    r = np.random.default_rng(seed)
    x = r.normal(size=(n, 3)).astype(np.float32)
    return x, np.tanh(x @ np.array([[1.0], [-2.0], [0.5]], np.float32))


OPTIMIZERS = {
    "adam": lambda: keras.optimizers.Adam(0.01, amsgrad=True),
    "rmsprop": lambda: keras.optimizers.RMSprop(0.01, momentum=0.9, centered=True),
    "sgd_nesterov": lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "adam_ema": lambda: keras.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9),
    "nadam": lambda: keras.optimizers.Nadam(0.01),
    "ftrl": lambda: keras.optimizers.Ftrl(0.05),
}


def model(opt, subclassed=False):
    keras.utils.set_random_seed(0)
    if subclassed:

        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.a = keras.layers.Dense(4, activation="tanh")
                self.b = keras.layers.Dense(1)

            def call(self, x):
                return self.b(self.a(x))

        m = Net()
    else:
        m = keras.Sequential(
            [keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)]
        )
    m.compile(opt, "mse")
    return m


class Crash(callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise RuntimeError("interrupted")


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("subclassed", [False, True])
def test_backup_and_restore_resumes_every_slot(tmp_path, name, subclassed):
    x, y = data()
    np.random.seed(3)
    ref = model(OPTIMIZERS[name](), subclassed)
    ref.fit(x, y, batch_size=8, epochs=4, verbose=0)
    np.random.seed(3)
    m = model(OPTIMIZERS[name](), subclassed)
    backup = callbacks.BackupAndRestore(tmp_path / "b")
    with pytest.raises(RuntimeError, match="interrupted"):
        m.fit(x, y, batch_size=8, epochs=4, callbacks=[backup, Crash()], verbose=0)
    files = sorted(p.name for p in (tmp_path / "b").iterdir())
    # One backup: the weights and optimizer state of epoch 2 (epoch 1's were removed).
    assert files == ["state_epoch2.npz", "training_metadata.json", "weights_epoch2.npz"]
    m2 = model(OPTIMIZERS[name](), subclassed)  # as a new process would rebuild it
    h = m2.fit(x, y, batch_size=8, epochs=4, callbacks=[backup], verbose=0)
    assert h.epoch == [2, 3]
    assert m2.optimizer.iterations == ref.optimizer.iterations == 24
    for a, b in zip(ref.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_resume_without_the_slots_would_differ(tmp_path):
    """The test above can fail: restarting Adam's moments from zero changes the weights."""
    x, y = data()
    np.random.seed(3)
    ref = model(OPTIMIZERS["adam"]())
    ref.fit(x, y, batch_size=8, epochs=4, verbose=0)
    np.random.seed(3)
    m = model(OPTIMIZERS["adam"]())
    m.fit(x, y, batch_size=8, epochs=2, verbose=0)
    state = m._engine().optimizer_state()
    m._engine().set_optimizer_state({"iterations": state["iterations"], "slots": {}})
    m.fit(x, y, batch_size=8, epochs=4, initial_epoch=2, verbose=0)
    assert not all(np.array_equal(a, b) for a, b in zip(ref.get_weights(), m.get_weights()))


def test_engine_state_names_and_values_follow_keras():
    x, y = data(16)
    m = model(keras.optimizers.SGD(0.1, momentum=0.5))
    engine = m._engine()
    before = engine.optimizer_state()
    assert before["iterations"] == 0 and before["slots"] == {"momentum": []}
    w0 = [w.copy() for w in m.get_weights()]
    m.train_on_batch(x, y)
    s = engine.optimizer_state()
    assert s["iterations"] == 1 and len(s["slots"]["momentum"]) == 4
    # After one step SGD's velocity is -lr * g, and w1 = w0 + velocity.
    for v, a, b in zip(s["slots"]["momentum"], w0, m.get_weights()):
        np.testing.assert_allclose(v.reshape(a.shape), b - a, rtol=1e-6, atol=1e-7)
    names = model(keras.optimizers.Adam(amsgrad=True))._engine().optimizer_state()["slots"]
    assert list(names) == ["momentum", "velocity", "velocity_hat"]
    ema = model(keras.optimizers.SGD(use_ema=True))._engine().optimizer_state()["slots"]
    assert list(ema)[-1] == "average"


def test_a_state_that_does_not_fit_is_refused_and_changes_nothing():
    x, y = data(16)
    m = model(keras.optimizers.Adam(0.01))
    m.train_on_batch(x, y)
    engine = m._engine()
    good = engine.optimizer_state()
    wrong_size = {"iterations": 5, "slots": {"momentum": [np.zeros(7, np.float32)]}}
    with pytest.raises(ValueError, match="parameter 0 has 7 values"):
        engine.set_optimizer_state(wrong_size)
    with pytest.raises(ValueError, match='no slot "accumulator"; its slots are'):
        engine.set_optimizer_state({"iterations": 1, "slots": {"accumulator": []}})
    with pytest.raises(ValueError, match="'iterations'"):
        engine.set_optimizer_state({"slots": {}})
    with pytest.raises(ValueError, match="'slots' must be a dict"):
        engine.set_optimizer_state({"iterations": 1, "slots": [1]})
    after = engine.optimizer_state()
    assert after["iterations"] == good["iterations"] == 1
    for a, b in zip(after["slots"]["velocity"], good["slots"]["velocity"]):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="compiled"):
        keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])._engine().optimizer_state()


def test_apply_gradients_state_round_trips_through_a_new_optimizer():
    """A custom loop saved mid-way and resumed in a fresh optimizer takes the same steps."""
    r = np.random.default_rng(1)
    w_ref = rg.tensor(r.normal(size=(3,)).astype(np.float32), requires_grad=True)
    w = rg.tensor(w_ref.numpy().copy(), requires_grad=True)

    def step(opt, v):
        with rg.GradientTape() as tape:
            loss = rg.reduce_sum((v - 1.0) * (v - 1.0) * (v + 2.0))
        opt.apply_gradients(zip(tape.gradient(loss, [v]), [v]))

    ref = keras.optimizers.Adam(0.1)
    for _ in range(6):
        step(ref, w_ref)
    first = keras.optimizers.Adam(0.1)
    for _ in range(3):
        step(first, w)
    saved, iterations = first._loop_state(), first.iterations
    second = keras.optimizers.Adam(0.1)
    second._set_loop_state(saved)
    second.iterations = iterations
    for _ in range(3):
        step(second, w)
    np.testing.assert_array_equal(w.numpy(), w_ref.numpy())
    assert second._core.iterations == 6


def test_backup_and_restore_resumes_dropout_and_noise_streams(tmp_path):
    """The masks a resumed fit draws are those the uninterrupted fit drew: the layers' random
    streams are in the backup, so the weights end bit-identical."""

    def dropout_model():
        keras.utils.set_random_seed(0)
        m = keras.Sequential(
            [
                keras.Input((3,)),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dropout(0.5),
                keras.layers.GaussianNoise(0.3),
                keras.layers.Dense(1),
            ]
        )
        m.compile(keras.optimizers.Adam(0.01), "mse")
        return m

    x, y = data()
    np.random.seed(5)
    ref = dropout_model()
    ref.fit(x, y, batch_size=8, epochs=4, verbose=0)
    np.random.seed(5)
    m = dropout_model()
    backup = callbacks.BackupAndRestore(tmp_path / "b")
    with pytest.raises(RuntimeError, match="interrupted"):
        m.fit(x, y, batch_size=8, epochs=4, callbacks=[backup, Crash()], verbose=0)
    m2 = dropout_model()
    m2.fit(x, y, batch_size=8, epochs=4, callbacks=[backup], verbose=0)
    for a, b in zip(ref.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_random_state_round_trips_and_is_refused_where_there_is_none():
    drop = keras.layers.Dropout(0.5, seed=3)
    drop.build((None, 4))
    state = drop.core.random_state()
    assert len(state) == 4
    x = np.ones((2, 4), np.float32)
    first = drop(x, training=True).numpy()
    drop.core.set_random_state(state)
    np.testing.assert_array_equal(drop(x, training=True).numpy(), first)
    dense = keras.layers.Dense(2)
    dense.build((None, 4))
    assert dense.core.random_state() is None
    with pytest.raises(ValueError, match="no random state"):
        dense.core.set_random_state(state)
    with pytest.raises(ValueError, match="all zeros"):
        drop.core.set_random_state([0, 0, 0, 0])


@pytest.mark.parametrize(
    "make",
    [
        lambda: keras.layers.RandomFlip(seed=1),
        lambda: keras.layers.RandomCrop(4, 4, seed=1),
        lambda: keras.layers.RandomRotation(0.2, seed=1),
        lambda: keras.layers.RandomContrast(0.5, seed=1),
        lambda: keras.layers.GaussianDropout(0.3, seed=1),
    ],
)
def test_every_random_layer_has_a_resumable_stream(make):
    layer = make()
    layer.build((None, 6, 6, 2))
    state = layer.core.random_state()
    x = np.random.default_rng(0).uniform(size=(3, 6, 6, 2)).astype(np.float32) * 255
    first = layer(x, training=True).numpy()
    layer.core.set_random_state(state)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), first)
