"""Data-parallel training: the MNIST MLP (784-128-10, Adam, 101 770 weights) at global batch 256,
1 rank x 2 threads against 2 ranks x 1 thread (mpiexec on loopback), in samples/s, with the time
the gradient Allreduce takes per step. `python benches/distributed.py`; needs rustgrad[mpi]."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BATCH, EPOCHS = 256, 3
ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_btl": "^ofi,uct",
    # A rank waiting in the Allreduce yields its core (2 shared vCPUs: spinning starved the other).
    "OMPI_MCA_mpi_yield_when_idle": os.environ.get("OMPI_MCA_mpi_yield_when_idle", "1"),
}


def worker() -> None:
    import rustgrad as tf
    from rustgrad import keras

    strategy = tf.distribute.MPIStrategy()
    (x, y), _ = keras.datasets.mnist.load_data()
    x = x.reshape(-1, 784).astype(np.float32) / 255
    with strategy.scope():
        m = keras.Sequential(
            [
                keras.Input((784,)),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(10),
            ]
        )
        m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    m.fit(x[: BATCH * 8], y[: BATCH * 8], batch_size=BATCH, verbose=0)  # warm-up
    best, calls, secs = float("inf"), 0, 0.0
    for _ in range(EPOCHS):
        c0, s0 = strategy.allreduce_calls, strategy.allreduce_seconds
        if strategy.distributed:
            strategy.comm.Barrier()
        t = time.perf_counter()
        m.fit(x, y, batch_size=BATCH, verbose=0)
        best = min(best, time.perf_counter() - t)
        calls, secs = strategy.allreduce_calls - c0, strategy.allreduce_seconds - s0
    if strategy.is_chief:
        us = 1e6 * secs / calls if calls else 0.0
        print(json.dumps({"samples_per_s": len(x) / best, "allreduce_us": us, "steps": calls}))


def launch(ranks: int, threads: int) -> dict:
    env = {**os.environ, **ENV, "RUSTGRAD_NUM_THREADS": str(threads)}
    cmd = [sys.executable, __file__, "--worker"]
    if ranks > 1:
        mpiexec = shutil.which(
            "mpiexec", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
        )
        cmd = [mpiexec, "-n", str(ranks), "--oversubscribe", "--bind-to", "none", *cmd]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    one, two = launch(1, 2), launch(2, 1)
    print(f"MNIST MLP, global batch {BATCH}, best of {EPOCHS} epochs of 60 000 samples")
    print(f"  1 rank  x 2 threads  {one['samples_per_s']:9.0f} samples/s")
    print(
        f"  2 ranks x 1 thread   {two['samples_per_s']:9.0f} samples/s  "
        f"({two['samples_per_s'] / one['samples_per_s']:.2f}x; allreduce "
        f"{two['allreduce_us']:.0f} us per step over {two['steps']} steps)"
    )


if __name__ == "__main__":
    worker() if "--worker" in sys.argv else main()
