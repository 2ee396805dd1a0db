"""The "Seeing training" examples run with --quick on real MNIST: lr_finder.py finds a rate,
trains with it, and writes its plots."""

from __future__ import annotations

import pytest
from test_examples import assert_pngs, number, ok, run

pytest.importorskip("matplotlib", reason="the examples draw plots: pip install rustgrad[examples]")


def test_lr_finder_suggests_a_rate_that_trains(tmp_path, real_dataset_dir):
    real_dataset_dir("mnist")
    text = ok(run("lr_finder", tmp_path))
    lr = number(r"suggested learning rate (\S+)$", text)
    # Plain SGD on this MLP diverges past ~1 and barely moves below ~1e-3.
    assert 1e-3 < lr < 2.0, text
    default = number(r"^Keras' default\s+\S+\s+(\S+)$", text)
    found = number(r"^lr_find's suggestion\s+\S+\s+(\S+)$", text)
    assert found > 0.7 and found > default, text
    assert_pngs(tmp_path, "lr_find", "gradients")
