"""Data-parallel training on loopback (mpiexec): the MNIST MLP (784-128-10, Adam, 101 770 weights)
at global batch 256 and the MNIST CNN of benches/mnist_cnn.py (conv32-pool-conv64-pool-dense128-
dense10, Adam, 225 034 weights) at global batch 64, each as 1 rank x 1 thread, 1 rank x 2 threads
and 2 ranks x 1 thread, in samples/s, with the time the gradient Allreduce takes per step.

Scaling efficiency = samples/s of 2 ranks x 1 thread / (2 x samples/s of 1 rank x 1 thread): 1.0
when two ranks do twice the work of one rank on one core. The three configurations are launched
in turn, `--runs` times (default 3), and each figure is the median over those runs (each run
reports the best of its timed passes). `python benches/distributed.py [--runs N] [--models mlp,cnn]`;
needs rustgrad[mpi] and the real MNIST.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# name: (global batch, training rows per timed pass, timed passes)
MODELS = {"mlp": (256, 60_000, 3), "cnn": (64, 12_800, 2)}
CONFIGS = [(1, 1), (1, 2), (2, 1)]  # (ranks, threads per rank)
ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_btl": "^ofi,uct",
    # A rank waiting in the Allreduce yields its core (2 shared vCPUs: spinning starved the other).
    "OMPI_MCA_mpi_yield_when_idle": os.environ.get("OMPI_MCA_mpi_yield_when_idle", "1"),
}


def build(name: str):
    """The model `name` ("mlp" or "cnn"), compiled with Adam."""
    from rustgrad import keras

    L = keras.layers
    if name == "mlp":
        layers = [keras.Input((784,)), L.Dense(128, activation="relu"), L.Dense(10)]
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    else:
        layers = [keras.Input((28, 28, 1))]
        for filters in (32, 64):
            layers += [L.Conv2D(filters, (3, 3), activation="relu"), L.MaxPooling2D((2, 2))]
        layers += [L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")]
        loss = "sparse_categorical_crossentropy"
    m = keras.Sequential(layers)
    m.compile(keras.optimizers.Adam(1e-3), loss)
    return m


def worker(name: str) -> None:
    """One rank: train `name` for the timed passes and (on the chief) print the JSON figures."""
    import rustgrad as tf
    from rustgrad import keras

    batch, rows, passes = MODELS[name]
    strategy = tf.distribute.MPIStrategy()
    (x, y), _ = keras.datasets.mnist.load_data()
    x = x[:rows].astype(np.float32) / 255
    x, y = (x.reshape(-1, 784) if name == "mlp" else x[..., None]), y[:rows]
    with strategy.scope():
        m = build(name)
    m.fit(x[: batch * 8], y[: batch * 8], batch_size=batch, verbose=0)  # warm-up
    best, calls, secs = float("inf"), 0, 0.0
    for _ in range(passes):
        c0, s0 = strategy.allreduce_calls, strategy.allreduce_seconds
        if strategy.distributed:
            strategy.comm.Barrier()
        t = time.perf_counter()
        m.fit(x, y, batch_size=batch, verbose=0)
        elapsed = time.perf_counter() - t
        if elapsed < best:
            best = elapsed
            calls, secs = strategy.allreduce_calls - c0, strategy.allreduce_seconds - s0
    alone = allreduce_alone(strategy, m.count_params() + 1) if strategy.distributed else 0.0
    if strategy.is_chief:
        ms = 1e3 * secs / calls if calls else 0.0
        print(
            json.dumps(
                {
                    "samples_per_s": len(x) / best,
                    "allreduce_ms": ms,
                    "steps": calls,
                    "alone_ms": alone,
                }
            )
        )


def allreduce_alone(strategy, size: int, reps: int = 50) -> float:
    """Median ms of one Allreduce of a gradient-sized buffer with no training around it (the
    figure during fit adds the wait for the slower rank)."""
    MPI, buf, times = strategy._MPI, np.ones(size, np.float32), []
    for _ in range(reps):
        strategy.comm.Barrier()
        t = time.perf_counter()
        strategy.comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


def launch(name: str, ranks: int, threads: int) -> dict:
    """Run the worker on `ranks` ranks of `threads` threads each; its JSON figures."""

    env = {**os.environ, **ENV, "RUSTGRAD_NUM_THREADS": str(threads)}
    cmd = [sys.executable, __file__, "--worker", name]
    if ranks > 1:
        mpiexec = shutil.which(
            "mpiexec", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
        )
        cmd = [mpiexec, "-n", str(ranks), "--oversubscribe", "--bind-to", "none", *cmd]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(name: str, runs: dict) -> None:
    """Print the medians of `runs` ({(ranks, threads): [figures]}) and the scaling efficiency."""

    batch, rows, passes = MODELS[name]
    med = {c: statistics.median(r["samples_per_s"] for r in rs) for c, rs in runs.items()}
    n = len(runs[CONFIGS[0]])
    print(
        f"\nMNIST {name.upper()}, global batch {batch}, {rows} samples per pass, best of "
        f"{passes} passes per run, median (min-max) of {n} runs"
    )
    for c, rs in runs.items():
        rates = [r["samples_per_s"] for r in rs]
        line = f"  {c[0]} rank{'s' if c[0] > 1 else ' '} x {c[1]} thread{'s' if c[1] > 1 else ' '}"
        line += f"  {med[c]:8.0f} samples/s ({min(rates):.0f}-{max(rates):.0f})"
        if c[0] > 1:
            ms = statistics.median(r["allreduce_ms"] for r in rs)
            alone = statistics.median(r["alone_ms"] for r in rs)
            line += f"  allreduce {ms:.2f} ms/step in fit ({alone:.2f} alone)"
        print(line)
    eff = med[(2, 1)] / (2 * med[(1, 1)])
    print(
        f"  scaling efficiency {eff:.2f} (2 ranks x 1 thread / 2 x (1 rank x 1 thread)); "
        f"2 ranks x 1 thread at {med[(2, 1)] / med[(1, 2)]:.2f}x of 1 rank x 2 threads"
    )


def main() -> None:
    """Parse the arguments, launch every configuration `--runs` times, report."""

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="launches of each configuration")
    p.add_argument("--models", default="mlp,cnn", help="comma-separated: mlp, cnn")
    args = p.parse_args()
    names = [n.strip() for n in args.models.split(",")]
    unknown = [n for n in names if n not in MODELS]
    if unknown or args.runs < 1:
        p.error(f"--models takes {sorted(MODELS)} (got {unknown}); --runs must be >= 1")
    for name in names:
        runs = {c: [] for c in CONFIGS}
        for _ in range(args.runs):  # interleaved, so a busy spell hits every configuration
            for c in CONFIGS:
                runs[c].append(launch(name, *c))
        report(name, runs)


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker(sys.argv[sys.argv.index("--worker") + 1])
    else:
        main()
