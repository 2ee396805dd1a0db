"""Assignment 5: a convolutional network on CIFAR-10, and how learning rate and batch size matter.

A small CNN (two Conv2D + MaxPooling2D blocks, then Dense layers) is trained once per cell of a
learning-rate × batch-size grid with Adam, from the same initial weights each time: a
rustgrad.tuner.GridSearch (KerasTuner's API) walks the grid, the batch size chosen in
HyperModel.fit; the trials are stored under --out/tuner/.
Table: validation accuracy at the best epoch, the test accuracy of that epoch's weights and seconds
per run; plot: validation accuracy per epoch, one panel per batch size, one line per learning rate.

CIFAR-10 (163 MB) is read from $RUSTGRAD_DATASETS or ~/.rustgrad/datasets; when it is not there the
script says how to get it and exits with status 2 (pass --download to fetch it from the publisher).
`--dataset fashion_mnist` runs the same study on Fashion-MNIST (28×28 grey clothing photos;
`apt-get install dataset-fashion-mnist`), and `--quick` uses it on a small slice.

Run:  python examples/cnn_cifar10.py [--dataset cifar10|fashion_mnist] [--epochs N] [--download]
                                     [--limit N] [--quick] [--out DIR]
"""

from __future__ import annotations

import sys

import numpy as np
import rustgrad as tf
from _common import epoch_axis, parse_args, print_table, pyplot, save
from rustgrad import tuner as kt
from rustgrad.datasets import DatasetNotFoundError

LAYERS = tf.keras.layers


def load(dataset: str, download: bool, limit: int | None, path=None):
    """Images as float32 in [0, 1] with a channel axis (NHWC), labels one-hot; `path` is a folder
    holding the dataset (default: the usual search, see rustgrad.datasets)."""
    loader = getattr(tf.keras.datasets, dataset).load_data
    kwargs = {"path": path} if path is not None else {}
    if dataset == "cifar10":
        kwargs["download"] = download
    (x_train, y_train), (x_test, y_test) = loader(**kwargs)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
        x_test, y_test = x_test[: limit // 2], y_test[: limit // 2]
    if x_train.ndim == 3:  # grey images: add the single channel Conv2D expects
        x_train, x_test = x_train[..., None], x_test[..., None]
    to_onehot = tf.keras.utils.to_categorical
    return (
        (x_train.astype("float32") / 255.0, to_onehot(y_train, 10)),
        (x_test.astype("float32") / 255.0, to_onehot(y_test, 10)),
    )


def build_cnn(input_shape: tuple) -> object:
    """conv → pool → conv → pool → dense: each pooling halves the image, each conv doubles filters."""
    return tf.keras.models.Sequential(
        [
            LAYERS.Conv2D(16, 3, padding="same", activation="relu", input_shape=input_shape),
            LAYERS.MaxPooling2D(2),
            LAYERS.Conv2D(32, 3, padding="same", activation="relu"),
            LAYERS.MaxPooling2D(2),
            LAYERS.Flatten(),
            LAYERS.Dense(64, activation="relu"),
            LAYERS.Dense(10, activation="softmax"),
        ]
    )


class Sweep(kt.HyperModel):
    """The CNN with Adam at the grid's learning rate (build) and batch size (fit)."""

    def __init__(self, input_shape: tuple, rates: list, batches: list) -> None:
        super().__init__()
        self.input_shape, self.rates, self.batches = input_shape, rates, batches
        self.start = build_cnn(input_shape).get_weights()

    def build(self, hp):
        model = build_cnn(self.input_shape)
        model.set_weights(self.start)  # every run starts from the same weights
        model.compile(
            optimizer=tf.keras.optimizers.Adam(learning_rate=hp.Choice("lr", self.rates)),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def fit(self, hp, model, *args, **kwargs):
        return model.fit(*args, batch_size=hp.Choice("batch_size", self.batches), **kwargs)


def main() -> int:
    def flags(p):
        p.add_argument("--dataset", choices=["cifar10", "fashion_mnist"], default=None)
        p.add_argument("--epochs", type=int, default=None, help="per run (default 5; quick: 2)")
        p.add_argument("--limit", type=int, default=None, help="use only the first N train images")
        p.add_argument("--download", action="store_true", help="fetch CIFAR-10 if it is missing")

    args = parse_args(__doc__, "cnn_cifar10", flags)
    dataset = args.dataset or ("fashion_mnist" if args.quick else "cifar10")
    epochs = args.epochs or (2 if args.quick else 5)
    limit = args.limit or (1000 if args.quick else None)
    # The grid: three learning rates a decade apart around Adam's default, two batch sizes.
    rates = [1e-3, 3e-3] if args.quick else [3e-4, 1e-3, 3e-3]
    batches = [32, 128]
    plt = pyplot()

    try:
        (x_train, y_train), (x_test, y_test) = load(dataset, args.download, limit)
    except DatasetNotFoundError as exc:
        print(exc, file=sys.stderr)
        print(
            "\nTo get CIFAR-10: rerun with --download (163 MB from www.cs.toronto.edu), or extract\n"
            "cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html into a folder\n"
            "and set RUSTGRAD_DATASETS to it. To run the same study now without it:\n"
            "  python examples/cnn_cifar10.py --dataset fashion_mnist",
            file=sys.stderr,
        )
        return 2
    print(f"{dataset}: {len(x_train)} training images of shape {x_train.shape[1:]}")

    tuner = kt.GridSearch(
        Sweep(x_train.shape[1:], rates, batches), objective="val_accuracy", seed=0,
        directory=args.out / "tuner", project_name=dataset, overwrite=True,
    )  # fmt: skip
    tuner.search(x_train, y_train, epochs=epochs, validation_split=0.1, verbose=0)
    rows, curves = [], {}
    for trial in tuner.oracle.trials_in(kt.TrialStatus.COMPLETED):
        lr, batch = trial.hyperparameters["lr"], trial.hyperparameters["batch_size"]
        _, test_acc = tuner.load_model(trial).evaluate(x_test, y_test, verbose=0)
        curves[(batch, lr)] = trial.history[0]["val_accuracy"]
        rows.append([f"{lr:g}", batch, trial.score, trial.best_step + 1, test_acc,
                     f"{trial.seconds:.1f}"])  # fmt: skip
        print(f"lr {lr:g}, batch {batch}: test accuracy {test_acc:.4f}", flush=True)

    print_table(
        ["learning rate", "batch size", "val accuracy", "best epoch", "test accuracy", "seconds"],
        rows,
        title=f"CNN on {dataset}: {len(x_train)} images, {epochs} epochs, Adam",
        out=args.out,
    )
    best = max(rows, key=lambda r: r[4])
    print(f"best: learning rate {best[0]}, batch size {best[1]}: test accuracy {best[4]:.4f}")

    fig, axes = plt.subplots(1, len(batches), figsize=(5 * len(batches), 3.8), sharey=True)
    for ax, batch in zip(np.atleast_1d(axes), batches):
        for lr in rates:
            values = curves[(batch, lr)]
            ax.plot(range(1, len(values) + 1), values, marker="o", ms=3, label=f"lr {lr:g}")
        ax.set_title(f"batch size {batch}")
        epoch_axis(ax)
        ax.grid(alpha=0.3)
        ax.legend()
    np.atleast_1d(axes)[0].set_ylabel("validation accuracy")
    fig.suptitle(f"CNN on {dataset}: learning rate × batch size")
    fig.tight_layout()
    save(fig, args.out, "sweep")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
