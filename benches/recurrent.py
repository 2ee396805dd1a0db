"""Recurrent layers: an LSTM(64) and a GRU(64) over 100 steps of 32 features, then Dense(1), MSE,
Adam, batch 32: training samples/s for rustgrad and, when they import, PyTorch (nn.LSTM / nn.GRU,
its fused CPU kernels) and tf.keras. There is no goal row: this shows where the recurrence (one
op with its hand-written BPTT, src/ops/recurrence.rs) stands against the peers.

The data are seeded synthetic sequences (values do not change the arithmetic). Each library runs
in its own subprocess (the peers in $RUSTGRAD_PEER_PYTHON when set) and reports the median of RUNS
timed epochs after one warm-up.

    RUSTGRAD_PEER_PYTHON=/work/peers/bin/python python benches/recurrent.py [--quick]
"""

import json
import statistics
import sys
import time

import numpy as np
from _common import peer_python, peers, quick, run_child_in, table

RUNS = 1 if quick() else 3
BATCH, STEPS, FEATURES, UNITS = 32, 100, 32, 64
SAMPLES = 128 if quick() else 640
CELLS = ("LSTM", "GRU")
PEERS = {"pytorch": "torch", "tf.keras": "tensorflow"}


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((SAMPLES, STEPS, FEATURES), dtype=np.float32)
    y = rng.standard_normal((SAMPLES, 1), dtype=np.float32)
    return x, y


def timed(fn):
    fn()  # warm-up
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run_keras(keras, cell, x, y):
    m = keras.Sequential(
        [keras.Input((STEPS, FEATURES)), getattr(keras.layers, cell)(UNITS), keras.layers.Dense(1)]
    )
    m.compile(keras.optimizers.Adam(1e-3), "mse")
    return timed(lambda: m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0))


def run_torch(cell, x, y):
    import torch
    from torch import nn

    rnn = {"LSTM": nn.LSTM, "GRU": nn.GRU}[cell](FEATURES, UNITS, batch_first=True)
    head = nn.Linear(UNITS, 1)
    opt = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=1e-3, eps=1e-7)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)

    def epoch():
        order = torch.randperm(len(xs))
        for s in range(0, len(xs), BATCH):
            idx = order[s : s + BATCH]
            opt.zero_grad()
            out, _ = rnn(xs[idx])
            ((head(out[:, -1]) - ys[idx]) ** 2).mean().backward()
            opt.step()

    return timed(epoch)


def child(name):
    x, y = data()
    out = {}
    for cell in CELLS:
        if name == "rustgrad":
            from rustgrad import keras

            seconds = run_keras(keras, cell, x, y)
        elif name == "tf.keras":
            import tensorflow as tf

            seconds = run_keras(tf.keras, cell, x, y)
        else:
            seconds = run_torch(cell, x, y)
        out[cell] = len(x) / seconds
    print(json.dumps(out))


def main():
    present, notes = peers(PEERS)
    res = {}
    for name in ["rustgrad", *present]:
        python = peer_python() if name in PEERS else sys.executable
        try:
            res[name] = run_child_in(python, __file__, name)
        except RuntimeError as e:
            notes.append(f"{name} failed: {str(e)[-500:]}")
    base = res.get("rustgrad")
    rows = [
        [name, cell, f"{r[cell]:.0f}", f"{base[cell] / r[cell]:.2f}" if base else "-"]
        for name, r in res.items()
        for cell in CELLS
    ]
    title = (
        f"(g) recurrent layers {UNITS} units over {STEPS} steps of {FEATURES} features, Dense(1), "
        f"Adam, batch {BATCH}, median of {RUNS} epochs of {SAMPLES} samples"
    )
    table(title, ["library", "layer", "train samples/s", "rustgrad/peer"], rows)
    for note in notes:
        print(f"note: {note}")
    return rows


if __name__ == "__main__":
    quick()
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
