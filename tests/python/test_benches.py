"""The benches run to the end in quick mode and print their tables (issue 17's rows).

Peers are pointed at an interpreter that does not exist, so these tests exercise the path where
PyTorch / tf.keras are skipped with a note (and stay quick); the figures themselves are timings
and are not asserted, only that they are printed as positive numbers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHES = Path(__file__).resolve().parents[2] / "benches"
NO_PEERS = str(BENCHES / "no-such-python")


def run(*args: str, timeout: int = 600) -> str:
    env = {**os.environ, "RUSTGRAD_PEER_PYTHON": NO_PEERS, "RUSTGRAD_BENCH_QUICK": "1"}
    proc = subprocess.run(
        [sys.executable, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=BENCHES,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    return proc.stdout


def row(text: str, *start: str) -> list[str]:
    """The cells of the first table line beginning with the cells `start`."""
    for line in text.splitlines():
        cells = line.split()
        if cells[: len(start)] == list(start):
            return cells
    raise AssertionError(f"no row starting {start} in:\n{text}")


def positive(cell: str) -> float:
    value = float(cell)
    assert value > 0, cell
    return value


def test_run_prints_cpu_and_simd_level_first():
    out = run(str(BENCHES / "run.py"), "--quick", "no-such-bench")
    lines = out.splitlines()
    assert lines[0].startswith("CPU: ") and "logical CPUs" in lines[0], out
    assert re.match(r"SIMD level: (portable|avx2|avx512)\b", lines[1]), out


def test_op_overhead_and_gemm_take_pytorch_from_the_peer_interpreter():
    out = run(str(BENCHES / "op_overhead.py"))
    assert positive(row(out, "rustgrad", "(fwd+bwd)")[2])
    assert "pytorch skipped: torch not importable by" in out
    out = run(str(BENCHES / "gemm.py"))
    cells = row(out, "1024x1024", ".", "1024x1024")
    assert positive(cells[3]) and positive(cells[4]) and cells[-1] == "-"
    assert "pytorch skipped: torch not importable by" in out


def test_cifar_cnn_quick_prints_its_table_and_goal():
    out = run(str(BENCHES / "cifar_cnn.py"), "--quick")
    assert "CIFAR-shaped CNN conv32-conv32-pool-conv64-conv64-pool-dense512-10" in out
    assert positive(row(out, "rustgrad")[1]) and row(out, "rustgrad")[3] == "1.00"
    assert "goal rustgrad training vs pytorch >= 2x: not measured" in out
    assert "note: pytorch skipped: torch not importable" in out


def test_recurrent_quick_prints_both_layers():
    out = run(str(BENCHES / "recurrent.py"), "--quick")
    assert "(g) recurrent layers 64 units over 100 steps" in out
    for cell in ("LSTM", "GRU"):
        cells = row(out, "rustgrad", cell)
        assert positive(cells[2]) and cells[3] == "1.00"
    assert "note: pytorch skipped: torch not importable" in out


def test_width_sweep_quick_prints_every_width_with_its_flops():
    out = run(str(BENCHES / "width_sweep.py"), "--quick")
    # 2 * 128 * (3 * (784w + w^2 + 10w) - 784w) product FLOPs per step, in GFLOP
    expected = {128: "0.065", 512: "0.411", 1024: "1.224", 2048: "4.059"}
    for w, gflop in expected.items():
        cells = row(out, str(w), "rustgrad")
        assert cells[2] == gflop, cells
        positive(cells[4])  # ms/step
        positive(cells[7])  # GFLOP/s
        assert f"goal rustgrad vs pytorch at w={w} >= 2x: not measured" in out
    assert row(out, "128", "rustgrad")[8] == "1.00"  # time/FLOP is relative to w = 128


@pytest.mark.slow
def test_mnist_cnn_quick_prints_goals(real_dataset_dir):
    real_dataset_dir("mnist")
    out = run(str(BENCHES / "mnist_cnn.py"), "--quick")
    positive(row(out, "rustgrad")[1])
    assert "goal rustgrad training vs pytorch >= 2.5x: not measured" in out
    assert "goal rustgrad training vs tf.keras >= 3x: not measured" in out


@pytest.mark.slow
def test_mnist_mlp_quick_prints_limit_and_accuracy(real_dataset_dir):
    real_dataset_dir("mnist")
    out = run(str(BENCHES / "mnist_mlp.py"), "--quick", timeout=900)
    m = re.search(r"compute limit: 24\.5 GFLOP .* rate (\d+) GFLOP/s .* = ([\d.]+) s", out)
    assert m, out
    limit = float(m.group(2))
    for bs in ("32", "128"):
        cells = row(out, "rustgrad", bs)
        # epoch/limit is the epoch's seconds over the limit; the limit is printed to 3 decimals,
        # so on a fast machine (limit ~0.08 s) the quotient of the printed values may differ by
        # up to ratio * 0.0005 / limit, plus the cells' own rounding.
        ratio = float(cells[2]) / limit
        slack = 0.006 + ratio * 0.0005 / limit + 0.0005 / limit
        assert float(cells[4]) == pytest.approx(ratio, abs=slack), cells
        assert 0.85 < float(cells[5]) <= 1.0, cells  # one epoch of this MLP learns MNIST
        assert re.search(rf"goal batch {bs}: epoch <= 1.5x the limit: [\d.]+x", out), out
    assert "baseline 0.9593 at 8a457a2" in out
