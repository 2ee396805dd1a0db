"""Training resumes exactly from a `.keras` checkpoint: 4 epochs, save, load in a fresh process,
4 more epochs equal 8 uninterrupted epochs bit for bit (one thread), Dropout and Adam included; a
fit killed with SIGKILL mid-epoch resumes from its last ModelCheckpoint and finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
from rustgrad import keras

BUILD = textwrap.dedent(
    """
    import sys, numpy as np
    from rustgrad import keras
    np.random.seed(0)
    r = np.random.default_rng(1)
    x = r.normal(size=(256, 6)).astype(np.float32)
    y = (x[:, :1] * x[:, 1:2] > 0).astype(np.float32)

    def build():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([
            keras.Input((6,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.GaussianNoise(0.1),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        lr = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=10, decay_rate=0.9)
        m.compile(keras.optimizers.Adam(lr), "binary_crossentropy", metrics=["accuracy"])
        return m
    """
)


def run(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "RUSTGRAD_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-c", BUILD + textwrap.dedent(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


def test_four_epochs_saved_and_four_more_in_a_new_process_equal_eight(tmp_path):
    ref, ck, out = tmp_path / "ref.npz", tmp_path / "ck.keras", tmp_path / "resumed.npz"
    run(
        """
        m = build()
        m.fit(x, y, batch_size=16, epochs=8, verbose=0)
        np.savez(sys.argv[1], *m.get_weights())
        """,
        str(ref),
    )
    run(
        """
        m = build()
        m.fit(x, y, batch_size=16, epochs=4, verbose=0)
        m.save(sys.argv[1])
        """,
        str(ck),
    )
    run(
        """
        np.random.seed(123)  # whatever the new process does, the checkpoint's seed is used
        m = keras.models.load_model(sys.argv[1])
        m.fit(x, y, batch_size=16, epochs=8, initial_epoch=4, verbose=0)
        assert m.optimizer.iterations == 8 * 16, m.optimizer.iterations
        np.savez(sys.argv[2], *m.get_weights())
        """,
        str(ck),
        str(out),
    )
    with np.load(ref) as a, np.load(out) as b:
        assert a.files == b.files
        for k in a.files:
            np.testing.assert_array_equal(a[k], b[k])


def test_without_the_saved_streams_the_resumed_run_differs(tmp_path):
    """The test above can fail: dropping the random streams and shuffle seed changes the result."""
    ck = tmp_path / "ck.keras"
    run(
        """
        m = build()
        m.fit(x, y, batch_size=16, epochs=2, verbose=0)
        m.save(sys.argv[1])
        ref = build(); ref.fit(x, y, batch_size=16, epochs=4, verbose=0)
        np.savez(sys.argv[1] + ".ref.npz", *ref.get_weights())
        """,
        str(ck),
    )
    out = run(
        """
        m = keras.models.load_model(sys.argv[1])
        m.__dict__.pop("_resume_point")
        m.fit(x, y, batch_size=16, epochs=4, initial_epoch=2, verbose=0)
        ref = np.load(sys.argv[1] + ".ref.npz")
        print(all(np.array_equal(a, ref[k]) for a, k in zip(m.get_weights(), ref.files)))
        """,
        str(ck),
    )
    assert out.stdout.strip() == "False"


def test_a_fit_killed_mid_epoch_resumes_from_its_last_checkpoint(tmp_path):
    ck = tmp_path / "ck.keras"
    script = BUILD + textwrap.dedent(
        """
        import time
        class Slow(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                time.sleep(0.01)
            def on_epoch_end(self, epoch, logs=None):
                print("epoch", epoch + 1, flush=True)
        m = build()
        m.fit(x, y, batch_size=16, epochs=50, verbose=0,
              callbacks=[keras.callbacks.ModelCheckpoint(sys.argv[1]), Slow()])
        """
    )
    p = subprocess.Popen(
        [sys.executable, "-c", script, str(ck)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "RUSTGRAD_NUM_THREADS": "1"},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if line.startswith("epoch 3") or not line:
                break
        time.sleep(0.05)  # inside epoch 4, between its checkpoints
        os.kill(p.pid, signal.SIGKILL)
    finally:
        p.kill()
        p.wait(timeout=30)
        p.stdout.close()
    m = keras.models.load_model(ck)  # the last whole checkpoint, never a partial one
    reached = m._resume_point["epoch"]
    assert reached >= 3
    x = np.random.default_rng(1).normal(size=(64, 6)).astype(np.float32)
    y = (x[:, :1] * x[:, 1:2] > 0).astype(np.float32)
    h = m.fit(x, y, batch_size=16, epochs=reached + 2, initial_epoch=reached, verbose=0)
    assert h.epoch == [reached, reached + 1]
    assert np.all(np.isfinite(m.predict(x, verbose=0)))
