"""Trial: one point of the search space, its status and results, stored as one sealed JSON file.

Each trial lives in `<directory>/<project_name>/trial_<id>/trial.json`, written atomically
(rustgrad._files.atomic_write) and sealed with the SHA-256 of its content: a file changed by even
one byte is refused with its name, so a resumed search never trusts a damaged result.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from rustgrad import _files
from rustgrad.tuner.hyperparameters import HyperParameters


class TrialStatus:
    """The states of a trial, as KerasTuner names them."""

    RUNNING = "RUNNING"
    IDLE = "IDLE"
    STOPPED = "STOPPED"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    FAILED = "FAILED"


def _canonical(content: dict) -> str:
    return json.dumps(content, sort_keys=True, indent=1, allow_nan=True)


def write_sealed(path: Path, content: dict) -> None:
    """Write `content` as JSON with its SHA-256, atomically.

    Args:
        path: The file.
        content: JSON-ready dict.
    """
    body = _canonical(content)
    text = _canonical({"rustgrad_sha256": hashlib.sha256(body.encode()).hexdigest(),
                       "content": content})  # fmt: skip
    _files.atomic_write(path, lambda f: f.write(text.encode()))


def read_sealed(path: Path) -> dict:
    """Read a file written by write_sealed, refusing any change to it.

    Args:
        path: The file.

    Returns:
        The content dict.

    Raises:
        ValueError: the file is not ours, damaged or changed (the message names it).
    """
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
        content = data["content"]
        expected = _canonical({"rustgrad_sha256": data["rustgrad_sha256"], "content": content})
        sealed = data["rustgrad_sha256"] == hashlib.sha256(_canonical(content).encode()).hexdigest()
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: not a readable tuner file (truncated or damaged): {e}") from e
    if not sealed or expected.encode() != raw:
        raise ValueError(
            f"{path}: content does not match its rustgrad_sha256 seal (changed or damaged); "
            "delete it or rerun with overwrite=True"
        )
    return content


class Trial:
    """One set of hyperparameter values and what training them gave.

    Args:
        hyperparameters: The HyperParameters (space and the trial's values).
        trial_id: Its id (a zero-padded number as a string).
        status: One of TrialStatus.
    """

    def __init__(self, hyperparameters: HyperParameters, trial_id: str,
                 status: str = TrialStatus.RUNNING) -> None:  # fmt: skip
        self.hyperparameters = hyperparameters
        self.trial_id = trial_id
        self.status = status
        self.score: float | None = None
        self.best_step: int | None = None
        self.metrics: dict[str, float] = {}  # at the best epoch, averaged over executions
        self.history: list[dict[str, list[float]]] = []  # one per execution, per epoch
        self.message: str | None = None
        self.retries = 0
        self.seconds: float | None = None

    def summary(self) -> str:
        """The trial as results_summary prints it (id, values, score or error).

        Returns:
            A multi-line str.
        """
        lines = [f"Trial {self.trial_id} summary", "Hyperparameters:"]
        lines += [f"{k}: {v}" for k, v in self.hyperparameters.active_values().items()]
        if self.score is not None:
            lines.append(f"Score: {self.score}")
        if self.status == TrialStatus.FAILED:
            last = (self.message or "").strip().splitlines()[-1:] or [""]
            lines.append(f"Status: FAILED: {last[0]}")
        return "\n".join(lines)

    def get_state(self) -> dict:
        """The JSON-ready state.

        Returns:
            A dict, `from_state`'s input.
        """
        return {
            "trial_id": self.trial_id,
            "hyperparameters": self.hyperparameters.get_config(),
            "status": self.status,
            "score": self.score,
            "best_step": self.best_step,
            "metrics": self.metrics,
            "history": self.history,
            "message": self.message,
            "retries": self.retries,
            "seconds": self.seconds,
        }

    @classmethod
    def from_state(cls, state: dict) -> Trial:
        """Rebuild a trial from `get_state()` output.

        Args:
            state: The dict.

        Returns:
            A Trial.
        """
        trial = cls(HyperParameters.from_config(state["hyperparameters"]), state["trial_id"],
                    state["status"])  # fmt: skip
        for key in ("score", "best_step", "metrics", "history", "message", "retries", "seconds"):
            setattr(trial, key, state[key])
        return trial

    def save(self, path: Any) -> None:
        """Write trial.json (sealed, atomic).

        Args:
            path: The file.
        """
        write_sealed(Path(path), self.get_state())

    @classmethod
    def load(cls, path: Any) -> Trial:
        """Read a trial.json written by save.

        Args:
            path: The file.

        Returns:
            A Trial.

        Raises:
            ValueError: the file is damaged or changed.
        """
        return cls.from_state(read_sealed(Path(path)))

    def __repr__(self) -> str:
        return f"Trial(id={self.trial_id}, status={self.status}, score={self.score})"
