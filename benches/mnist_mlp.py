"""One epoch of the tutorial's MNIST model (784-128-10, Adam 1e-3): rustgrad fit vs NumPy and peers,
and how far the epoch is from the machine's compute limit.

Each library runs in its own subprocess so its peak RSS is its own; each reports the median of
RUNS epochs (a fresh model per run) and the test accuracy after its last run. MNIST is read once
by rustgrad's loader (the dataset search path, e.g. $RUSTGRAD_DATASETS) and handed to every child
as a .npz file, so PyTorch and tf.keras run in $RUSTGRAD_PEER_PYTHON (a venv outside the project,
without rustgrad) when it is set; a peer that does not import there is skipped with a note.

Compute limit: the epoch's matrix products divided by rustgrad's own f32 GEMM rate at 1024^2
(measured in a child before each batch size's rows, as benches/gemm.py measures it; the median of
those). The products counted are, per row of the 60 000, 2 FLOP per multiply-add of:
  forward        x.W1 (784x128) and h.W2 (128x10)
  weight grads   x^T.dZ1 (784x128) and h^T.dZ2 (128x10)
  input grads    dZ2.W2^T (128x10) only: the fused linear op skips dx when x needs no gradient
                 (src/ops/linear.rs), and the images need none
i.e. 2 * 60000 * (3 * (784*128 + 128*10) - 784*128) = 24.5 GFLOP. Bias adds, activations, softmax
and Adam are not counted: the limit is what the products alone would cost at the GEMM rate.
"""

import json
import os
import resource
import statistics
import sys
import tempfile
import threading
import time

import _models
import numpy as np
from _common import peer_python, peers, quick, run_child_in, table

RUNS = 1 if quick() else 3
BATCHES = (32, 128)
ROWS = 60_000
LAYERS = ((784, 128), (128, 10))
LIMIT_GOAL = 1.5  # epoch / limit, at most
ACC_TOLERANCE = 0.005
# rustgrad's test accuracy before issue 17's kernel work (commit 8a457a2): the mean of 8 runs of
# run_rustgrad per batch size (standard deviations 0.0017 and 0.0013, from the random initial
# weights and shuffle); the goal is to keep it within ACC_TOLERANCE.
BASELINE_ACC = {32: 0.9593, 128: 0.9429}


def epoch_flops():
    """The epoch's product FLOPs (see the module docstring for what is counted)."""
    per_row = 3 * sum(i * o for i, o in LAYERS) - LAYERS[0][0] * LAYERS[0][1]
    return 2.0 * ROWS * per_row


def load_uint8():
    from rustgrad.keras.datasets import mnist

    (xtr, ytr), (xte, yte) = mnist.load_data()
    return xtr, ytr, xte, yte


def load(path):
    """The .npz the parent wrote, as float32 rows in [0, 1] and int64 labels."""
    with np.load(path) as d:
        xtr, ytr, xte, yte = (d[k] for k in ("xtr", "ytr", "xte", "yte"))

    def scale(images):
        out = images.reshape(len(images), 784).astype(np.float32)
        out /= 255.0  # in place: one float32 copy of the images, not two
        return out

    return (scale(xtr), ytr.astype(np.int64)), (scale(xte), yte.astype(np.int64))


def run_rustgrad(train, test, bs):
    import rustgrad as tf

    m = _models.mnist_mlp(tf.keras)
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

    m = _models.mnist_mlp(tf.keras)
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


def child(name, bs, data):
    """Measure one library at one batch size in this process; print JSON for the parent.

    Memory is the peak RSS while training above the RSS with the data loaded, sampled every 5 ms,
    so the data set itself (the same for everyone) does not hide the differences.
    """
    if name == "gemm":
        from _common import gemm_gflops

        print(json.dumps({"gflops": gemm_gflops(1024, repeats=9)}))
        return
    train, test = load(data)
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


