"""The main job: train the tutorial's section-4.2 MNIST classifier on real MNIST with rustgrad.keras.

Run `make demo` (or `python examples/demo.py --epochs 5`); the data is read from RUSTGRAD_DATASETS.
"""

from __future__ import annotations

import argparse
import time

import rustgrad as tf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1, help="passes over the 60,000 images")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    # The tutorial's listing, with `import rustgrad as tf` in place of tensorflow.
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    x_train = x_train.astype("float32") / 255.0
    x_test = x_test.astype("float32") / 255.0
    y_train = tf.keras.utils.to_categorical(y_train, num_classes=10)
    y_test = tf.keras.utils.to_categorical(y_test, num_classes=10)

    model = tf.keras.models.Sequential(
        [
            tf.keras.layers.Flatten(input_shape=(28, 28)),
            tf.keras.layers.Dense(units=128, activation="relu"),
            tf.keras.layers.Dense(units=10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()

    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size)
    seconds = time.perf_counter() - start

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(
        f"Trained {args.epochs} epoch(s) in {seconds:.2f} s ({seconds / args.epochs:.2f} s/epoch)"
    )
    print("Test Loss:", round(loss, 4))
    print("Test Accuracy:", round(accuracy, 4))


if __name__ == "__main__":
    main()
