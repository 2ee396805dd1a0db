"""RELIABILITY 22 under stress (issue 20): concurrent callers on shared models and the shared pool
finish, with weights of some serial order, at 1, 2 and 4 pool threads. Each run is a subprocess
with a timeout, so a deadlock fails the test instead of hanging the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("stress_threads.py")
ROUNDS = 30


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_concurrent_callers_finish_with_serial_results(threads):
    env = {**os.environ, "RUSTGRAD_NUM_THREADS": str(threads)}
    try:
        run = subprocess.run(
            [sys.executable, str(SCRIPT), str(ROUNDS), str(threads)],
            env=env,
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"stress run with {threads} threads did not finish in 600 s: {e.stdout}")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    assert f"rounds {ROUNDS} hangs 0 threads {threads}" in run.stdout
