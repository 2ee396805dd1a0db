"""Callback hooks in Keras' order with Keras' logs (fit with validation, evaluate, predict), and the
callbacks that act on them: ModelCheckpoint, BackupAndRestore, TerminateOnNaN, CSVLogger,
LambdaCallback, ProgbarLogger."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from rustgrad import keras
from rustgrad.keras import callbacks


def data(n=40, seed=0):
    r = np.random.default_rng(seed)
    x = r.normal(size=(n, 3)).astype(np.float32)
    return x, x @ np.array([[1.0], [-2.0], [0.5]], np.float32)


def model(optimizer=None):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    m.compile(optimizer or keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    return m


class Recorder(callbacks.Callback):
    """Records every hook (via __getattribute__); the stub makes fit see batch hooks."""

    def on_train_batch_end(self, batch, logs=None): ...

    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        if name.startswith("on_") and name not in ("on_batch_begin", "on_batch_end"):
            calls = object.__getattribute__(self, "calls")

            def record(*args):
                logs = args[-1]
                assert isinstance(logs, dict), (name, logs)
                calls.append((name, *args[:-1], tuple(sorted(logs))))

            return record
        return object.__getattribute__(self, name)


def test_fit_with_validation_calls_hooks_in_keras_order_with_dict_logs():
    x, y = data()
    rec = Recorder()
    model().fit(x, y, batch_size=20, epochs=2, validation_data=(x[:10], y[:10]),
                validation_batch_size=5, callbacks=[rec], verbose=0)  # fmt: skip
    train, val = ("loss", "mae"), ("loss", "mae", "val_loss", "val_mae")
    expected = [("on_train_begin", ())]
    for epoch in range(2):
        expected.append(("on_epoch_begin", epoch, ()))
        for b in range(2):
            expected += [("on_train_batch_begin", b, ()), ("on_train_batch_end", b, train)]
        expected.append(("on_test_begin", ()))
        for b in range(2):
            expected += [("on_test_batch_begin", b, ()), ("on_test_batch_end", b, train)]
        expected += [("on_test_end", train), ("on_epoch_end", epoch, val)]
    expected.append(("on_train_end", val))
    assert rec.calls == expected


def test_evaluate_and_predict_hooks():
    x, y = data(30)
    m, rec = model(), Recorder()
    m.evaluate(x, y, batch_size=20, callbacks=[rec], verbose=0)
    assert rec.calls == [
        ("on_test_begin", ()),
        ("on_test_batch_begin", 0, ()),
        ("on_test_batch_end", 0, ("loss", "mae")),
        ("on_test_batch_begin", 1, ()),
        ("on_test_batch_end", 1, ("loss", "mae")),
        ("on_test_end", ("loss", "mae")),
    ]
    rec.calls.clear()
    outs = []
    lam = callbacks.LambdaCallback(
        on_predict_batch_end=lambda b, logs: outs.append(logs["outputs"])
    )
    pred = m.predict(x, batch_size=20, callbacks=[rec, lam])
    assert [c[0] for c in rec.calls] == [
        "on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end",
        "on_predict_batch_begin", "on_predict_batch_end", "on_predict_end",
    ]  # fmt: skip
    np.testing.assert_array_equal(np.concatenate(outs), pred)


def test_on_batch_alias_and_stop_training_from_a_batch():
    x, y = data()
    seen = []

    class Old(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)
            if batch == 2:
                self.model.stop_training = True

    h = model().fit(x, y, batch_size=4, epochs=3, callbacks=[Old()], verbose=0)
    assert seen == [0, 1, 2] and h.epoch == [0]


def test_validation_freq_int_and_list():
    x, y = data()
    h = model().fit(x, y, epochs=4, validation_data=(x, y), validation_freq=2, verbose=0)
    assert len(h.history["loss"]) == 4 and len(h.history["val_loss"]) == 2
    rec = Recorder()
    model().fit(x, y, epochs=3, validation_split=0.25, validation_freq=[1, 3], callbacks=[rec],
                verbose=0)  # fmt: skip
    ends = [c for c in rec.calls if c[0] == "on_epoch_end"]
    assert ["val_loss" in c[-1] for c in ends] == [True, False, True]
    with pytest.raises(ValueError, match="validation_freq"):
        model().fit(x, y, validation_data=(x, y), validation_freq=0, verbose=0)


def test_model_checkpoint_templates_best_only_and_verbose_line(tmp_path, capsys):
    x, y = data()
    path = str(tmp_path / "w-{epoch:02d}-{val_loss:.2f}.npz")
    values = iter([3.0, 2.0, 2.5, 1.0])

    class Script(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = next(values)

    ck = callbacks.ModelCheckpoint(path, save_best_only=True, verbose=1)
    model().fit(x, y, epochs=4, callbacks=[Script(), ck], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "w-01-3.00.npz", "w-02-2.00.npz", "w-04-1.00.npz",
    ]  # fmt: skip
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from inf to 3.00000, saving model to " in out
    assert "Epoch 3: val_loss did not improve from 2.00000" in out
    m = model()
    ck = callbacks.ModelCheckpoint(str(tmp_path / "b{batch}.npz"), monitor="loss", save_freq=3)
    m.fit(x, y, batch_size=10, epochs=2, callbacks=[ck], verbose=0)  # 8 batches: saves at 3, 6
    assert (tmp_path / "b3.npz").exists() and (tmp_path / "b2.npz").exists()
    ck = callbacks.ModelCheckpoint(str(tmp_path / "t.npz"), mode="max", save_best_only=True,
                                   monitor="loss", initial_value_threshold=1e9)  # fmt: skip
    model().fit(x, y, epochs=1, callbacks=[ck], verbose=0)
    assert not (tmp_path / "t.npz").exists()


class Crash(callbacks.Callback):
    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise RuntimeError("interrupted")


def test_backup_and_restore_resumes_to_the_uninterrupted_weights(tmp_path):
    x, y = data(50)
    np.random.seed(1)
    ref = model()
    ref.fit(x, y, batch_size=8, epochs=5, verbose=0)
    np.random.seed(1)
    m = model()
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="interrupted"):
        m.fit(x, y, batch_size=8, epochs=5, callbacks=[backup, Crash(2)], verbose=0)
    assert (tmp_path / "backup" / "training_metadata.json").exists()
    m2 = model()  # a fresh process would rebuild the model like this
    h = m2.fit(x, y, batch_size=8, epochs=5, callbacks=[backup], verbose=0)
    assert h.epoch == [3, 4] and m2.optimizer.iterations == ref.optimizer.iterations
    for a, b in zip(ref.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not (tmp_path / "backup").exists()  # deleted after a completed fit
    with pytest.raises(NotImplementedError, match="save_freq"):
        callbacks.BackupAndRestore(tmp_path, save_freq=10)


def test_terminate_on_nan_csv_append_and_progbar(tmp_path, capsys):
    x, y = data()
    x[5, 0] = np.nan
    h = model().fit(x, y, batch_size=4, epochs=3, shuffle=False,
                    callbacks=[callbacks.TerminateOnNaN()], verbose=0)  # fmt: skip
    assert len(h.epoch) == 1 and np.isnan(h.history["loss"][0])
    x, y = data()
    log = tmp_path / "log.csv"
    model().fit(x, y, epochs=2, callbacks=[callbacks.CSVLogger(log)], verbose=0)
    model().fit(x, y, epochs=1, callbacks=[callbacks.CSVLogger(log, append=True)], verbose=0)
    with open(log) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "mae"] and [r[0] for r in rows[1:]] == ["0", "1", "0"]
    capsys.readouterr()
    model().fit(x, y, epochs=2, callbacks=[callbacks.ProgbarLogger()], verbose=2)
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 2 and out.count("2/2 - ") == 2
