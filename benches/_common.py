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


def quick():
    """Whether to run fewer, shorter passes: `--quick` on the command line or
    $RUSTGRAD_BENCH_QUICK=1. The flag is copied into the environment so child processes see it."""
    if "--quick" in sys.argv:
        os.environ["RUSTGRAD_BENCH_QUICK"] = "1"
    return os.environ.get("RUSTGRAD_BENCH_QUICK") == "1"


def simd_line():
    """The SIMD level rustgrad's hand kernels run at, the override if one is set, and what the CPU
    reports (/proc/cpuinfo flags), e.g. "avx512 (CPU: avx512f avx2 fma)"."""
    try:
        from rustgrad import _core

        level = _core.simd_level()
    except Exception as e:  # noqa: BLE001 - an old build without simd_level still benches
        level = f"unknown ({type(e).__name__})"
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    cpu = " ".join(x for x in ("avx512f", "avx512bw", "avx512vl", "avx2", "fma") if x in flags)
    forced = os.environ.get("RUSTGRAD_SIMD")
    return f"{level}{f' (RUSTGRAD_SIMD={forced})' if forced else ''} (CPU flags: {cpu or 'none'})"


def gemm_gflops(n=1024, repeats=7):
    """rustgrad's own f32 GEMM rate at n x n x n in GFLOP/s (median of `repeats` products, result
    allocation included, as benches/gemm.py measures it): the machine's compute rate the
    training benches compare against."""
    import numpy as np
    import rustgrad as rg

    rng = np.random.default_rng(0)
    a = rg.tensor(rng.standard_normal((n, n)).astype(np.float32))
    b = rg.tensor(rng.standard_normal((n, n)).astype(np.float32))
    return 2.0 * n**3 / median_time(lambda: a @ b, repeats=repeats, warmup=2) / 1e9


def peers(modules):
    """Which peer libraries the peer interpreter can import: ({name: module} present, notes about
    the absent). Peers are not project dependencies; they run in $RUSTGRAD_PEER_PYTHON (a venv
    outside the project with torch / tensorflow and numpy, no rustgrad) or, unset, this one."""
    python = peer_python()
    present, notes, found = {}, [], {}
    for name, module in modules.items():
        if module not in found:
            found[module] = has_module(python, module)
        if found[module]:
            present[name] = module
        else:
            where = "" if os.environ.get("RUSTGRAD_PEER_PYTHON") else "; set RUSTGRAD_PEER_PYTHON"
            notes.append(f"{name} skipped: {module} not importable by {python}{where}")
    return present, notes


def torch_pass(torch, net, opt, lossf, xs, ys, batch):
    """One shuffled pass of PyTorch training over (xs, ys), as a callable for timing.

    Args:
        torch: the imported torch module (peers import it in their own process).
        net: the torch.nn.Module to train.
        opt: its optimizer.
        lossf: the loss, called as lossf(outputs, labels).
        xs: input tensor, samples first.
        ys: label tensor.
        batch: batch size.
    """

    def run():
        order = torch.randperm(len(xs))
        for s in range(0, len(xs), batch):
            idx = order[s : s + batch]
            opt.zero_grad()
            lossf(net(xs[idx]), ys[idx]).backward()
            opt.step()

    return run


def goal(label, value, target):
    """A goal line: `label: 2.31x (goal >= 2x, met)`; value None prints it as not measured."""
    if value is None:
        return f"goal {label} >= {target:g}x: not measured"
    verdict = "met" if value >= target else "NOT met"
    return f"goal {label} >= {target:g}x: {value:.2f}x ({verdict})"
