"""A width sweep of the MLP 784-w-w-10 (ReLU, softmax cross-entropy, Adam 1e-3, batch 128) for
w = 128, 512, 1024, 2048: training samples/s for rustgrad's fit and PyTorch's loop, with the
products' FLOPs per step so that "cost grows no faster than the products" can be read off.
Goal (issue 17): rustgrad >= 2x PyTorch at every w.

The data are synthetic (seeded standard-normal rows, uniform labels; the cost of a step does not
depend on the values). Per w, each library runs in its own child (PyTorch in $RUSTGRAD_PEER_PYTHON
when set), rustgrad and PyTorch interleaved; a child trains one warm-up block and then REPEATS
timed blocks of STEPS(w) steps and reports the median time per step.

Products counted per step, 2 FLOP per multiply-add: forward x.W for each layer, the weight
gradients (the same shapes again) and the input gradients of layers 2 and 3 (the first layer's
is skipped, its input needing no gradient): 2 * 128 * (3 * (784w + w^2 + 10w) - 784w).
"time/FLOP vs w=128" is a library's seconds per product FLOP divided by its own at w = 128:
at most 1 means the step's cost grows no faster than the products do.
"""

import json
import statistics
import sys
import time

import numpy as np
from _common import goal, peer_python, peers, quick, run_child_in, table, torch_pass

WIDTHS = (128, 512, 1024, 2048)
BATCH = 128
REPEATS = 1 if quick() else 5
BLOCK_FLOPS = 2e9 if quick() else 8e9  # product FLOPs per timed block, which sets its step count
GOAL = 2.0  # rustgrad/PyTorch samples/s, at least, at every width
PEERS = {"pytorch": "torch", "pytorch-1thread": "torch"}


def step_flops(w):
    """Product FLOPs of one training step at width w (see the module docstring)."""
    layers = ((784, w), (w, w), (w, 10))
    return 2.0 * BATCH * (3 * sum(i * o for i, o in layers) - 784 * w)


def steps(w):
    return int(min(300, max(3 if quick() else 10, BLOCK_FLOPS // step_flops(w))))


def data(w, seed=0):
    rng = np.random.default_rng(seed)
    n = steps(w) * BATCH
    x = rng.standard_normal((n, 784), dtype=np.float32)
    return x, rng.integers(0, 10, n).astype(np.int64)


def blocks(fn):
    """Median seconds of REPEATS calls of fn after one warm-up call, and all of them."""
    fn()
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def run_rustgrad(w, x, y):
    import rustgrad as tf

    layers = tf.keras.layers
    m = tf.keras.Sequential(
        [
            layers.Dense(w, activation="relu", input_shape=(784,)),
            layers.Dense(w, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    m.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return blocks(lambda: m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0))


def run_torch(w, x, y):
    import torch
    from torch import nn

    net = nn.Sequential(nn.Linear(784, w), nn.ReLU(), nn.Linear(w, w), nn.ReLU(), nn.Linear(w, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    lossf = nn.CrossEntropyLoss()
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)

    return blocks(torch_pass(torch, net, opt, lossf, xs, ys, BATCH))


RUNNERS = {"rustgrad": run_rustgrad, "pytorch": run_torch, "pytorch-1thread": run_torch}


def child(name, w):
    if name == "pytorch-1thread":
        # Context for a busy machine: PyTorch's default threads stall when another process holds a
        # core (the goals compare against the default; this row shows how much of a ratio is that).
        import torch

        torch.set_num_threads(1)
    x, y = data(w)
    seconds, times = RUNNERS[name](w, x, y)
    n = steps(w)
    print(json.dumps({"step": seconds / n, "steps": n, "all": [t / n for t in times]}))


def measure(name, w):
    python = peer_python() if name in PEERS else sys.executable
    return run_child_in(python, __file__, name, w)


def main():
    present, notes = peers(PEERS)
    names = ["rustgrad", *present]
    res = {}
    for w in WIDTHS:
        for name in names:
            try:
                res[name, w] = measure(name, w)
            except RuntimeError as e:
                notes.append(f"{name} at w={w} failed: {str(e)[-500:]}")
    rows, ratios = [], {}
    for w in WIDTHS:
        f = step_flops(w)
        for name in names:
            r = res.get((name, w))
            if r is None:
                continue
            first = res.get((name, WIDTHS[0]))
            growth = (r["step"] / f) / (first["step"] / step_flops(WIDTHS[0])) if first else None
            base = res.get(("rustgrad", w))
            rows.append(
                [
                    w,
                    name,
                    f"{f / 1e9:.3f}",
                    r["steps"],
                    f"{r['step'] * 1e3:.2f}",
                    f"{BATCH / r['step']:.0f}",
                    f"{r['step'] / base['step']:.2f}" if base else "-",
                    f"{f / r['step'] / 1e9:.1f}",
                    f"{growth:.2f}" if growth is not None else "-",
                ]
            )
        for peer in PEERS:
            if ("rustgrad", w) in res and (peer, w) in res:
                ratios[peer, w] = res[peer, w]["step"] / res["rustgrad", w]["step"]
    title = (
        f"(d3) MLP 784-w-w-10 width sweep, Adam, batch {BATCH}, synthetic data, median of "
        f"{REPEATS} blocks"
    )
    header = [
        "w",
        "library",
        "GFLOP/step",
        "steps",
        "ms/step",
        "samples/s",
        "peer/rustgrad",
        "GFLOP/s",
        "time/FLOP vs w=128",
    ]
    table(title, header, rows)
    for w in WIDTHS:
        print(goal(f"rustgrad vs pytorch at w={w}", ratios.get(("pytorch", w)), GOAL))
    if any(k[0] == "pytorch-1thread" for k in ratios):
        one = ", ".join(
            f"w={w} {ratios['pytorch-1thread', w]:.2f}x"
            for w in WIDTHS
            if ("pytorch-1thread", w) in ratios
        )
        print(f"info (not a goal): rustgrad vs pytorch on 1 thread: {one}")
    for note in notes:
        print(f"note: {note}")
    return rows


if __name__ == "__main__":
    quick()
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
