"""Finding hyperparameters on MNIST with rustgrad.tuner (KerasTuner's API): a grid, then Hyperband.

1. GridSearch over the learning rate and the batch size of the tutorial's MLP (784-128-10, Adam):
   every combination is trained, the batch size chosen in HyperModel.fit, as KerasTuner tunes it.
2. Hyperband over the hidden width, the learning rate (log scale) and dropout: many models get a
   first epoch, the best third go on to three epochs, the best of those to nine (--quick: fewer).

Tables: each grid cell's validation accuracy, the best Hyperband trials; the best model's test
accuracy. Plots (tuner.plot): objective against each hyperparameter, and the validation curves of
the best trials. Trials are stored under --out/tuner/ (one JSON file each): an interrupted run
resumes there with --resume.

Run:  python examples/tune_hyperparameters.py [--quick] [--out DIR] [--parallel N] [--resume]
"""

from __future__ import annotations

import numpy as np
import rustgrad as tf
from _common import Stopwatch, load_mnist, parse_args, print_table
from rustgrad import tuner as kt

LAYERS = tf.keras.layers


class GridModel(kt.HyperModel):
    """The tutorial's MLP; the learning rate in build, the batch size in fit."""

    def __init__(self, rates: list, batches: list) -> None:
        super().__init__()
        self.rates, self.batches = rates, batches

    def build(self, hp):
        model = tf.keras.Sequential([
            LAYERS.Input((28, 28)),
            LAYERS.Flatten(),
            LAYERS.Dense(128, activation="relu"),
            LAYERS.Dense(10, activation="softmax"),
        ])  # fmt: skip
        lr = hp.Choice("learning_rate", self.rates)
        # Declared here too, so the whole grid is known before the first trial (fit reads it).
        hp.Choice("batch_size", self.batches)
        model.compile(optimizer=tf.keras.optimizers.Adam(lr), loss="categorical_crossentropy",
                      metrics=["accuracy"])  # fmt: skip
        return model

    def fit(self, hp, model, *args, **kwargs):
        return model.fit(*args, batch_size=hp.Choice("batch_size", self.batches), **kwargs)


def build_wide(hp):
    """Width, learning rate and dropout: the Hyperband search space."""
    model = tf.keras.Sequential([LAYERS.Input((28, 28)), LAYERS.Flatten()])
    model.add(LAYERS.Dense(hp.Int("units", 32, 256, step=32), activation="relu"))
    if hp.Boolean("dropout"):
        model.add(LAYERS.Dropout(0.2))
    model.add(LAYERS.Dense(10, activation="softmax"))
    lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    model.compile(optimizer=tf.keras.optimizers.Adam(lr), loss="categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


def grid(args, data) -> None:
    (x_train, y_train), _ = data
    rates = [1e-3, 1e-2] if args.quick else [3e-4, 1e-3, 3e-3, 1e-2]
    epochs = 2 if args.quick else 3
    tuner = kt.GridSearch(GridModel(rates, [32, 128]), objective="val_accuracy", seed=0,
                          directory=args.out / "tuner", project_name="grid",
                          overwrite=not args.resume, max_parallel_trials=args.parallel)  # fmt: skip
    with Stopwatch() as clock:
        tuner.search(x_train, y_train, epochs=epochs, validation_split=0.1, verbose=0)
    rows = [[f"{t.hyperparameters['learning_rate']:g}", t.hyperparameters["batch_size"], t.score,
             t.best_step + 1, f"{t.seconds:.1f}"]
            for t in tuner.oracle.trials_in(kt.TrialStatus.COMPLETED)]  # fmt: skip
    print_table(["learning rate", "batch size", "val accuracy", "best epoch", "seconds"], rows,
                title=f"GridSearch: {len(rows)} cells, {epochs} epochs each, {clock.seconds:.0f} s",
                out=args.out)  # fmt: skip
    best = tuner.get_best_hyperparameters(1)[0]
    print(f"grid best: learning rate {best['learning_rate']:g}, batch size {best['batch_size']}")
    tuner.plot(args.out / "grid.png")
    print(f"saved {args.out / 'grid.png'}")


def hyperband(args, data) -> None:
    (x_train, y_train), (x_test, y_test) = data
    max_epochs = 3 if args.quick else 9
    tuner = kt.Hyperband(build_wide, objective="val_accuracy", max_epochs=max_epochs, factor=3,
                         seed=0, directory=args.out / "tuner", project_name="hyperband",
                         overwrite=not args.resume, max_parallel_trials=args.parallel)  # fmt: skip
    tuner.search_space_summary()
    stop_early = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=2)
    with Stopwatch() as clock:
        tuner.search(x_train, y_train, epochs=max_epochs, validation_split=0.1,
                     callbacks=[stop_early], verbose=0)  # fmt: skip
    done = tuner.oracle.trials_in(kt.TrialStatus.COMPLETED)
    epochs = sum(len(t.history[0]["epoch"]) for t in done)
    best = tuner.oracle.get_best_trials(5)
    rows = [[t.trial_id, t.hyperparameters["units"], f"{t.hyperparameters['learning_rate']:.2e}",
             t.hyperparameters["dropout"], t.hyperparameters["tuner/epochs"], t.score]
            for t in best]  # fmt: skip
    print_table(["trial", "units", "learning rate", "dropout", "epochs", "val accuracy"], rows,
                title=f"Hyperband: {len(done)} trials, {epochs} epochs in all, "
                      f"{clock.seconds:.0f} s; the best five",
                out=args.out)  # fmt: skip
    tuner.results_summary(3)
    model = tuner.get_best_models(1)[0]
    _, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"best model: test accuracy {test_acc:.4f} (validation {best[0].score:.4f})")
    tuner.plot(args.out / "hyperband.png")
    print(f"saved {args.out / 'hyperband.png'}")


def main() -> int:
    def flags(p):
        p.add_argument("--parallel", type=int, default=1,
                       help="trials at once in worker processes (default 1)")  # fmt: skip
        p.add_argument("--resume", action="store_true", help="continue the search in --out")

    args = parse_args(__doc__, "tune_hyperparameters", flags)
    data = load_mnist(args.quick)
    (x_train, _), _ = data
    print(f"MNIST: {len(x_train)} training images (10% held out for validation)")
    np.random.seed(0)
    grid(args, data)
    hyperband(args, data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
