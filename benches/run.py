"""`make bench`: every benchmark in this folder, each printing a table of ratios measured in this run.

    python benches/run.py [--quick] [name ...]

`--quick` (or RUSTGRAD_BENCH_QUICK=1) runs fewer, shorter passes; names pick benches. The CPU model
and the SIMD level are printed once first, since every figure below depends on them.
"""

import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

BENCHES = [
    "op_overhead",
    "gemm",
    "mnist_mlp",
    "mnist_cnn",
    "cifar_cnn",
    "width_sweep",
    "recurrent",
    "functional",
    "tape_loop",
    "grad_monitor",
    "busy",
]


def main():
    from _common import cpu_model, quick, simd_line

    short = quick()
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    print(f"CPU: {cpu_model()}")
    print(f"SIMD level: {simd_line()}")
    if short:
        print("quick mode: fewer, shorter passes (figures noisier)")
    for name in BENCHES:
        if only and name not in only:
            continue
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
        if not os.path.exists(path):
            continue
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()
