"""The issue's MNIST CNN (conv32-pool-conv64-pool-dense128-dense10, Adam 1e-3, batch 64): training
and inference samples/s for rustgrad and, when installed, PyTorch and tf.keras.

Each library runs in its own subprocess and reports the median of RUNS timed passes (after one
warm-up pass) over the same TRAIN_SAMPLES training images and the 10 000 test images.
"""

import json
import statistics
import sys
import time

import numpy as np
from _common import optional, run_child, table

RUNS = 3
BATCH = 64
TRAIN_SAMPLES = 12_800  # 200 batches per timed pass


def load():
    from rustgrad.keras.datasets import mnist

    (xtr, ytr), (xte, _) = mnist.load_data()
    xtr = (xtr[:TRAIN_SAMPLES].astype(np.float32) / 255.0)[..., None]
    xte = (xte.astype(np.float32) / 255.0)[..., None]
    return xtr, ytr[:TRAIN_SAMPLES].astype(np.int64), xte


def timed(fn):
    fn()  # warm-up: first-touch allocations, thread pool start
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run_rustgrad(x, y, xt):
    import rustgrad as tf

    layers = tf.keras.layers
    m = tf.keras.Sequential(
        [
            layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    m.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    train = timed(lambda: m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0))
    infer = timed(lambda: m.predict(xt, batch_size=BATCH))
    return train, infer


def run_torch(x, y, xt):
    import torch
    from torch import nn

    net = nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(1600, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    lossf = nn.CrossEntropyLoss()
    xs, ys = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y)
    xts = torch.from_numpy(xt).permute(0, 3, 1, 2).contiguous()

    def epoch():
        order = torch.randperm(len(xs))
        for s in range(0, len(xs), BATCH):
            idx = order[s : s + BATCH]
            opt.zero_grad()
            lossf(net(xs[idx]), ys[idx]).backward()
            opt.step()

    def infer():
        with torch.no_grad():
            for s in range(0, len(xts), BATCH):
                torch.softmax(net(xts[s : s + BATCH]), 1)

    return timed(epoch), timed(infer)


def run_tf(x, y, xt):
    import tensorflow as tf

    layers = tf.keras.layers
    m = tf.keras.Sequential(
        [
            tf.keras.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    m.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    train = timed(lambda: m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0))
    infer = timed(lambda: m.predict(xt, batch_size=BATCH, verbose=0))
    return train, infer


RUNNERS = {"rustgrad": run_rustgrad, "pytorch": run_torch, "tf.keras": run_tf}
PEERS = {"pytorch": "torch", "tf.keras": "tensorflow"}


def child(name):
    x, y, xt = load()
    train, infer = RUNNERS[name](x, y, xt)
    print(json.dumps({"train": len(x) / train, "infer": len(xt) / infer}))


def measure(name):
    return run_child(__file__, name)


def main():
    try:
        load()
    except Exception as e:  # noqa: BLE001 - no data means no benchmark, not a crash of `make bench`
        print(f"\nmnist_cnn: skipped, MNIST not found ({type(e).__name__}: {e})")
        return None
    res = {"rustgrad": measure("rustgrad")}
    for name, module in PEERS.items():
        res[name] = measure(name) if optional(module) is not None else None
    base = res["rustgrad"]
    rows = []
    for name, r in res.items():
        if r is None:
            rows.append([name, "not installed", "-", "not installed", "-"])
            continue
        rows.append(
            [
                name,
                f"{r['train']:.0f}",
                f"{base['train'] / r['train']:.2f}",
                f"{r['infer']:.0f}",
                f"{base['infer'] / r['infer']:.2f}",
            ]
        )
    title = (
        f"(d) MNIST CNN conv32-pool-conv64-pool-dense128-dense10, Adam, batch {BATCH}, "
        f"median of {RUNS} passes over {TRAIN_SAMPLES} train / 10000 test images"
    )
    header = ["library", "train samples/s", "rustgrad/peer", "infer samples/s", "rustgrad/peer"]
    table(title, header, rows)
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
