"""Every example in examples/ runs with --quick, exits 0, prints sound numbers and writes its plots."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytest.importorskip("matplotlib", reason="the examples draw plots: pip install rustgrad[examples]")


def run(name: str, out: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--quick", "--out", str(out), *extra],
        check=False,  # the tests inspect the exit code themselves
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg", **(env or {})},
    )


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def number(pattern: str, text: str) -> float:
    m = re.search(pattern, text, re.MULTILINE)
    assert m, f"{pattern!r} not in output:\n{text}"
    return float(m.group(1))


def assert_pngs(out: Path, *names: str) -> None:
    for name in names:
        data = (out / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, name


def test_gradient_descent_reaches_closed_form(tmp_path):
    text = ok(run("gradient_descent", tmp_path))
    assert number(r"closed-form match: largest difference (\S+)$", text) < 1e-3
    # Both dialects' loops are in the table: the PyTorch-style and the GradientTape one.
    for row in ("rustgrad, PyTorch style", "rustgrad, TensorFlow style"):
        assert number(rf"^{row}\s+300\s+\S+\s+\S+\s+\S+\s+(\S+)$", text) < 1e-3
    # The too-large rate must really diverge and the good one converge (final loss near the noise).
    assert number(r"^too large \S+\s+\S+\s+\S+\s+(\S+)", text) > 1e3
    assert number(r"^good \S+\s+\S+\s+\S+\s+(\S+)", text) < 0.2
    assert_pngs(tmp_path, "learning_rates")


def test_backprop_by_hand_matches_autograd_and_gradcheck(tmp_path):
    text = ok(run("backprop_by_hand", tmp_path))
    assert number(r"hand vs autograd:\s+(\S+)", text) < 1e-5
    assert number(r"hand vs GradientTape:\s+(\S+)", text) < 1e-5
    assert number(r"hand vs finite diff:\s+(\S+)", text) < 1e-7
    assert number(r"autograd vs gradcheck:\s+(\S+)", text) < 1e-2
    assert "gradcheck passed: True" in text
    assert_pngs(tmp_path, "hand_vs_autograd")


def test_mnist_listing(tmp_path, real_dataset_dir):
    real_dataset_dir("mnist")
    text = ok(run("mnist", tmp_path))
    assert number(r"^Test Accuracy: (\S+)", text) > 0.8
    assert_pngs(tmp_path, "history")


def test_mnist_rnn_learns_with_each_recurrent_layer(tmp_path, real_dataset_dir):
    real_dataset_dir("mnist")
    text = ok(run("mnist_rnn", tmp_path))
    for name in ("SimpleRNN", "LSTM", "GRU", "Bidirectional LSTM"):
        # 6000 images, 3 epochs: 0.74-0.80 measured; chance is 0.1.
        assert number(rf"^{name}: test accuracy (\S+)", text) > 0.6, name
    assert_pngs(tmp_path, "val_accuracy")


def test_compare_optimizers(tmp_path, real_dataset_dir):
    real_dataset_dir("mnist")
    text = ok(run("compare_optimizers", tmp_path))
    accs = dict(re.findall(r"^(\S.*?)\s+test accuracy (\S+)\s+\(", text, re.MULTILINE))
    assert len(accs) == 7, text
    # On 2000 images for 3 epochs Adam is well past chance; plain SGD at 0.01 lags behind it.
    assert float(accs["Adam"]) > 0.8
    assert float(accs["Adam"]) > float(accs["SGD"])
    assert "epochs to 95% val acc" in text
    # The optimizer paths: momentum gets nearer Rosenbrock's minimum than plain SGD in 150 steps.
    near = {n: number(rf"^{n}\s+\S+\s+\S+\s+(\S+)$", text) for n in ("SGD 1e-3", "Adam 5e-2")}
    assert number(r"^SGD \+ momentum 0\.9, 1e-3\s+\S+\s+\S+\s+(\S+)$", text) < near["SGD 1e-3"]
    assert near["Adam 5e-2"] < near["SGD 1e-3"], text
    assert_pngs(tmp_path, "val_loss", "optimizer_paths")


def test_compare_losses(tmp_path, real_dataset_dir):
    real_dataset_dir("mnist")
    text = ok(run("compare_losses", tmp_path))
    rmse = {
        loss: number(rf"^{loss}\s+\S+\s+\S+\s+(\S+)$", text) for loss in ("mse", "mae", "huber")
    }
    # The outliers drag the MSE line; the robust losses stay close to the true line.
    assert rmse["mae"] < rmse["mse"] / 3 and rmse["huber"] < rmse["mse"] / 3, rmse
    assert number(r"^categorical_crossentropy test accuracy: (\S+)", text) > 0.75
    assert number(r"^mean_squared_error test accuracy: (\S+)", text) > 0.1
    assert_pngs(tmp_path, "regression_outliers", "classification_losses")


def test_cnn_without_cifar10_says_how_to_get_it(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"RUSTGRAD_DATASETS": str(empty), "RUSTGRAD_CACHE_DIR": str(empty)}
    env["RUSTGRAD_OFFLINE"] = "1"
    proc = run("cnn_cifar10", tmp_path, "--dataset", "cifar10", env=env)
    if proc.returncode == 0:
        pytest.skip("CIFAR-10 is installed system-wide on this machine")
    assert proc.returncode == 2, proc.stderr
    assert "--download" in proc.stderr and "fashion_mnist" in proc.stderr


def test_cnn_sweep_on_fashion_mnist(tmp_path):
    if not Path("/usr/share/datasets/fashion-mnist").is_dir():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    text = ok(run("cnn_cifar10", tmp_path))
    assert number(r"^best: .*test accuracy (\S+)", text) > 0.5  # chance is 0.1
    assert len(re.findall(r"^lr \S+, batch \d+: test accuracy", text, re.MULTILINE)) == 4
    assert_pngs(tmp_path, "sweep")
