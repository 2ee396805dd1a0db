"""Assignment 5 of the tutorial: train a convolutional network on CIFAR-10 with rustgrad.keras.

Run `python examples/cifar10_cnn.py --epochs 10` (add `--path DIR` for a folder holding
cifar-10-batches-bin/ or cifar-10-batches-py/; otherwise RUSTGRAD_DATASETS and the cache are
searched, then the archive is downloaded). Try other filters, dropout rates or optimizers and
compare the validation accuracy, as the assignment asks.
"""

from __future__ import annotations

import argparse
import time

import rustgrad as tf

layers = tf.keras.layers


def build_model(dropout: float = 0.25) -> tf.keras.Sequential:
    """The classic Keras CIFAR-10 CNN: two conv blocks with batch norm, then a small classifier."""
    model = tf.keras.Sequential(
        [
            layers.Conv2D(32, (3, 3), padding="same", activation="relu", input_shape=(32, 32, 3)),
            layers.BatchNormalization(),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(dropout),
            layers.Conv2D(64, (3, 3), padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(dropout),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dropout(2 * dropout),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=tf.keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def run(path=None, epochs: int = 10, batch_size: int = 64, limit=None, verbose="auto"):
    """Load CIFAR-10 (the first `limit` training images if given), train, evaluate; (model, acc)."""
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.cifar10.load_data(path=path)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    x_train = x_train.astype("float32") / 255.0
    x_test = x_test.astype("float32") / 255.0
    model = build_model()
    if verbose:
        model.summary()
    model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_split=0.1,
        verbose=verbose,
    )
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return model, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--path", default=None, help="folder holding the CIFAR-10 batches")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images")
    args = parser.parse_args()
    start = time.perf_counter()
    _, accuracy = run(args.path, args.epochs, args.batch_size, args.limit)
    print(f"test accuracy {accuracy:.4f} after {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
