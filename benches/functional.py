"""The same networks built three ways (Sequential, functional, subclassed) trained by fit on MNIST:
a functional model of built-in layers runs on the Rust graph engine and should match Sequential;
a subclass with its own `call` runs on the eager (Tensor autograd) engine, shown for comparison.
Runs alternate between the ways, so a slow spell of the machine hits them alike; medians of RUNS."""

import statistics
import time

import _models
import numpy as np
from _common import table

RUNS = 5
CNN_SAMPLES = 12_000


def _mlp(way, keras):
    layers = keras.layers
    if way == "sequential":
        return _models.mnist_mlp(keras)
    if way == "functional":
        inp = keras.Input((784,))
        hidden, out = _models.mlp_layers(keras)
        return keras.Model(inp, out(hidden(inp)))

    class MLP(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden, self.out = layers.Dense(128, "relu"), layers.Dense(10, "softmax")

        def call(self, x):
            return self.out(self.hidden(x))

    return MLP()


def _cnn(way, keras):
    if way == "sequential":
        return _models.mnist_cnn(keras)
    inp = keras.Input((28, 28, 1))
    h = inp
    for layer in _models.cnn_layers(keras):
        h = layer(h)
    return keras.Model(inp, h)


def _epoch(build, x, y, bs):
    import rustgrad as tf

    m = build(tf.keras)
    m.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    m.predict(x[:bs], verbose=0)  # build outside the timing
    t = time.perf_counter()
    m.fit(x, y, batch_size=bs, epochs=1, verbose=0)
    return time.perf_counter() - t


def main():
    from rustgrad.keras.datasets import mnist

    try:
        (x, y), _ = mnist.load_data()
    except Exception as e:  # noqa: BLE001 - no data means no benchmark, not a crash of `make bench`
        print(f"\nfunctional: skipped, MNIST not found ({type(e).__name__}: {e})")
        return None
    x = x.astype(np.float32) / 255.0
    cases = [
        (
            "MLP batch 32",
            lambda w: lambda k: _mlp(w, k),
            x.reshape(-1, 784),
            32,
            ("sequential", "functional", "subclassed"),
        ),
        (
            "MLP batch 128",
            lambda w: lambda k: _mlp(w, k),
            x.reshape(-1, 784),
            128,
            ("sequential", "functional", "subclassed"),
        ),
        (
            "CNN batch 128",
            lambda w: lambda k: _cnn(w, k),
            x[:CNN_SAMPLES, :, :, None],
            128,
            ("sequential", "functional"),
        ),
    ]
    rows = []
    for name, make, data, bs, ways in cases:
        labels = y[: len(data)]
        times = {w: [] for w in ways}
        for _ in range(RUNS):
            for w in ways:
                times[w].append(_epoch(make(w), data, labels, bs))
        base = statistics.median(times["sequential"])
        for w in ways:
            med = statistics.median(times[w])
            rows.append([name, w, f"{med:.3f}", f"{med / base:.3f}"])
    table(
        f"(e) one epoch built three ways, median of {RUNS} (CNN on {CNN_SAMPLES} images)",
        ["model", "built as", "s/epoch", "vs Sequential"],
        rows,
    )
    return rows


if __name__ == "__main__":
    main()
