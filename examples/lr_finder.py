"""The learning-rate range test on MNIST: which learning rate is sane, found in one short run.

`model.lr_find` trains for at most 100 batches while the rate grows from 1e-7 to 10, smooths the
loss and stops once it blows up; the suggestion is the rate where the loss falls fastest (PyTorch
Lightning's rule). The model is left exactly as it was; then the same initial weights train at
Keras' default rate (0.01) and at the suggested one. Plain SGD is used because it is the optimizer whose rate matters
most. A GradientMonitor watches each layer's gradients during that training.
Plots: the loss against the rate (lr_find.png) and the per-layer gradient norms (gradients.png).

Run:  python examples/lr_finder.py [--epochs N] [--quick] [--out DIR]
"""

from __future__ import annotations

import rustgrad as tf
from _common import load_mnist, parse_args, print_table, pyplot, save


def build_model():
    """The tutorial's section 4.2 network, with plain SGD."""
    model = tf.keras.models.Sequential(
        [
            tf.keras.layers.Flatten(input_shape=(28, 28)),
            tf.keras.layers.Dense(units=128, activation="relu"),
            tf.keras.layers.Dense(units=10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=tf.keras.optimizers.SGD(), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def main() -> int:
    def flags(p):
        p.add_argument("--epochs", type=int, default=None, help="training epochs (default 5)")

    args = parse_args(__doc__, "lr_finder", flags)
    epochs = args.epochs or (2 if args.quick else 5)
    pyplot()  # the Agg backend, before any figure is drawn
    (x_train, y_train), (x_test, y_test) = load_mnist(args.quick)
    model = build_model()
    start_weights = model.get_weights()

    found = model.lr_find(x_train, y_train, start_lr=1e-7, end_lr=10.0, num_steps=100)
    lr = found.suggestion
    stop = "diverged" if found.diverged else "reached end_lr"
    print(f"lr_find: {len(found.lrs)} steps ({stop}), suggested learning rate {lr:.3g}")
    fig = found.plot(title=f"MNIST, SGD: suggested learning rate {lr:.3g}")
    save(fig, args.out, "lr_find")

    rows = []
    for name, rate in (("Keras' default", 0.01), ("lr_find's suggestion", lr)):
        model = build_model()
        model.set_weights(start_weights)  # both runs start where lr_find started
        model.optimizer.learning_rate = rate
        monitor = tf.keras.callbacks.GradientMonitor(every=10)
        model.fit(
            x_train, y_train, epochs=epochs, batch_size=32, verbose=0, callbacks=[monitor]
        )  # fmt: skip
        _, acc = model.evaluate(x_test, y_test, verbose=0)
        rows.append([name, rate, acc])
        print(f"{name}: learning rate {rate:.3g}, test accuracy {acc:.4f}", flush=True)
    save(
        monitor.plot(title=f"per-layer gradients at learning rate {lr:.3g}"), args.out, "gradients"
    )
    print_table(
        ["learning rate", "value", "test accuracy"],
        rows,
        title=f"MNIST, {len(x_train)} images, SGD, {epochs} epochs, batch 32",
        out=args.out,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
