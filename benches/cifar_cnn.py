"""The CIFAR-shaped CNN of assignment 5 (conv32-conv32-pool-conv64-conv64-pool-dense512-10, 3x3
kernels alternating padding "same" and "valid" as in Keras' classic cifar10_cnn example, ReLU,
2x2 max pooling, Adam 1e-3, batch 64, 32x32x3 inputs): training samples/s for rustgrad and, when
they import, PyTorch and tf.keras. Goal (issue 17): rustgrad >= 2x PyTorch.

CIFAR-10 is not needed: every child draws the same seeded synthetic set (standard-normal images,
uniform labels), which costs the same per step as real images. Dropout is left out so that every
library does the same arithmetic. Each library runs in its own subprocess (the peers in
$RUSTGRAD_PEER_PYTHON when set) and reports the median of RUNS timed epochs after one warm-up.

    RUSTGRAD_PEER_PYTHON=/work/peers/bin/python python benches/cifar_cnn.py [--quick]
"""

import json
import statistics
import sys
import time

import numpy as np
from _common import goal, peer_python, peers, quick, run_child_in, table, torch_pass

RUNS = 1 if quick() else 3
BATCH = 64
SAMPLES = 640 if quick() else 1_920  # 10 / 30 batches per timed epoch
GOAL = 2.0  # rustgrad/PyTorch training samples/s, at least
PEERS = {"pytorch": "torch", "pytorch-1thread": "torch", "tf.keras": "tensorflow"}


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((SAMPLES, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, SAMPLES).astype(np.int64)
    return x, y


def timed(fn):
    fn()  # warm-up: first-touch allocations, thread pool start, tf.function tracing
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def keras_model(layers, first):
    """The network in a Keras dialect (rustgrad's or TensorFlow's); `first` is the input layer(s)."""
    return [
        *first,
        layers.Conv2D(32, (3, 3), padding="same", activation="relu"),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), padding="same", activation="relu"),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]


def run_rustgrad(x, y):
    import rustgrad as tf

    m = tf.keras.Sequential(keras_model(tf.keras.layers, [tf.keras.layers.InputLayer((32, 32, 3))]))
    m.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return timed(lambda: m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0))


def run_tf(x, y):
    import tensorflow as tf

    m = tf.keras.Sequential(keras_model(tf.keras.layers, [tf.keras.Input((32, 32, 3))]))
    m.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return timed(lambda: m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0))


def run_torch(x, y):
    import torch
    from torch import nn

    net = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(64, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(6 * 6 * 64, 512),
        nn.ReLU(),
        nn.Linear(512, 10),
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    lossf = nn.CrossEntropyLoss()
    xs, ys = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y)

    return timed(torch_pass(torch, net, opt, lossf, xs, ys, BATCH))


RUNNERS = {
    "rustgrad": run_rustgrad,
    "pytorch": run_torch,
    "pytorch-1thread": run_torch,
    "tf.keras": run_tf,
}


def child(name):
    if name == "pytorch-1thread":
        # Context for a busy machine: PyTorch's default threads stall when another process holds a
        # core (the goals compare against the default; this row shows how much of a ratio is that).
        import torch

        torch.set_num_threads(1)
    x, y = data()
    seconds, runs = RUNNERS[name](x, y)
    print(json.dumps({"train": len(x) / seconds, "runs": [len(x) / t for t in runs]}))


def measure(name):
    python = peer_python() if name in PEERS else sys.executable
    return run_child_in(python, __file__, name)


def main():
    present, notes = peers(PEERS)
    res = {}
    for name in ["rustgrad", *present]:
        try:
            res[name] = measure(name)
        except RuntimeError as e:
            notes.append(f"{name} failed: {str(e)[-500:]}")
    base = res.get("rustgrad")
    rows = [
        [
            name,
            f"{r['train']:.0f}",
            " ".join(f"{v:.0f}" for v in r["runs"]),
            f"{base['train'] / r['train']:.2f}" if base else "-",
        ]
        for name, r in res.items()
    ]
    title = (
        f"(d2) CIFAR-shaped CNN conv32-conv32-pool-conv64-conv64-pool-dense512-10, Adam, batch "
        f"{BATCH}, synthetic 32x32x3, median of {RUNS} epochs of {SAMPLES} samples"
    )
    table(title, ["library", "train samples/s", "runs", "rustgrad/peer"], rows)
    x = base["train"] / res["pytorch"]["train"] if base and "pytorch" in res else None
    print(goal("rustgrad training vs pytorch", x, GOAL))
    if base and "pytorch-1thread" in res:
        one = base["train"] / res["pytorch-1thread"]["train"]
        print(f"info (not a goal): rustgrad vs pytorch on 1 thread: {one:.2f}x")
    for note in notes:
        print(f"note: {note}")
    return rows


if __name__ == "__main__":
    quick()
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
