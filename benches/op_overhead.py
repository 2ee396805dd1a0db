"""Per-op overhead: a 3000-op graph on 16-element tensors, forward + backward, against peers.
PyTorch runs in a child of $RUSTGRAD_PEER_PYTHON (see _common.peers), on one thread."""

import json
import sys

import numpy as np
from _common import median_time, peer_python, peers, run_child_in, table

STEPS = 1000  # three ops each: mul, add, tanh


def rustgrad_run():
    import rustgrad as rg

    w = rg.randn(16, requires_grad=True)
    x = rg.randn(16)

    def run():
        y = x
        for _ in range(STEPS):
            y = (y * w + 1.0).tanh()
        y.sum().backward()

    return run


def numpy_forward():
    rng = np.random.default_rng(0)
    w = rng.standard_normal(16).astype(np.float32)
    x = rng.standard_normal(16).astype(np.float32)

    def run():
        y = x
        for _ in range(STEPS):
            y = np.tanh(y * w + 1.0)

    return run


def torch_run(torch):
    w = torch.randn(16, requires_grad=True)
    x = torch.randn(16)

    def run():
        y = x
        for _ in range(STEPS):
            y = (y * w + 1.0).tanh()
        y.sum().backward()

    return run


def main():
    per_op = 3 * STEPS
    rows = []
    t_rg = median_time(rustgrad_run()) / per_op * 1e6
    t_np = median_time(numpy_forward()) / per_op * 1e6
    rows.append(["rustgrad (fwd+bwd)", f"{t_rg:.3f}", "1.00"])
    rows.append(["numpy (fwd only)", f"{t_np:.3f}", f"{t_np / t_rg:.2f}"])
    present, notes = peers({"pytorch": "torch"})
    if present:
        t_pt = run_child_in(peer_python(), __file__, "torch")["us"]
        rows.append(["pytorch (fwd+bwd, 1 thread)", f"{t_pt:.3f}", f"{t_pt / t_rg:.2f}"])
    table(
        "(a) per-op overhead, 16-element tensors, 3000 ops",
        ["library", "us/op", "peer/rustgrad"],
        rows,
    )
    for note in notes:
        print(f"  {note}")
    return t_rg


def child():
    """PyTorch's µs per op in this (peer) interpreter, as JSON for the parent."""
    import torch

    torch.set_num_threads(1)
    print(json.dumps({"us": median_time(torch_run(torch)) / (3 * STEPS) * 1e6}))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child()
    else:
        main()
