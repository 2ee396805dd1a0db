"""The tuner examples run with --quick, exit 0, print sound numbers, write their plots, resume
from their stored trials, and give the same grid in worker processes as in one process."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytest.importorskip("matplotlib", reason="the examples draw plots: pip install rustgrad[examples]")


def run(name: str, out: Path, *extra: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--quick", "--out", str(out), *extra],
        check=False, capture_output=True, text=True, timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def grid_rows(text: str) -> list:
    return re.findall(r"^\s*(0\.0\d+)\s+(32|128)\s+(0\.\d+)\s+(\d)\s+\S+$", text, re.MULTILINE)


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, path


def test_tune_hyperparameters(tmp_path, real_dataset_dir):
    real_dataset_dir("mnist")
    text = run("tune_hyperparameters", tmp_path)
    rows = grid_rows(text)
    # Every cell of the 2 x 2 grid, the batch size turning fastest.
    assert [(lr, b) for lr, b, _, _ in rows] == [("0.001", "32"), ("0.001", "128"),
                                                ("0.01", "32"), ("0.01", "128")]  # fmt: skip
    assert all(float(acc) > 0.5 for _, _, acc, _ in rows)
    assert re.search(r"^grid best: learning rate \S+, batch size \d+$", text, re.MULTILINE)
    test_acc = float(re.search(r"^best model: test accuracy (\S+)", text, re.MULTILINE).group(1))
    assert test_acc > 0.75  # 2000 images, 3 epochs at most
    assert "Results summary" in text and "tuner/epochs" in text
    for name in ("grid", "hyperband"):
        assert_png(tmp_path / f"{name}.png")
    assert len(list((tmp_path / "tuner" / "grid").glob("trial_*/trial.json"))) == 4

    # --resume reloads the stored trials and runs none again: the same table.
    again = run("tune_hyperparameters", tmp_path, "--resume")
    assert "Reloading Tuner from" in again and grid_rows(again) == rows

    # Two worker processes give the same cells (each trial seeds its own weights and shuffles).
    parallel = run("tune_hyperparameters", tmp_path / "parallel", "--parallel", "2")
    assert sorted(r[:3] for r in grid_rows(parallel)) == sorted(r[:3] for r in rows)


def test_tune_with_optuna(tmp_path, real_dataset_dir):
    if importlib.util.find_spec("optuna") is None:
        pytest.skip("optuna is not installed: pip install rustgrad[tune]")
    real_dataset_dir("mnist")
    text = run("tune_with_optuna", tmp_path)
    states = re.findall(r"^\s*\d+\s+\d+\s+\S+\s+\d+\s+(COMPLETE|PRUNED)\s+\d\s+\S+$", text,
                        re.MULTILINE)  # fmt: skip
    assert len(states) == 6 and "COMPLETE" in states
    assert float(re.search(r"val accuracy (\S+)$", text, re.MULTILINE).group(1)) > 0.8
