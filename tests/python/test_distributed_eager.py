"""MPIStrategy on 2 ranks over loopback for what trains on the eager engine (a subclassed model, a
custom layer, the overridden train_step of Keras' guide) and for inputs read batch by batch (a
Dataset, a generator, a PyDataset): every run ends with weights bit-identical across ranks and
within 1e-5 relative of one process on the same order (distributed_worker_eager.py)."""

from __future__ import annotations

import time
from pathlib import Path

import distributed_helpers as helpers
import numpy as np
import pytest
from distributed_helpers import mnist_fixture, mpi4py_fixture, needs_mpiexec, ok, reports  # noqa: F401 (the fixtures)

WORKER = Path(__file__).with_name("distributed_worker_eager.py")
pytestmark = [needs_mpiexec]
STEPS = 21  # 1301 rows at global batch 64: 20 batches and one of 21 rows (10 / 11 per rank)


def two_and_one(mode: str, tmp_path: Path) -> tuple[list[dict], dict]:
    """Run `mode` on 2 ranks and as one process; both ranks' reports and the process's."""
    (two := tmp_path / "two").mkdir()
    (one := tmp_path / "one").mkdir()
    ok(helpers.run(WORKER, mode, two))
    ok(helpers.run(WORKER, mode, one, ranks=1))
    helpers.assert_trained_as_one(two, one)
    ranks, (single,) = reports(two), reports(one, ranks=1)
    assert ranks[0]["history"] == ranks[1]["history"]
    assert single["calls"] == 0
    return ranks, single


@pytest.mark.parametrize("mode", ["subclass", "custom_layer"])
def test_the_eager_engine_trains_on_two_ranks_as_on_one(mnist, tmp_path, mode):
    (r0, _), single = two_and_one(mode, tmp_path)
    assert r0["calls"] == 2 * STEPS  # one Allreduce per step, the uneven last batch included
    np.testing.assert_allclose(r0["history"]["loss"], single["history"]["loss"], rtol=1e-5)
    np.testing.assert_allclose(r0["history"]["accuracy"], single["history"]["accuracy"], rtol=1e-6)


def test_the_keras_guide_train_step_averages_in_apply(mnist, tmp_path):
    (r0, _), single = two_and_one("train_step", tmp_path)
    assert r0["calls"] == 2 * STEPS  # optimizer.apply all-reduces once per step
    np.testing.assert_allclose(r0["history"]["accuracy"], single["history"]["accuracy"], rtol=1e-6)
    # The guide's tracker averages batch means unweighted: only the last, uneven batch (10 / 11
    # rows per rank against 21 in one) makes its mean differ from one process's, slightly.
    np.testing.assert_allclose(r0["history"]["loss"], single["history"]["loss"], rtol=2e-3)


@pytest.mark.parametrize("mode", ["dataset", "dataset_map", "pydataset"])
def test_a_dataset_or_pydataset_trains_on_two_ranks_as_on_one(mnist, tmp_path, mode):
    # "dataset" shuffles unseeded, each rank from its own NumPy seed: rank 0's seed must rule.
    (r0, _), single = two_and_one(mode, tmp_path)
    assert r0["calls"] == 2 * STEPS
    np.testing.assert_allclose(r0["history"]["loss"], single["history"]["loss"], rtol=1e-5)
    assert len(r0["history"]["accuracy"]) == 2
    np.testing.assert_allclose(r0["history"]["accuracy"], single["history"]["accuracy"], rtol=1e-6)


@pytest.mark.parametrize("mode", ["generator", "generator_step"])
def test_a_generator_of_global_batches_trains_on_two_ranks_as_on_one(mnist, tmp_path, mode):
    (r0, _), single = two_and_one(mode, tmp_path)
    assert r0["calls"] == STEPS
    np.testing.assert_allclose(r0["history"]["accuracy"], single["history"]["accuracy"], rtol=1e-6)


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("gen_short", "rank(s) [1] ran out of batches at batch 10 of the epoch while rank(s) [0]"),
        ("gen_rows", "batch 0 has 32 rows on rank 1 but 64 on rank 0"),
        ("gen_odd", "the first batch's size 63 is global and must divide evenly across the 2"),
        ("manual_update", "after epoch 1 the trainable weights of rank(s) [1] differ from rank 0"),
    ],
)
def test_ranks_that_disagree_all_raise_naming_the_rank(mnist, tmp_path, mode, says):
    start = time.monotonic()
    ok(helpers.run(WORKER, mode, tmp_path, timeout=60))
    assert time.monotonic() - start < 30
    for r in reports(tmp_path):
        assert says in r["error"]


def test_a_failing_rank_of_an_eager_fit_ends_every_rank(mnist, tmp_path):
    start = time.monotonic()
    p = helpers.run(WORKER, "eager_bad_label", tmp_path, timeout=60)
    assert time.monotonic() - start < 30
    assert p.returncode != 0
    assert (
        "rank 1 of 2 failed in fit (ValueError: y (sparse_categorical_crossentropy): label 99"
        in (p.stdout + p.stderr)
    )
    assert not list(tmp_path.glob("rank*.json"))  # the other rank never finished its epochs
