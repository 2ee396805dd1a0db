"""Exceptions of the tuner, named as KerasTuner's (keras_tuner.errors)."""

from __future__ import annotations


class FailedTrialError(Exception):
    """Raise from a hypermodel to mark the current trial FAILED without retrying it."""


class FatalError(Exception):
    """Raise from a hypermodel to stop the whole search at once."""


class ObjectiveNotLoggedError(ValueError):
    """The objective is not among the metrics the model logs: a setup mistake, so the search
    stops at once instead of failing every trial."""


class TooManyFailedTrialsError(RuntimeError):
    """`max_consecutive_failed_trials` trials failed in a row; the message holds the last error."""
