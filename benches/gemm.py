"""f32 GEMM throughput at the shapes training uses, against NumPy's `@` (and PyTorch when installed)."""

import numpy as np
import rustgrad as rg
from _common import median_time, optional, table

SHAPES = [(32, 784, 128), (784, 32, 128), (128, 128, 128), (1024, 1024, 1024)]


def main():
    torch = optional("torch")
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
        if torch is not None:
            pa, pb = torch.from_numpy(a), torch.from_numpy(b)

            def pt_mm(pa=pa, pb=pb, reps=reps):
                for _ in range(reps):
                    pa @ pb

            row.append(f"{flops * reps / median_time(pt_mm) / 1e9:.1f}")
        else:
            row.append("-")
        rows.append(row)
    header = ["shape", "rustgrad GFLOP/s", "numpy GFLOP/s", "rustgrad/numpy", "pytorch GFLOP/s"]
    table(
        f"(b) f32 GEMM, {rg.get_num_threads()} threads (includes result allocation)", header, rows
    )


if __name__ == "__main__":
    main()
