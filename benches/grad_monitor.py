"""The cost of keras.callbacks.GradientMonitor on the graph engine: one epoch of the tutorial's
MNIST MLP (784-128-10, Adam, batch 128) without the monitor, with it at every=1 (every step
measured) and at every=10. Runs alternate between the three so a slow spell of the shared machine
hits them alike; medians of RUNS epochs, each from the same initial weights."""

import statistics
import time

import numpy as np
from _common import table

RUNS = 11
BATCH = 128


def _model(tf, weights):
    m = tf.keras.Sequential(
        [
            tf.keras.layers.Dense(128, activation="relu", input_shape=(784,)),
            tf.keras.layers.Dense(10, activation="softmax"),
        ]
    )
    m.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    if weights is not None:
        m.set_weights(weights)
    return m


def _epoch(tf, weights, x, y, every):
    m = _model(tf, weights)
    cbs = [] if every is None else [tf.keras.callbacks.GradientMonitor(every=every)]
    t = time.perf_counter()
    m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, callbacks=cbs, shuffle=False)
    return time.perf_counter() - t


def main():
    import rustgrad as tf
    from rustgrad.keras.datasets import mnist

    try:
        (x, y), _ = mnist.load_data()
    except Exception as e:  # noqa: BLE001 - no data means no benchmark, not a crash of `make bench`
        print(f"\ngrad_monitor: skipped, MNIST not found ({type(e).__name__}: {e})")
        return None
    x = x.reshape(len(x), 784).astype(np.float32) / 255.0
    y = y.astype(np.int64)
    weights = _model(tf, None).get_weights()
    cases = {"off": None, "every=1": 1, "every=10": 10}
    times = {k: [] for k in cases}
    _epoch(tf, weights, x, y, None)  # warm-up: caches, thread pool
    for _ in range(RUNS):
        for name, every in cases.items():
            times[name].append(_epoch(tf, weights, x, y, every))
    base = statistics.median(times["off"])
    rows = []
    for name in cases:
        med = statistics.median(times[name])
        rows.append([name, f"{med:.3f}", f"{med / base:.3f}", f"{100 * (med / base - 1):+.1f}%"])
    table(
        f"GradientMonitor, MNIST MLP batch {BATCH}, one epoch, median of {RUNS}",
        ["monitor", "seconds", "vs off", "cost"],
        rows,
    )
    return {name: statistics.median(t) for name, t in times.items()}


if __name__ == "__main__":
    main()
