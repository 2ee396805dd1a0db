"""The tutorial's section 4.2 listing: an MNIST classifier, with `import rustgrad as tf`.

The code between the two rulers is the tutorial's, line for line, except that 10% of the training
images are held out (validation_split) so the saved plot shows validation curves too.
Plot: loss and accuracy per epoch (History.plot). `make demo` runs examples/demo.py, a timed variant.

Run:  python examples/mnist.py [--epochs N] [--quick] [--out DIR]
"""

from __future__ import annotations

import rustgrad as tf
from _common import load_mnist, parse_args, print_table, pyplot


def main() -> int:
    args = parse_args(
        __doc__,
        "mnist",
        lambda p: p.add_argument("--epochs", type=int, default=None, help="default 10 (quick: 3)"),
    )
    epochs = args.epochs or (3 if args.quick else 10)
    pyplot()  # fail early, before training, if matplotlib is missing
    # The listing's loading and preprocessing, as one helper shared by the examples
    # (load_data, astype('float32') / 255.0, to_categorical(..., num_classes=10)).
    (x_train, y_train), (x_test, y_test) = load_mnist(args.quick)

    # ------------------------------------------------------------------------------------------
    # Define the model
    model = tf.keras.models.Sequential(
        [
            tf.keras.layers.Flatten(input_shape=(28, 28)),
            tf.keras.layers.Dense(units=128, activation="relu"),
            tf.keras.layers.Dense(units=10, activation="softmax"),
        ]
    )

    # Compile the model
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

    # Train the model
    history = model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=32,
        validation_split=0.1,
        verbose=1 if not args.quick else 2,
    )

    # Evaluate the model
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print("Test Loss:", loss)
    print("Test Accuracy:", accuracy)
    # ------------------------------------------------------------------------------------------

    h = history.history
    print_table(
        ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"],
        [
            [e + 1, h["loss"][e], h["accuracy"][e], h["val_loss"][e], h["val_accuracy"][e]]
            for e in range(epochs)
        ],
        title=f"MNIST, {len(x_train)} training images: test accuracy {accuracy:.4f}",
        out=args.out,
    )
    path = args.out / "history.png"
    history.plot(path, title="MNIST: Flatten → Dense(128, relu) → Dense(10, softmax), Adam")
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
