"""f32 GEMM throughput at the shapes training uses, against NumPy's `@` (and PyTorch when installed)."""

import json
import sys

import numpy as np
from _common import median_time, peer_python, peers, run_child_in, table

SHAPES = [(32, 784, 128), (784, 32, 128), (128, 128, 128), (1024, 1024, 1024)]


def torch_gflops():
    """PyTorch's GFLOP/s at each shape, in this (peer) interpreter, with its default threads."""
    import torch

    rng = np.random.default_rng(0)
    out = []
    for m, k, n in SHAPES:
        pa = torch.from_numpy(rng.standard_normal((m, k)).astype(np.float32))
        pb = torch.from_numpy(rng.standard_normal((k, n)).astype(np.float32))
        reps = 5 if m * k * n > 1e8 else 200

        def pt_mm(pa=pa, pb=pb, reps=reps):
            for _ in range(reps):
                pa @ pb

        out.append(2.0 * m * k * n * reps / median_time(pt_mm) / 1e9)
    return out


def main():
    import rustgrad as rg

    present, notes = peers({"pytorch": "torch"})
    pt = run_child_in(peer_python(), __file__, "torch") if present else None
    rows = []
    rng = np.random.default_rng(0)
    for m, k, n in SHAPES:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        ta, tb = rg.tensor(a), rg.tensor(b)
        flops = 2.0 * m * k * n
        reps = 5 if m * k * n > 1e8 else 200

        def rg_mm(ta=ta, tb=tb, reps=reps):
            for _ in range(reps):
                ta @ tb

        def np_mm(a=a, b=b, reps=reps):
            for _ in range(reps):
                a @ b

        g_rg = flops * reps / median_time(rg_mm) / 1e9
        g_np = flops * reps / median_time(np_mm) / 1e9
        row = [f"{m}x{k} . {k}x{n}", f"{g_rg:.1f}", f"{g_np:.1f}", f"{g_rg / g_np:.2f}"]
        row.append(f"{pt[len(rows)]:.1f}" if pt else "-")
        rows.append(row)
    header = ["shape", "rustgrad GFLOP/s", "numpy GFLOP/s", "rustgrad/numpy", "pytorch GFLOP/s"]
    table(
        f"(b) f32 GEMM, {rg.get_num_threads()} threads (includes result allocation)", header, rows
    )
    for note in notes:
        print(f"  {note}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(torch_gflops()))
    else:
        main()
