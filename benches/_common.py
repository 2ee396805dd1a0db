"""Shared bench helpers: median timing, optional peers (PyTorch, TensorFlow), child processes."""

import json
import os
import statistics
import subprocess
import sys
import time


def median_time(fn, repeats=7, warmup=2):
    """Median wall time of `fn()` in seconds over `repeats` runs after `warmup` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def optional(module):
    """The module if installed, else None (peers are measured only when present)."""
    try:
        return __import__(module)
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        return None


def table(title, header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    line = "  ".join(str(h).ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


def run_child(script, *args, env=None):
    """Run `script --child *args` in a fresh interpreter (so each library's memory and threads are
    its own) and return the JSON object it printed last."""
    proc = subprocess.run(
        [sys.executable, os.path.abspath(script), "--child", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cpu_model():
    """The processor's name (from /proc/cpuinfo), which changes between runs of this machine."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} logical CPUs"
    except OSError:
        pass
    import platform

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs"


def peer_python():
    """The interpreter for peer libraries: $RUSTGRAD_PEER_PYTHON (a venv outside the project that
    has torch / tensorflow and numpy, not rustgrad), else this one."""
    return os.environ.get("RUSTGRAD_PEER_PYTHON") or sys.executable


def has_module(python, module):
    """Whether `python` can import `module` (checked in a child, so nothing is loaded here)."""
    try:
        proc = subprocess.run(
            [python, "-c", f"import {module}"], check=False, capture_output=True, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def run_child_in(python, script, *args, env=None):
    """run_child with another interpreter (e.g. peer_python()); its stderr is shown on failure."""
    proc = subprocess.run(
        [python, os.path.abspath(script), "--child", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{os.path.basename(script)} --child {' '.join(map(str, args))} failed:\n"
            f"{proc.stderr[-3000:]}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])
