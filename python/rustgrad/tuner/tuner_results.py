"""What a Tuner reports once trials have run: the trial display, the best hyperparameters and
models (rebuilt from their best-epoch checkpoints), the summaries and the plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rustgrad.tuner import execution, reporting
from rustgrad.tuner.trial import Trial, TrialStatus


class TunerResults:
    """The Tuner's reporting methods (mixed into Tuner; they read `self.oracle`)."""

    def on_trial_begin(self, trial: Trial) -> None:
        """Called before a trial runs (prints its number and values when verbose).

        Args:
            trial: The trial.
        """
        if self.verbose:
            print(f"\nSearch: Running Trial #{int(trial.trial_id) + 1}", flush=True)

    def on_trial_end(self, trial: Trial) -> None:
        """Called after a trial ends (prints its result and the best so far when verbose).

        Args:
            trial: The trial.
        """
        if self.verbose and trial.status == TrialStatus.COMPLETED:
            reporting.print_trial_end(self, trial)

    def get_best_hyperparameters(self, num_trials: int = 1) -> list:
        """The HyperParameters of the best trials, best first.

        Args:
            num_trials: How many.

        Returns:
            A list of HyperParameters.
        """
        return [t.hyperparameters for t in self.oracle.get_best_trials(num_trials)]

    def get_best_models(self, num_models: int = 1) -> list:
        """The best trials' models, rebuilt and loaded from their best-epoch checkpoints.

        Args:
            num_models: How many.

        Returns:
            A list of Keras models, best first.
        """
        return [self.load_model(t) for t in self.oracle.get_best_trials(num_models)]

    def load_model(self, trial: Trial) -> Any:
        """A trial's model, rebuilt from its values and loaded from its best-epoch checkpoint.

        Args:
            trial: A completed Trial.

        Returns:
            The Keras model.

        Raises:
            ValueError: the trial has no checkpoint (it did not complete).
        """
        if self.hypermodel is None:
            raise ValueError("this tuner has no hypermodel (run_trial is overridden): no models")
        path = self._checkpoint(trial.trial_id)
        if trial.status != TrialStatus.COMPLETED or not path.exists():
            raise ValueError(f"trial {trial.trial_id} ({trial.status}) has no checkpoint at {path}")
        model = self.hypermodel.build(trial.hyperparameters.copy())
        execution.ensure_built(model, self.input_shape)
        model.load_weights(str(path))
        return model

    def search_space_summary(self, extended: bool = False) -> None:
        """Print the search space: each hyperparameter's kind and settings.

        Args:
            extended: Accepted for KerasTuner's signature; the summary is always complete.
        """
        reporting.search_space_summary(self)

    def results_summary(self, num_trials: int = 10) -> None:
        """Print the best trials (values and score) and any failed ones.

        Args:
            num_trials: How many of the best to show.
        """
        reporting.results_summary(self, num_trials)

    def plot(self, path: Any, top: int = 5) -> Path:
        """Draw the objective against each hyperparameter, and the validation curves of the best
        trials, into one PNG.

        Args:
            path: The image file.
            top: How many of the best trials get a curve.

        Returns:
            The path written.

        Raises:
            ImportError: matplotlib is not installed.
            ValueError: no trial has completed.
        """
        from rustgrad.tuner import plots

        return plots.plot(self, Path(path), top)
