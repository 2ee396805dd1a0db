"""What the MPI tests share: mpiexec from the virtualenv, the environment Open MPI needs here,
running a worker script on N ranks with a timeout, and reading what each rank wrote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

MPIEXEC = shutil.which(
    "mpiexec", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
)
# Open MPI as root, more ranks than cores, and no probing of fabrics loopback does not need
# (startup 0.3 s instead of 1.3 s).
ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_btl": "^ofi,uct",
    "OMPI_MCA_mpi_yield_when_idle": "1",  # a waiting rank yields its core (2 shared vCPUs)
    "PYTHONUNBUFFERED": "1",
}

needs_mpiexec = pytest.mark.skipif(
    MPIEXEC is None, reason="no mpiexec (pip install 'rustgrad[mpi]')"
)


def run(
    worker: Path, mode: str, out: Path, ranks: int = 2, timeout: float = 120
) -> subprocess.CompletedProcess:
    """`worker MODE OUT` on `ranks` ranks (a plain process for 1), killed after `timeout` s."""
    env = {**os.environ, **ENV}
    env.pop("RUSTGRAD_NUM_THREADS", None)  # each rank picks its share of the cores
    cmd = [sys.executable, str(worker), mode, str(out)]
    if ranks > 1:
        cmd = [MPIEXEC, "-n", str(ranks), "--oversubscribe", *cmd]
    return subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def reports(out: Path, ranks: int = 2) -> list[dict]:
    """Each rank's OUT/rank<r>.json."""
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(ranks)]


def weights(out: Path, rank: int) -> list[np.ndarray]:
    """The weights rank `rank` saved to OUT/rank<r>.npz."""
    with np.load(out / f"rank{rank}.npz") as z:
        return [z[f"arr_{i}"] for i in range(len(z.files))]


def ok(p: subprocess.CompletedProcess) -> None:
    """The run succeeded (else its output's tail is the failure message)."""
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]


def assert_trained_as_one(two: Path, one: Path) -> None:
    """Both ranks of the run in `two` hold bit-identical weights, within 1e-5 relative of the
    one-process run in `one`."""
    w0, w1, ws = weights(two, 0), weights(two, 1), weights(one, 0)
    assert len(w0) == len(w1) == len(ws) > 0
    for a, b, c in zip(w0, w1, ws):
        assert a.tobytes() == b.tobytes()  # bit for bit across ranks
        assert np.max(np.abs(a - c)) <= 1e-5 * np.max(np.abs(c))


@pytest.fixture(autouse=True, name="mpi4py_present")
def mpi4py_fixture():
    """Skip an MPI test when mpi4py is missing (a test module imports it to apply it)."""
    pytest.importorskip("mpi4py", reason="mpi4py missing (pip install 'rustgrad[mpi]')")


@pytest.fixture(name="mnist")
def mnist_fixture(real_dataset_dir, monkeypatch):
    """RUSTGRAD_DATASETS pointing at the real MNIST for the workers (skip without it)."""
    monkeypatch.setenv("RUSTGRAD_DATASETS", str(real_dataset_dir("mnist")))