def measure(name, bs, data):
    env = dict(os.environ)
    if (
        name == "numpy-1thread"
    ):  # OpenBLAS threads thrash at these small shapes on a busy 2-core box
        env["OPENBLAS_NUM_THREADS"] = "1"
    python = peer_python() if name in PEERS else sys.executable
    return run_child_in(python, __file__, name, bs, data, env=env)


def main():
    try:
        arrays = load_uint8()
    except Exception as e:  # noqa: BLE001 - no data means no benchmark, not a crash of `make bench`
        print(
            f"\nmnist_mlp: skipped, MNIST not found ({type(e).__name__}: {e}); set RUSTGRAD_DATASETS"
        )
        return None
    present, notes = peers(PEERS)
    # Quick mode leaves out NumPy on all BLAS threads: on a busy 2-core machine its threads thrash
    # and an epoch takes minutes, longer than all the other rows together.
    names = ["rustgrad", *([] if quick() else ["numpy"]), "numpy-1thread", *present]
    res, gemm = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "mnist.npz")
        np.savez(data, **dict(zip(("xtr", "ytr", "xte", "yte"), arrays)))
        for bs in BATCHES:
            gemm.append(measure("gemm", bs, data)["gflops"])
            for n in names:
                try:
                    res[n, bs] = measure(n, bs, data)
                except RuntimeError as e:
                    notes.append(f"{n} at batch {bs} failed: {str(e)[-500:]}")
    rate = statistics.median(gemm)
    flops = epoch_flops()
    limit = flops / (rate * 1e9)
    rows = []
    for bs in BATCHES:
        base = res.get(("rustgrad", bs))
        for n in names:
            r = res.get((n, bs))
            if r is None:
                continue
            rows.append(
                [
                    n,
                    bs,
                    f"{r['seconds']:.3f}",
                    f"{r['seconds'] / base['seconds']:.2f}" if base else "-",
                    f"{r['seconds'] / limit:.2f}",
                    f"{r['accuracy']:.4f}",
                    f"{r['train_mb']:.0f}",
                ]
            )
    title = f"(c) MNIST 784-128-10, Adam 1e-3, one epoch, median of {RUNS}"
    header = [
        "library",
        "batch",
        "s/epoch",
        "peer/rustgrad",
        "epoch/limit",
        "test acc",
        "train RSS MB",
    ]
    table(title, header, rows)
    print(
        f"compute limit: {flops / 1e9:.1f} GFLOP of products per epoch at rustgrad's GEMM rate "
        f"{rate:.0f} GFLOP/s (1024^2 f32; runs {', '.join(f'{g:.0f}' for g in gemm)}) "
        f"= {limit:.3f} s"
    )
    for bs in BATCHES:
        r = res.get(("rustgrad", bs))
        if r is None:
            continue
        x = r["seconds"] / limit
        verdict = "met" if x <= LIMIT_GOAL else "NOT met"
        print(f"goal batch {bs}: epoch <= {LIMIT_GOAL}x the limit: {x:.2f}x ({verdict})")
        print(f"  {accuracy_line(bs, r['accuracy'], res)}")
    for note in notes:
        print(f"note: {note}")
    return rows


def accuracy_line(bs, acc, res):
    """rustgrad's test accuracy against the recorded baseline (the goal) and NumPy's same loop."""
    base = BASELINE_ACC.get(bs)
    if base is None:
        text = f"test accuracy {acc:.4f} (no baseline recorded)"
    else:
        ok = "met" if abs(acc - base) <= ACC_TOLERANCE else "NOT met"
        text = (
            f"test accuracy {acc:.4f}, baseline {base:.4f} at 8a457a2: "
            f"{acc - base:+.4f} (goal within +-{ACC_TOLERANCE}, {ok})"
        )
    ref = res.get(("numpy", bs)) or res.get(("numpy-1thread", bs))
    if ref is not None:
        text += f"; NumPy's same loop {ref['accuracy']:.4f}"
    return text


if __name__ == "__main__":
    quick()
    if len(sys.argv) >= 5 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
