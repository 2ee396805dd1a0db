"""Tuning the MNIST MLP with Optuna, pruning hopeless trials with keras.callbacks.OptunaPruning.

Optuna's TPE sampler proposes the hidden width, the learning rate (log scale) and the batch size;
each epoch's validation accuracy is reported to Optuna, and its MedianPruner stops a trial whose
accuracy so far is below the median of the finished trials at the same epoch.
Table: every trial's values, state (COMPLETE or PRUNED), epochs run and validation accuracy.

Needs optuna (pip install rustgrad[tune]); without it the script says so and exits with status 2.

Run:  python examples/tune_with_optuna.py [--trials N] [--quick] [--out DIR]
"""

from __future__ import annotations

import sys

import rustgrad as tf
from _common import Stopwatch, load_mnist, parse_args, print_table

LAYERS = tf.keras.layers


def objective(trial, data, epochs: int) -> float:
    """Build and train one model with the trial's values; its last validation accuracy."""
    (x_train, y_train), _ = data
    model = tf.keras.Sequential([
        LAYERS.Input((28, 28)),
        LAYERS.Flatten(),
        LAYERS.Dense(trial.suggest_int("units", 32, 256, step=32), activation="relu"),
        LAYERS.Dense(10, activation="softmax"),
    ])  # fmt: skip
    lr = trial.suggest_float("learning_rate", 1e-4, 3e-2, log=True)
    model.compile(optimizer=tf.keras.optimizers.Adam(lr), loss="categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    history = model.fit(
        x_train, y_train, epochs=epochs, validation_split=0.1, verbose=0,
        batch_size=trial.suggest_categorical("batch_size", [32, 64, 128]),
        callbacks=[tf.keras.callbacks.OptunaPruning(trial, monitor="val_accuracy")],
    )  # fmt: skip
    return history.history["val_accuracy"][-1]


def main() -> int:
    def flags(p):
        p.add_argument("--trials", type=int, default=None, help="default 20 (quick: 6)")

    args = parse_args(__doc__, "tune_with_optuna", flags)
    try:
        import optuna
    except ImportError:
        print("this example needs optuna: pip install rustgrad[tune]", file=sys.stderr)
        return 2
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data = load_mnist(args.quick)
    trials, epochs = args.trials or (6 if args.quick else 20), 3 if args.quick else 5
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=0),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0),
    )  # fmt: skip
    with Stopwatch() as clock:
        study.optimize(lambda t: objective(t, data, epochs), n_trials=trials)
    rows = []
    for t in study.trials:
        last = max(t.intermediate_values) + 1 if t.intermediate_values else 0
        value = t.value if t.value is not None else t.intermediate_values.get(last - 1)
        rows.append([t.number, t.params["units"], f"{t.params['learning_rate']:.2e}",
                     t.params["batch_size"], t.state.name, last, value])  # fmt: skip
    print_table(["trial", "units", "learning rate", "batch", "state", "epochs", "val accuracy"],
                rows, title=f"Optuna: {trials} trials of up to {epochs} epochs, "
                            f"{clock.seconds:.0f} s", out=args.out)  # fmt: skip
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    print(f"pruned: {pruned} of {trials}")
    print(f"best: {study.best_params}: val accuracy {study.best_value:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
