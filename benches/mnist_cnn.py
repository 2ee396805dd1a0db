"""The issue's MNIST CNN (conv32-pool-conv64-pool-dense128-dense10, Adam 1e-3, batch 64): training
and inference samples/s for rustgrad and, when installed, PyTorch and tf.keras.

Each library runs in its own subprocess and reports the median of RUNS timed passes (after one
warm-up pass) over the same TRAIN_SAMPLES training images and TEST_SAMPLES test images. MNIST is read
once by rustgrad's loader and handed to the children as a .npz file, so PyTorch and tf.keras run in
$RUSTGRAD_PEER_PYTHON (a venv outside the project) when set; absent peers are skipped with a note.
Goals (issue 17): rustgrad trains >= 2.5x PyTorch's and >= 3x tf.keras' samples/s.
"""

import json
import os
import statistics
import sys
import tempfile
import time

import _models
import numpy as np
from _common import goal, peer_python, peers, quick, run_child_in, table

RUNS = 1 if quick() else 3
BATCH = 64
TRAIN_SAMPLES = 3_200 if quick() else 12_800  # 50 / 200 batches per timed pass
TEST_SAMPLES = 2_000 if quick() else 10_000
GOALS = {"pytorch": 2.5, "tf.keras": 3.0}  # rustgrad/peer training samples/s, at least


def load_uint8():
    from rustgrad.keras.datasets import mnist

    (xtr, ytr), (xte, _) = mnist.load_data()
    return xtr[:TRAIN_SAMPLES], ytr[:TRAIN_SAMPLES], xte[:TEST_SAMPLES]


def load(path):
    """The .npz the parent wrote, as NHWC float32 in [0, 1] and int64 labels."""
    with np.load(path) as d:
        xtr, ytr, xte = d["xtr"], d["ytr"], d["xte"]
    xtr = (xtr.astype(np.float32) / 255.0)[..., None]
    xte = (xte.astype(np.float32) / 255.0)[..., None]
    return xtr, ytr.astype(np.int64), xte


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

    m = _models.mnist_cnn(tf.keras)
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

    m = _models.mnist_cnn(tf.keras)
    m.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    train = timed(lambda: m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0))
    infer = timed(lambda: m.predict(xt, batch_size=BATCH, verbose=0))
    return train, infer


RUNNERS = {
    "rustgrad": run_rustgrad,
    "pytorch": run_torch,
    "pytorch-1thread": run_torch,
    "tf.keras": run_tf,
}
PEERS = {"pytorch": "torch", "pytorch-1thread": "torch", "tf.keras": "tensorflow"}


def child(name, data):
    if name == "pytorch-1thread":
        # Context for a busy machine: PyTorch's default threads stall when another process holds a
        # core (the goals compare against the default; this row shows how much of a ratio is that).
        import torch

        torch.set_num_threads(1)
    x, y, xt = load(data)
    train, infer = RUNNERS[name](x, y, xt)
    print(json.dumps({"train": len(x) / train, "infer": len(xt) / infer}))


def measure(name, data):
    python = peer_python() if name in PEERS else sys.executable
    return run_child_in(python, __file__, name, data)


def main():
    try:
        arrays = load_uint8()
    except Exception as e:  # noqa: BLE001 - no data means no benchmark, not a crash of `make bench`
        print(f"\nmnist_cnn: skipped, MNIST not found ({type(e).__name__}: {e})")
        return None
    present, notes = peers(PEERS)
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "mnist.npz")
        np.savez(data, **dict(zip(("xtr", "ytr", "xte"), arrays)))
        for name in ["rustgrad", *present]:
            try:
                res[name] = measure(name, data)
            except RuntimeError as e:
                notes.append(f"{name} failed: {str(e)[-500:]}")
    base = res.get("rustgrad")
    rows = []
    for name, r in res.items():
        rows.append(
            [
                name,
                f"{r['train']:.0f}",
                f"{base['train'] / r['train']:.2f}" if base else "-",
                f"{GOALS[name]:g}" if name in GOALS else "-",
                f"{r['infer']:.0f}",
                f"{base['infer'] / r['infer']:.2f}" if base else "-",
            ]
        )
    title = (
        f"(d) MNIST CNN conv32-pool-conv64-pool-dense128-dense10, Adam, batch {BATCH}, "
        f"median of {RUNS} passes over {TRAIN_SAMPLES} train / {TEST_SAMPLES} test images"
    )
    header = [
        "library",
        "train samples/s",
        "rustgrad/peer",
        "goal",
        "infer samples/s",
        "rustgrad/peer",
    ]
    table(title, header, rows)
    for name, target in GOALS.items():
        x = base["train"] / res[name]["train"] if base and name in res else None
        print(goal(f"rustgrad training vs {name}", x, target))
    for note in notes:
        print(f"note: {note}")
    return rows


if __name__ == "__main__":
    quick()
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
