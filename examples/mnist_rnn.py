"""MNIST read row by row: each image is a sequence of 28 steps of 28 pixels, classified by a
SimpleRNN, an LSTM, a GRU and a Bidirectional LSTM of 64 units, with `import rustgrad as tf`.

The state must carry what the early rows showed to the last step, which is what the gates of
the LSTM and GRU are for: they learn in fewer epochs than the SimpleRNN.
Plot: validation accuracy per epoch of each network. Table: test accuracy and training time.

Run:  python examples/mnist_rnn.py [--epochs N] [--quick] [--out DIR]
"""

from __future__ import annotations

import time

import rustgrad as tf
from _common import epoch_axis, load_mnist, parse_args, print_table, pyplot, save

LAYERS = {
    "SimpleRNN": lambda: tf.keras.layers.SimpleRNN(64),
    "LSTM": lambda: tf.keras.layers.LSTM(64),
    "GRU": lambda: tf.keras.layers.GRU(64),
    "Bidirectional LSTM": lambda: tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(32)),
}


def main() -> int:
    args = parse_args(
        __doc__,
        "mnist_rnn",
        lambda p: p.add_argument("--epochs", type=int, default=None, help="default 3 (quick: 3)"),
    )
    epochs = args.epochs or 3
    plt = pyplot()
    (x_train, y_train), (x_test, y_test) = load_mnist(args.quick, n_quick=6000)
    rows, curves = [], {}
    for name, layer in LAYERS.items():
        model = tf.keras.Sequential(
            [
                tf.keras.Input((28, 28)),  # 28 steps (rows) of 28 features (pixels)
                layer(),
                tf.keras.layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile(
            optimizer=tf.keras.optimizers.Adam(1e-3),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        start = time.perf_counter()
        history = model.fit(
            x_train, y_train, epochs=epochs, batch_size=64, validation_split=0.1, verbose=0
        )
        seconds = time.perf_counter() - start
        _, accuracy = model.evaluate(x_test, y_test, verbose=0)
        curves[name] = history.history["val_accuracy"]
        rows.append([name, model.count_params(), accuracy, seconds])
        print(f"{name}: test accuracy {accuracy:.4f} after {epochs} epochs ({seconds:.1f} s)")
    print_table(
        ["network", "parameters", "test accuracy", "training seconds"],
        rows,
        title=f"MNIST as 28 steps of 28 pixels, {len(x_train)} training images, {epochs} epochs",
        out=args.out,
    )
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, acc in curves.items():
        ax.plot(range(1, epochs + 1), acc, marker="o", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.set_title("MNIST row by row: recurrent layers of 64 units, Adam 1e-3")
    epoch_axis(ax)
    ax.legend()
    fig.tight_layout()
    save(fig, args.out, "val_accuracy")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
