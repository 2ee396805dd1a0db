"""Assignment 3: what the choice of loss does, in regression and in classification.

Part A, regression with outliers: a line fitted to y = 2x + 1 + noise where 10% of the points are
gross errors. MSE squares every residual, so the outliers pull the line towards them; MAE and Huber
grow only linearly with large residuals and mostly ignore them. Table: fitted slope and intercept and
the error against the true line; plot: the data and the three fitted lines.

Part B, MNIST classification: the tutorial's network with softmax outputs trained with MSE against
cross-entropy, same optimizer (plain SGD, whose steps are proportional to the gradient, so the
gradient each loss gives is what differs). Table: test accuracy; plot: validation accuracy per epoch.

Run:  python examples/compare_losses.py [--quick] [--out DIR]
"""

from __future__ import annotations

import numpy as np
import rustgrad as tf
from _common import Stopwatch, epoch_axis, load_mnist, parse_args, print_table, pyplot, save

TRUE_SLOPE, TRUE_INTERCEPT = 2.0, 1.0

# ---- Part A: a line through data with outliers ----------------------------------------------------


def outlier_data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=n).astype(np.float32)
    y = TRUE_SLOPE * x + TRUE_INTERCEPT + 0.3 * rng.normal(size=n).astype(np.float32)
    outliers = rng.random(n) < 0.1
    y[outliers] += rng.uniform(8, 15, size=int(outliers.sum()))  # one-sided: they all pull up
    return x.reshape(-1, 1), y.reshape(-1, 1), outliers


def fit_line(x, y, loss: str, epochs: int):
    """A one-weight, one-bias Dense layer is exactly a line; Adam so MAE's constant gradient
    (±1 whatever the residual) still takes steps of a sensible size."""
    model = tf.keras.models.Sequential([tf.keras.layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.05), loss=loss)
    np.random.seed(0)
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    w, b = model.get_weights()
    return float(w.ravel()[0]), float(b.ravel()[0])


def part_a(args, plt) -> None:
    x, y, outliers = outlier_data(200)
    grid = np.linspace(-3, 3, 50)
    truth = TRUE_SLOPE * grid + TRUE_INTERCEPT
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.scatter(x[~outliers], y[~outliers], s=8, color="grey", label="data")
    ax.scatter(x[outliers], y[outliers], s=14, color="black", marker="x", label="outliers")
    ax.plot(grid, truth, "k--", lw=1, label="true line")
    rows = []
    for loss in ("mse", "mae", "huber"):
        slope, intercept = fit_line(x, y, loss, epochs=40 if args.quick else 150)
        # Distance from the true line over the input range: what the outliers cost each loss.
        rmse = float(np.sqrt(np.mean((slope * grid + intercept - truth) ** 2)))
        rows.append([loss, slope, intercept, rmse])
        ax.plot(
            grid,
            slope * grid + intercept,
            lw=2,
            label=f"{loss}: y = {slope:.2f}x + {intercept:.2f}",
        )
    print_table(
        ["loss", "slope", "intercept", "RMSE to true line"],
        [["(true line)", TRUE_SLOPE, TRUE_INTERCEPT, 0.0]] + rows,
        title=f"Part A: y = 2x + 1 with {int(outliers.sum())} outliers among {len(x)} points",
        out=args.out,
    )
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("Fitting a line through outliers: MSE vs MAE vs Huber")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, args.out, "regression_outliers")


# ---- Part B: classification, MSE against cross-entropy ---------------------------------------------


def tutorial_model():
    """The tutorial's section 4.2 network: its softmax outputs are probabilities either loss can use."""
    return tf.keras.models.Sequential(
        [
            tf.keras.layers.Flatten(input_shape=(28, 28)),
            tf.keras.layers.Dense(units=128, activation="relu"),
            tf.keras.layers.Dense(units=10, activation="softmax"),
        ]
    )


def part_b(args, plt) -> None:
    (x_train, y_train), (x_test, y_test) = load_mnist(args.quick)
    epochs = 3 if args.quick else 10
    start = tutorial_model().get_weights()
    rows, curves = [], {}
    for loss in ("mean_squared_error", "categorical_crossentropy"):
        model = tutorial_model()
        model.compile(
            optimizer=tf.keras.optimizers.SGD(learning_rate=0.05),
            loss=loss,
            metrics=["accuracy"],
        )
        model.set_weights(start)  # same starting weights and shuffles: only the loss differs
        np.random.seed(0)
        with Stopwatch() as clock:
            history = model.fit(
                x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.1, verbose=0
            )
        _, acc = model.evaluate(x_test, y_test, verbose=0)
        curves[loss] = history.history["val_accuracy"]
        rows.append([loss, history.history["val_accuracy"][0], acc, f"{clock.seconds:.1f}"])
    print_table(
        ["loss", "val accuracy after epoch 1", "test accuracy", "seconds"],
        rows,
        title=f"Part B: MNIST ({len(x_train)} images, {epochs} epochs, SGD lr 0.05)",
        out=args.out,
    )
    for loss, acc in ((r[0], r[2]) for r in rows):
        print(f"{loss} test accuracy: {acc:.4f}")
    fig, ax = plt.subplots(figsize=(6, 4))
    for loss, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, marker="o", ms=3, label=loss)
    epoch_axis(ax)
    ax.set_ylabel("validation accuracy")
    ax.set_title("MNIST with softmax outputs: MSE vs cross-entropy")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save(fig, args.out, "classification_losses")


def main() -> int:
    args = parse_args(__doc__, "compare_losses")
    plt = pyplot()
    part_a(args, plt)
    part_b(args, plt)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
