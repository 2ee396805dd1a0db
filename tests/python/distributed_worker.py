"""One rank of the tests in test_distributed.py: `python distributed_worker.py MODE OUT` under
mpiexec (or alone, as one process); each rank writes what it saw to OUT/rank<r>.json / .npz."""

from __future__ import annotations

import json
import os
import signal
import sys

import numpy as np
import rustgrad as tf
from rustgrad import keras

MODE, OUT = sys.argv[1], sys.argv[2]
# A background shell may start us with SIGINT ignored; the "interrupt" case needs Ctrl-C to raise.
signal.signal(signal.SIGINT, signal.default_int_handler)
strategy = tf.distribute.MPIStrategy()
RANK = strategy.rank


def mnist(rows: int):
    (x, y), _ = keras.datasets.mnist.load_data()
    return x[:rows].reshape(-1, 784).astype("float32") / 255, y[:rows].astype("int64")


def mlp(units: int = 64):
    keras.utils.set_random_seed(RANK + 1)  # a different init per rank: rank 0's must win
    m = keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(units, activation="relu"), keras.layers.Dense(10)]
    )
    m.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return m


def cnn():
    keras.utils.set_random_seed(RANK + 1)
    m = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ]
    )
    m.compile(
        optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return m


def report(**values) -> None:
    with open(os.path.join(OUT, f"rank{RANK}.json"), "w") as f:
        json.dump(values, f)


np.random.seed(RANK)  # differs per rank: fit's shuffle seed must come from rank 0
x, y = mnist(3200)
with strategy.scope():
    if MODE == "mismatch":
        model = mlp(64 if RANK == 0 else 32)
    elif MODE == "cnn":
        model = cnn()
    else:
        model = mlp()

if MODE == "cnn":  # 20 steps of global batch 64 of a small CNN
    h = model.fit(x[:1280].reshape(-1, 28, 28, 1), y[:1280], batch_size=64, epochs=1, verbose=0)
    np.savez(os.path.join(OUT, f"rank{RANK}.npz"), *model.get_weights())
    report(history=h.history, size=strategy.size)
    raise SystemExit(0)

if MODE == "train":  # 50 steps of global batch 64, with every file-writing callback
    files = os.path.join(OUT, f"files{RANK}")  # a folder per rank shows who wrote
    os.makedirs(files)
    cbs = [
        keras.callbacks.ModelCheckpoint(os.path.join(files, "ckpt.weights.h5"), save_weights_only=True),
        keras.callbacks.CSVLogger(os.path.join(files, "log.csv")),
    ]  # fmt: skip
    h = model.fit(x, y, batch_size=64, epochs=1, verbose=0, callbacks=cbs)
    model.save_weights(os.path.join(files, "end.weights.h5"))
    model.save(os.path.join(files, "end.keras"))
    np.savez(os.path.join(OUT, f"rank{RANK}.npz"), *model.get_weights())
    report(
        history=h.history,
        size=strategy.size,
        calls=strategy.allreduce_calls,
        threads=tf.get_num_threads(),
    )
elif MODE == "early":  # per-batch path (a batch hook) and EarlyStopping on averaged losses
    seen = []

    class Batches(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    cbs = [keras.callbacks.EarlyStopping(monitor="loss", min_delta=0.15, patience=0), Batches()]
    h = model.fit(x[:1600], y[:1600], batch_size=64, epochs=30, verbose=0, callbacks=cbs)
    report(history=h.history, batch_losses=seen)
elif MODE == "mismatch":
    try:
        model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    except ValueError as e:
        report(error=str(e))
elif MODE == "on_batch":
    try:
        model.train_on_batch(x[:64], y[:64])
    except NotImplementedError as e:
        report(error=str(e))
elif MODE == "odd_batch":
    try:
        model.fit(x, y, batch_size=63, epochs=1, verbose=0)
    except ValueError as e:
        report(error=str(e))
elif MODE in ("bad_label", "sigkill", "interrupt"):
    if MODE == "bad_label" and RANK == 1:
        y[:] = 99  # labels out of range on this rank's shard only

    class Kill(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if MODE != "bad_label" and RANK == 1 and batch == 5:
                os.kill(os.getpid(), signal.SIGKILL if MODE == "sigkill" else signal.SIGINT)

    model.fit(x, y, batch_size=64, epochs=1000, verbose=0, callbacks=[Kill()])
    report(finished=True)
else:
    raise SystemExit(f"unknown mode {MODE}")
