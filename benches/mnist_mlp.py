"""One epoch of the tutorial's MNIST model (784-128-10, Adam 1e-3): rustgrad fit vs NumPy and peers.

Each library runs in its own subprocess so its peak RSS is its own; each reports the median of
RUNS epochs (a fresh model per run) and the test accuracy after its last run.
"""

import json
import os
import resource
import statistics
import sys
import threading
import time

import numpy as np
from _common import optional, run_child, table

RUNS = 3
BATCHES = (32, 128)


def load():
    from rustgrad.keras.datasets import mnist

    def scale(images):
        out = images.reshape(len(images), 784).astype(np.float32)
        out /= 255.0  # in place: one float32 copy of the images, not two
        return out

    (xtr, ytr), (xte, yte) = mnist.load_data()
    return (scale(xtr), ytr.astype(np.int64)), (scale(xte), yte.astype(np.int64))


def run_rustgrad(train, test, bs):
    import rustgrad as tf

    m = tf.keras.Sequential(
        [
            tf.keras.layers.Dense(128, activation="relu", input_shape=(784,)),
            tf.keras.layers.Dense(10, activation="softmax"),
        ]
    )
    m.compile(
        optimizer=tf.keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    t = time.perf_counter()
    m.fit(*train, batch_size=bs, epochs=1, verbose=0)
    seconds = time.perf_counter() - t
    return seconds, m.evaluate(*test, verbose=0)[1]


def run_numpy(train, test, bs, seed=0):
    """The training a learner writes by hand: forward, softmax-CE backward, Adam (Keras' eps)."""
    (x, y), (xt, yt) = train, test
    rng = np.random.default_rng(seed)

    def glorot(i, o):
        lim = np.sqrt(6 / (i + o))
        return rng.uniform(-lim, lim, (i, o)).astype(np.float32)

    params = [
        glorot(784, 128),
        np.zeros(128, np.float32),
        glorot(128, 10),
        np.zeros(10, np.float32),
    ]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-7
    t = time.perf_counter()
    order = rng.permutation(len(x))
    for step, s in enumerate(range(0, len(x), bs), start=1):
        idx = order[s : s + bs]
        xb, yb = x[idx], y[idx]
        w1, c1, w2, c2 = params
        h = np.maximum(xb @ w1 + c1, 0)
        z = h @ w2 + c2
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        p[np.arange(len(yb)), yb] -= 1
        dz = p / len(yb)
        dh = (dz @ w2.T) * (h > 0)
        grads = [xb.T @ dh, dh.sum(0), h.T @ dz, dz.sum(0)]
        a = lr * np.sqrt(1 - b2**step) / (1 - b1**step)
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            params[i] -= a * m[i] / (np.sqrt(v[i]) + eps)
    seconds = time.perf_counter() - t
    w1, c1, w2, c2 = params
    pred = (np.maximum(xt @ w1 + c1, 0) @ w2 + c2).argmax(1)
    return seconds, float(np.mean(pred == yt))


def run_torch(train, test, bs):
    import torch

    (x, y), (xt, yt) = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in (train, test)]
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    lossf = torch.nn.CrossEntropyLoss()
    t = time.perf_counter()
    order = torch.randperm(len(x))
    for s in range(0, len(x), bs):
        idx = order[s : s + bs]
        opt.zero_grad()
        lossf(net(x[idx]), y[idx]).backward()
        opt.step()
    seconds = time.perf_counter() - t
    with torch.no_grad():
        acc = (net(xt).argmax(1) == yt).float().mean().item()
    return seconds, acc


def run_tf(train, test, bs):
    import tensorflow as tf

    m = tf.keras.Sequential(
        [
            tf.keras.Input((784,)),
            tf.keras.layers.Dense(128, "relu"),
            tf.keras.layers.Dense(10, "softmax"),
        ]
    )
    m.compile(
        optimizer=tf.keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    t = time.perf_counter()
    m.fit(*train, batch_size=bs, epochs=1, verbose=0)
    seconds = time.perf_counter() - t
    return seconds, m.evaluate(*test, verbose=0)[1]


RUNNERS = {
    "rustgrad": run_rustgrad,
    "numpy": run_numpy,
    "numpy-1thread": run_numpy,
    "pytorch": run_torch,
    "tf.keras": run_tf,
}
PEERS = {"pytorch": "torch", "tf.keras": "tensorflow"}


def _rss_mb():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(name, bs):
    """Measure one library at one batch size in this process; print JSON for the parent.

    Memory is the peak RSS while training above the RSS with the data loaded, sampled every 5 ms,
    so the data set itself (the same for everyone) does not hide the differences.
    """
    train, test = load()
    base, peak, done = _rss_mb(), [0.0], threading.Event()

    def sample():
        while not done.wait(0.005):
            peak[0] = max(peak[0], _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    results = [RUNNERS[name](train, test, bs) for _ in range(RUNS)]
    done.set()
    sampler.join()
    out = {"seconds": statistics.median(r[0] for r in results), "accuracy": results[-1][1]}
    print(json.dumps({**out, "train_mb": max(peak[0] - base, 0.0)}))


def measure(name, bs):
    env = dict(os.environ)
    if (
        name == "numpy-1thread"
    ):  # OpenBLAS threads thrash at these small shapes on a busy 2-core box
        env["OPENBLAS_NUM_THREADS"] = "1"
    return run_child(__file__, name, bs, env=env)


def main():
    try:
        load()
    except Exception as e:  # noqa: BLE001 - no data means no benchmark, not a crash of `make bench`
        print(
            f"\nmnist_mlp: skipped, MNIST not found ({type(e).__name__}: {e}); set RUSTGRAD_DATASETS"
        )
        return None
    names = [
        "rustgrad",
        "numpy",
        "numpy-1thread",
        *[n for n, mod in PEERS.items() if optional(mod) is not None],
    ]
    rows = []
    for bs in BATCHES:
        res = {n: measure(n, bs) for n in names}
        base = res["rustgrad"]["seconds"]
        for n in names:
            r = res[n]
            ratio = f"{r['seconds'] / base:.2f}"
            rows.append(
                [
                    n,
                    bs,
                    f"{r['seconds']:.3f}",
                    ratio,
                    f"{r['accuracy']:.4f}",
                    f"{r['train_mb']:.0f}",
                ]
            )
    missing = [n for n, mod in PEERS.items() if n not in names]
    title = f"(c) MNIST 784-128-10, Adam 1e-3, one epoch, median of {RUNS}"
    if missing:
        title += f" ({', '.join(missing)} not installed)"
    header = ["library", "batch", "s/epoch", "peer/rustgrad", "test acc", "train RSS MB"]
    table(title, header, rows)
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
