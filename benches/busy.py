"""A busy machine: one MNIST epoch with one core held by another process, rustgrad's default
thread policy against RUSTGRAD_NUM_THREADS=1, and the same two on the idle machine.

The load is a Python process spinning in a loop, started here before the busy runs and killed in a
`finally`. Each measurement is a fresh interpreter training a fresh model for one epoch (after a
short warm-up fit of another model, so the pool and the data are ready); the four settings are
interleaved ROUNDS times and the medians are compared, so a slow spell of the shared machine falls on
every setting alike.
"""

import json
import os
import statistics
import subprocess
import sys
import time

import _models
import numpy as np
from _common import cpu_model, table

ROUNDS = int(os.environ.get("BUSY_ROUNDS", "5"))
MODELS = {"mlp": 128, "cnn": 64, "mlp32": 32}  # model: batch size (mlp32 on request)
DEFAULT_MODELS = "mlp,cnn"
CNN_SAMPLES = 6400  # 100 CNN batches per timed epoch
SETTINGS = (
    ("idle", "1"),
    ("idle", "default"),
    ("busy", "1"),
    ("busy", "default"),
)


def load(model):
    from rustgrad.keras.datasets import mnist

    (x, y), _ = mnist.load_data()
    if model == "cnn":
        x, y = x[:CNN_SAMPLES, :, :, None], y[:CNN_SAMPLES]
    else:
        x = x.reshape(len(x), 784)
    return x.astype(np.float32) / 255.0, y.astype(np.int64)


def build(model):
    import rustgrad as tf

    tf.keras.utils.set_random_seed(0)
    m = (_models.mnist_cnn if model == "cnn" else _models.mnist_mlp)(tf.keras)
    m.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return m


def child(model):
    """One timed epoch of a fresh model in this process; prints JSON for the parent."""
    x, y = load(model)
    bs = MODELS[model]
    build(model).fit(x[: bs * 8], y[: bs * 8], batch_size=bs, epochs=1, verbose=0)  # warm-up
    m = build(model)
    t = time.perf_counter()
    hist = m.fit(x, y, batch_size=bs, epochs=1, verbose=0, shuffle=False)
    seconds = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "loss": hist.history["loss"][-1]}))


def spinner():
    """A process that holds one core until killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def measure(model, threads):
    env = dict(os.environ)
    env.pop("RUSTGRAD_NUM_THREADS", None)
    if threads != "default":
        env["RUSTGRAD_NUM_THREADS"] = threads
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", model],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    try:
        load("mlp")
    except Exception as e:  # noqa: BLE001 - no data means no benchmark, not a crash of `make bench`
        print(f"\nbusy: skipped, MNIST not found ({type(e).__name__}: {e}); set RUSTGRAD_DATASETS")
        return None
    only = os.environ.get("BUSY_MODELS", DEFAULT_MODELS).split(",")
    times = {(m, s): [] for m in only for s in SETTINGS}
    losses = {}
    for _ in range(ROUNDS):
        for model in only:
            for load_, threads in SETTINGS:
                load_proc = spinner() if load_ == "busy" else None
                try:
                    if load_proc is not None:
                        time.sleep(0.2)  # the spinner is running before the epoch starts
                    r = measure(model, threads)
                finally:
                    if load_proc is not None:
                        load_proc.kill()
                        load_proc.wait()
                times[(model, (load_, threads))].append(r["seconds"])
                losses.setdefault((model, threads), set()).add(round(r["loss"], 6))
    rows = []
    med = {k: statistics.median(v) for k, v in times.items()}
    for model in only:
        for load_ in ("idle", "busy"):
            one, default = med[(model, (load_, "1"))], med[(model, (load_, "default"))]
            spread = times[(model, (load_, "default"))]
            rows.append(
                [
                    f"{model} batch {MODELS[model]}, {load_}",
                    f"{one:.3f} s",
                    f"{default:.3f} s ({min(spread):.3f}-{max(spread):.3f})",
                    f"{one / default:.2f}x",
                ]
            )
    table(
        f"Busy machine: one epoch, medians of {ROUNDS} interleaved runs ({cpu_model()}); "
        "busy = one core held by a spinning process",
        ["work", "1 thread", "default (range)", "1 thread / default"],
        rows,
    )
    for (model, threads), seen in sorted(losses.items()):
        print(f"  {model} threads={threads}: final loss {sorted(seen)}")
    return med


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
