"""Assignment 2: the tutorial's MNIST network trained with seven optimizers, side by side.

Every run starts from the same initial weights and sees the batches in the same order, so the
optimizer is the only difference. Each uses Keras' default learning rate, the value a learner
tries first (Adagrad's 0.001 is notoriously slow; try --adagrad-lr 0.05 to see it catch up).
Table: final test accuracy, first epoch reaching 95% validation accuracy, seconds.
Plot: validation loss per epoch for all seven; and the paths five of them take on the Rosenbrock
function (rustgrad.viz.optimizer_paths), the picture of why they differ: momentum overshoots and
swings across the valley, RMSprop and Adam rescale its steep walls, plain SGD crawls.

Run:  python examples/compare_optimizers.py [--epochs N] [--quick] [--out DIR]
"""

from __future__ import annotations

import numpy as np
import rustgrad as tf
from _common import (
    Stopwatch,
    epoch_axis,
    first_epoch_reaching,
    load_mnist,
    parse_args,
    print_table,
    pyplot,
    save,
)

opt = tf.keras.optimizers


def optimizers(adagrad_lr: float) -> dict:
    """Fresh optimizer objects (they carry state, so one per run)."""
    return {
        "SGD": opt.SGD(),
        "SGD + momentum 0.9": opt.SGD(momentum=0.9),
        "Nesterov 0.9": opt.SGD(momentum=0.9, nesterov=True),
        "RMSprop": opt.RMSprop(),
        "Adagrad": opt.Adagrad(learning_rate=adagrad_lr),
        "Adam": opt.Adam(),
        "AdamW": opt.AdamW(),
    }


def rosenbrock_paths(out, steps: int):
    """Five optimizers from the same start on the Rosenbrock valley; each at a rate that neither
    diverges nor stalls there (SGD diverges above ~2e-3)."""
    paths = tf.viz.optimizer_paths(
        "rosenbrock",
        {
            "SGD 1e-3": opt.SGD(1e-3),
            "SGD + momentum 0.9, 1e-3": opt.SGD(1e-3, momentum=0.9),
            "Nesterov 0.9, 1e-3": opt.SGD(1e-3, momentum=0.9, nesterov=True),
            "RMSprop 1e-2": opt.RMSprop(1e-2),
            "Adam 5e-2": opt.Adam(5e-2),
        },
        steps=steps,
    )
    rows = [[name, *p[-1], float(np.hypot(*(p[-1] - 1.0)))] for name, p in paths.items()]
    print_table(
        ["optimizer", "x", "y", "distance to (1, 1)"],
        rows,
        title=f"Rosenbrock from (-1.5, 2) after {steps} steps",
        out=out,
    )
    fig = paths.plot(title=f"Optimizer paths on the Rosenbrock function ({steps} steps)")
    save(fig, out, "optimizer_paths")


def build_model():
    """The tutorial's section 4.2 network."""
    return tf.keras.models.Sequential(
        [
            tf.keras.layers.Flatten(input_shape=(28, 28)),
            tf.keras.layers.Dense(units=128, activation="relu"),
            tf.keras.layers.Dense(units=10, activation="softmax"),
        ]
    )


def main() -> int:
    def flags(p):
        p.add_argument("--epochs", type=int, default=None, help="per optimizer (default 10)")
        p.add_argument("--adagrad-lr", type=float, default=0.001, help="Keras' default: 0.001")

    args = parse_args(__doc__, "compare_optimizers", flags)
    epochs = args.epochs or (3 if args.quick else 10)
    plt = pyplot()
    (x_train, y_train), (x_test, y_test) = load_mnist(args.quick)
    print(f"{len(x_train)} training images (10% held out for validation), {epochs} epochs each")

    start_weights = build_model().get_weights()

    rows, curves = [], {}
    for name, optimizer in optimizers(args.adagrad_lr).items():
        model = build_model()
        model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
        model.set_weights(start_weights)
        np.random.seed(0)  # the same shuffles for every optimizer
        with Stopwatch() as clock:
            history = model.fit(
                x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.1, verbose=0
            )
        _, test_acc = model.evaluate(x_test, y_test, verbose=0)
        h = history.history
        curves[name] = h["val_loss"]
        reached = first_epoch_reaching(h["val_accuracy"], 0.95)
        rows.append([name, test_acc, h["val_loss"][-1], reached, f"{clock.seconds:.1f}"])
        print(f"{name:20s} test accuracy {test_acc:.4f}  ({clock.seconds:.1f} s)", flush=True)

    print_table(
        ["optimizer", "test accuracy", "final val loss", "epochs to 95% val acc", "seconds"],
        rows,
        title=f"MNIST, {len(x_train)} images, {epochs} epochs, batch 32",
        out=args.out,
    )

    fig, ax = plt.subplots(figsize=(8, 4.2))
    for name, losses in curves.items():
        ax.plot(range(1, len(losses) + 1), losses, marker="o", ms=3, label=name)
    ax.set_yscale("log")  # the spread between optimizers spans a decade
    plain = plt.FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    epoch_axis(ax)
    ax.set_ylabel("validation loss (cross-entropy)")
    ax.set_title(f"Optimizers on MNIST ({len(x_train)} images, Keras default learning rates)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    save(fig, args.out, "val_loss")
    rosenbrock_paths(args.out, 150 if args.quick else 500)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
