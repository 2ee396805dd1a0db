"""fit on a busy machine: with a core held by another process, training finishes and computes the
same losses as on an idle one. The thread policy (kernels/policy.rs) runs some steps on one thread
and some on the pool in every fit, busy or not (its first trial, at the second step, runs both), and
then whichever measured faster; both cut the work into the same pieces, so the bits must not depend
on which ran when."""

import subprocess
import sys

import numpy as np
import rustgrad as tf


def _fit_losses():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4096, 256)).astype(np.float32)
    y = (x[:, :10].argmax(1)).astype(np.int64)
    tf.keras.utils.set_random_seed(0)
    m = tf.keras.Sequential(
        [
            tf.keras.layers.Dense(128, activation="relu", input_shape=(256,)),
            tf.keras.layers.Dense(10, activation="softmax"),
        ]
    )
    m.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    hist = m.fit(x, y, batch_size=64, epochs=3, verbose=0, shuffle=False)
    return hist.history["loss"]


def test_fit_under_a_spinning_process_gives_the_same_losses():
    idle = _fit_losses()
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        busy = _fit_losses()
        again = _fit_losses()
    finally:
        spinner.kill()
        spinner.wait(timeout=30)
    assert idle == busy == again
    assert idle[-1] < idle[0]
