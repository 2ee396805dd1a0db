"""One rank of test_distributed_eager.py: the eager engine (a subclassed model, a custom layer, an
overridden train_step) and batch-by-batch inputs (a Dataset, a generator, a PyDataset) under
MPIStrategy. `python distributed_worker_eager.py MODE OUT` under mpiexec or alone; each rank
writes what it saw to OUT/rank<r>.json / .npz."""

from __future__ import annotations

import json
import math
import os
import signal
import sys

import numpy as np
import rustgrad as tf
from rustgrad import keras
from train_step_refs import CustomModel, CustomModelTF2  # the guide's train_steps

MODE, OUT = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGINT, signal.default_int_handler)  # a background shell ignores SIGINT
strategy = tf.distribute.MPIStrategy()
RANK = strategy.rank
ROWS = 1301  # 20 global batches of 64 and one of 21 (split 10 / 11 on 2 ranks)


class MLP(keras.Model):
    """A subclass with its own call: the eager engine."""

    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(32, activation="relu")
        self.head = keras.layers.Dense(10)

    def call(self, x, training=False):
        return self.head(self.hidden(x))


class TanhDense(keras.layers.Layer):
    """A custom layer: tanh(x @ w + b) from Tensor ops."""

    def __init__(self, units, **kw):
        super().__init__(**kw)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, x):
        return keras.ops.tanh(x @ self.w + self.b)


class ManualModel(keras.Model):
    """A train_step that updates the weights itself, bypassing the optimizer."""

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            loss = self.compute_loss(y=y, y_pred=self(x, training=True))
        with tf.no_grad():
            for v, g in zip(
                self.trainable_variables, tape.gradient(loss, self.trainable_variables)
            ):
                v.assign(v - 0.01 * g)
        return {"loss": loss}


def build(mode: str):
    keras.utils.set_random_seed(RANK + 1)  # a different init per rank: rank 0's must win
    if mode in ("subclass", "pydataset", "eager_bad_label"):
        m = MLP()
    elif mode == "custom_layer":
        inp = keras.Input((784,))
        m = keras.Model(inp, keras.layers.Dense(10)(TanhDense(32)(inp)))
    elif mode in ("train_step", "generator_step", "manual_update"):
        inp = keras.Input((784,))
        cls = {"train_step": CustomModel, "generator_step": CustomModelTF2}.get(mode, ManualModel)
        m = cls(inp, keras.layers.Dense(10)(keras.layers.Dense(32, activation="relu")(inp)))
    else:  # a graph of built-in layers, fed batch by batch
        m = keras.Sequential(
            [keras.Input((784,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10)]
        )
    m.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return m


def batches(x, y, bs=64, rows=None):
    """Global batches in a fixed order, as a generator (rows: override each batch's rows)."""
    for start in range(0, len(x), bs):
        stop = min(start + (rows or bs), len(x))
        yield x[start:stop], y[start:stop]


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, bs=64):
        super().__init__()
        self.x, self.y, self.bs = x, y, bs

    def __len__(self):
        return math.ceil(len(self.x) / self.bs)

    def __getitem__(self, i):
        return self.x[i * self.bs : (i + 1) * self.bs], self.y[i * self.bs : (i + 1) * self.bs]


def report(**values) -> None:
    with open(os.path.join(OUT, f"rank{RANK}.json"), "w") as f:
        json.dump(values, f)


def finish(h) -> None:
    np.savez(os.path.join(OUT, f"rank{RANK}.npz"), *model.get_weights())
    report(history=h.history, calls=strategy.allreduce_calls)


np.random.seed(RANK)  # differs per rank: shuffle seeds must come from rank 0
(x, y), _ = keras.datasets.mnist.load_data()
x, y = x[:ROWS].reshape(-1, 784).astype("float32") / 255, y[:ROWS].astype("int64")
with strategy.scope():
    model = build(MODE)

if MODE in ("subclass", "custom_layer", "train_step"):
    finish(model.fit(x, y, batch_size=64, epochs=2, verbose=0))
elif MODE == "dataset":  # an unseeded shuffle: every rank must draw rank 0's order
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(2000).batch(64)
    finish(model.fit(ds, epochs=2, verbose=0))
elif MODE == "dataset_map":  # a mapped dataset trains batch by batch
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(2000).batch(64).map(lambda a, b: (a, b))
    finish(model.fit(ds, epochs=2, verbose=0))
elif MODE in ("generator", "generator_step"):
    finish(model.fit(batches(x, y), epochs=1, verbose=0))
elif MODE == "pydataset":
    finish(model.fit(Batches(x, y), epochs=2, verbose=0))
elif MODE in ("gen_short", "gen_rows", "gen_odd", "manual_update"):
    inputs = {
        "gen_short": lambda: batches(x[: 640 if RANK == 1 else ROWS], y),
        "gen_rows": lambda: batches(x, y, rows=32 if RANK == 1 else 64),
        "gen_odd": lambda: batches(x, y, bs=63),
    }
    try:
        if MODE == "manual_update":  # arrays, 2 epochs: the weights drift in the first
            model.fit(x, y, batch_size=64, epochs=2, verbose=0)
        else:
            model.fit(inputs[MODE](), epochs=1, verbose=0)
    except (RuntimeError, ValueError) as e:
        report(error=str(e))
elif MODE == "eager_bad_label":
    if RANK == 1:
        y[:] = 99  # labels out of range on this rank's shard only
    model.fit(x, y, batch_size=64, epochs=1000, verbose=0)
    report(finished=True)
else:
    raise SystemExit(f"unknown mode {MODE}")
