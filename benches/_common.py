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
