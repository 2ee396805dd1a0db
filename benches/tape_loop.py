"""A training loop by hand: one epoch of the tutorial's MNIST MLP (784-128 relu-10, Adam 1e-3,
batch 32, sparse categorical cross-entropy from logits, 60 000 images scaled to [0, 1]).

Rows, each library in its own child process, each the median of RUNS epochs (a fresh model per
run, the same shuffled order for all) with the test accuracy after the last run:

- rustgrad tape (TF dialect): `import rustgrad as tf`, a Keras Sequential, `tf.GradientTape`,
  `tape.gradient`, `optimizer.apply_gradients`; the very function that the TensorFlow rows run.
- rustgrad backward (PyTorch dialect): leaf Tensors with requires_grad, `loss.backward()`, the
  loss as `-logits.log_softmax(-1)[arange, y].mean()` (what F.cross_entropy computes) and the
  Keras Adam's `apply_gradients` on the `.grad`s (README's recipe; it clears `.grad`).
- rustgrad fit: the same model and loss through `model.fit` (no Python per batch): the reference.
- numpy: forward, backward and Adam by hand (mnist_mlp's loop); always present. One BLAS thread:
  two thrash at these small shapes on a busy 2-core machine (mnist_mlp shows both).
- pytorch: torch.nn.Linear, F.cross_entropy, torch.optim.Adam, default thread count; and again
  with torch.set_num_threads(1), since its two threads thrash when another process holds a core.
- tensorflow eager, and the same step under tf.function.

Peers are not project dependencies. They are imported by $RUSTGRAD_PEER_PYTHON when set (a venv
outside the project holding torch / tensorflow and numpy; rustgrad is not needed there), else by
this interpreter; a peer that does not import is left out. MNIST is read once by rustgrad's loader
(the dataset search path, e.g. $RUSTGRAD_DATASETS) and handed to every child as a .npz file.

    RUSTGRAD_PEER_PYTHON=/work/peers/bin/python python benches/tape_loop.py
"""

import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np
from _common import cpu_model, has_module, peer_python, run_child_in, table

RUNS = 3
BATCH = 32


def load_uint8():
    from rustgrad.keras.datasets import mnist

    (xtr, ytr), (xte, yte) = mnist.load_data()
    return xtr, ytr, xte, yte


def load_npz(path):
    with np.load(path) as d:
        arrays = [d[k] for k in ("xtr", "ytr", "xte", "yte")]

    def scale(images):
        out = images.reshape(len(images), 784).astype(np.float32)
        out /= 255.0
        return out

    xtr, ytr, xte, yte = arrays
    return (scale(xtr), ytr.astype(np.int64)), (scale(xte), yte.astype(np.int64))


def _accuracy(logits, labels):
    return float(np.mean(np.asarray(logits).argmax(1) == labels))


def keras_loop(tf, train, test, seed, compiled=False):
    """The Keras guide's "training loop from scratch", for rustgrad (`import rustgrad as tf`) and
    TensorFlow alike."""
    (x, y), (xt, yt) = train, test
    model = tf.keras.Sequential(
        [
            tf.keras.Input((784,)),
            tf.keras.layers.Dense(128, activation="relu"),
            tf.keras.layers.Dense(10),
        ]
    )
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = tf.keras.optimizers.Adam(1e-3)

    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            loss = loss_fn(yb, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    if compiled:
        train_step = tf.function(train_step)
    order = np.random.default_rng(seed).permutation(len(x))
    t = time.perf_counter()
    for s in range(0, len(x), BATCH):
        idx = order[s : s + BATCH]
        xb, yb = x[idx], y[idx]
        if compiled:  # tensors, so that tf.function traces once
            xb, yb = tf.convert_to_tensor(xb), tf.convert_to_tensor(yb)
        train_step(xb, yb)
    seconds = time.perf_counter() - t
    return seconds, _accuracy(model(xt, training=False), yt)


def run_rustgrad_tape(train, test, seed):
    import rustgrad as tf

    return keras_loop(tf, train, test, seed)


def run_rustgrad_backward(train, test, seed):
    """What a PyTorch user writes with rustgrad: leaf tensors, backward(), an optimizer step."""
    import rustgrad as rg

    (x, y), (xt, yt) = train, test
    rg.manual_seed(seed)

    def linear(n_in, n_out):  # torch.nn.Linear's init: U(-1/sqrt(n_in), 1/sqrt(n_in))
        bound = 1.0 / np.sqrt(n_in)
        w = (rg.rand(n_in, n_out) * (2 * bound) - bound).requires_grad_()
        b = (rg.rand(n_out) * (2 * bound) - bound).requires_grad_()
        return w, b

    w1, b1 = linear(784, 128)
    w2, b2 = linear(128, 10)
    params = [w1, b1, w2, b2]
    opt = rg.keras.optimizers.Adam(1e-3)
    rows = np.arange(BATCH)
    order = np.random.default_rng(seed).permutation(len(x))
    t = time.perf_counter()
    for s in range(0, len(x), BATCH):
        idx = order[s : s + BATCH]
        xb, yb = rg.from_numpy(x[idx]), y[idx]
        logits = (xb @ w1 + b1).relu() @ w2 + b2
        loss = -logits.log_softmax(-1)[rows[: len(idx)], yb].mean()
        loss.backward()
        opt.apply_gradients(zip([p.grad for p in params], params))
    seconds = time.perf_counter() - t
    with rg.no_grad():
        logits = (rg.from_numpy(xt) @ w1 + b1).relu() @ w2 + b2
    return seconds, _accuracy(logits, yt)


def run_rustgrad_fit(train, test, seed):
    import rustgrad as tf

    (x, y), (xt, yt) = train, test
    model = tf.keras.Sequential(
        [
            tf.keras.Input((784,)),
            tf.keras.layers.Dense(128, activation="relu"),
            tf.keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=tf.keras.optimizers.Adam(1e-3),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    t = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    seconds = time.perf_counter() - t
    return seconds, _accuracy(model(xt, training=False), yt)


def run_numpy(train, test, seed):
    from mnist_mlp import run_numpy as loop

    return loop(train, test, BATCH, seed=seed)


def run_torch(train, test, seed):
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    if os.environ.get("TAPE_LOOP_ONE_THREAD"):
        torch.set_num_threads(1)
    (x, y), (xt, yt) = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in (train, test)]
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)  # Keras' epsilon
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(x)))
    t = time.perf_counter()
    for s in range(0, len(x), BATCH):
        idx = order[s : s + BATCH]
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - t
    with torch.no_grad():
        return seconds, _accuracy(net(xt).numpy(), yt.numpy())


