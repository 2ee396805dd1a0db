"""`make bench`: every benchmark in this folder, each printing a table of ratios measured in this run."""

import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

BENCHES = [
    "op_overhead",
    "gemm",
    "mnist_mlp",
    "mnist_cnn",
    "functional",
    "tape_loop",
    "grad_monitor",
]


def main():
    only = sys.argv[1:]
    for name in BENCHES:
        if only and name not in only:
            continue
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
        if not os.path.exists(path):
            continue
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()