def run_tf_eager(train, test, seed):
    import tensorflow as tf

    return keras_loop(tf, train, test, seed)


def run_tf_function(train, test, seed):
    import tensorflow as tf

    return keras_loop(tf, train, test, seed, compiled=True)


# name -> (runner, module the child needs, whether it runs in the peer interpreter)
ROWS = {
    "rustgrad tape (TF dialect)": (run_rustgrad_tape, "rustgrad", False),
    "rustgrad backward (PyTorch dialect)": (run_rustgrad_backward, "rustgrad", False),
    "rustgrad fit": (run_rustgrad_fit, "rustgrad", False),
    "numpy (1 BLAS thread)": (run_numpy, "numpy", False),
    "pytorch eager": (run_torch, "torch", True),
    "pytorch eager, 1 thread": (run_torch, "torch", True),
    "tensorflow eager": (run_tf_eager, "tensorflow", True),
    "tensorflow tf.function": (run_tf_function, "tensorflow", True),
}
BASE = "rustgrad tape (TF dialect)"


def child(name, data):
    train, test = load_npz(data)
    runner = ROWS[name][0]
    results = [runner(train, test, seed) for seed in range(RUNS)]
    versions = {}
    for mod in ("torch", "tensorflow"):
        if mod in sys.modules:
            versions[mod] = sys.modules[mod].__version__
    out = {
        "seconds": statistics.median(r[0] for r in results),
        "all": [r[0] for r in results],
        "accuracy": results[-1][1],
        "versions": versions,
    }
    print(json.dumps(out))


def main():
    try:
        arrays = load_uint8()
    except Exception as e:  # noqa: BLE001 - no data means no benchmark, not a crash of `make bench`
        print(
            f"\ntape_loop: skipped, MNIST not found ({type(e).__name__}: {e}); set RUSTGRAD_DATASETS"
        )
        return None
    peer = peer_python()
    names, missing = [], []
    for name, (_, module, in_peer) in ROWS.items():
        if not in_peer or has_module(peer, module):
            names.append(name)
        elif module not in missing:
            missing.append(module)
    res, versions = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "mnist.npz")
        np.savez(data, **dict(zip(("xtr", "ytr", "xte", "yte"), arrays)))
        for name in names:
            python = peer if ROWS[name][2] else sys.executable
            env = None
            if name.startswith("numpy"):
                env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
            elif name.endswith("1 thread"):
                env = {**os.environ, "TAPE_LOOP_ONE_THREAD": "1"}
            try:
                res[name] = run_child_in(python, __file__, name, data, env=env)
            except RuntimeError as e:
                print(f"tape_loop: {name} failed: {e}")
                continue
            versions.update(res[name]["versions"])
    base = res[BASE]["seconds"] if BASE in res else None
    rows = []
    for name, r in res.items():
        ratio = f"{r['seconds'] / base:.2f}" if base else "-"
        rows.append(
            [
                name,
                f"{r['seconds']:.3f}",
                " ".join(f"{s:.2f}" for s in r["all"]),
                f"{r['seconds'] / (60000 // BATCH) * 1e3:.3f}",
                ratio,
                f"{r['accuracy']:.4f}",
            ]
        )
    title = f"(f) MNIST 784-128-10 by hand, Adam 1e-3, batch {BATCH}, one epoch, median of {RUNS}"
    if missing:
        title += f" ({', '.join(missing)} not installed)"
    print(f"\nCPU: {cpu_model()}")
    if versions:
        print("peers: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    header = ["loop", "s/epoch", "runs (s)", "ms/step", "peer/rustgrad tape", "test acc"]
    table(title, header, rows)
    if base and "pytorch eager" in res:
        x = res["pytorch eager"]["seconds"] / base
        verdict = "met" if x >= 3 else "not met"
        print(f"goal: rustgrad tape loop >= 3x faster than PyTorch's loop: {x:.2f}x ({verdict})")
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
