"""The single-process pieces of MPIStrategy's eager path, without MPI: the flat gradient buffer
(distribute/_flat.py), the seam in optimizer.apply_gradients, the eager engine's gradient hook,
and the agreement on batch-by-batch inputs against a stand-in communicator."""

from __future__ import annotations

import numpy as np
import pytest
from rustgrad import _core, keras
from rustgrad.distribute import _feeds, _flat, _state

SHAPES = [(2, 3), (4,), (1,)]


def test_pack_lays_out_gradients_flags_and_rows_and_unpack_inverts_it():
    rng = np.random.default_rng(0)
    g = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    buf = _flat.pack([g[0], None, _core.tensor(g[2])], SHAPES, rows=7)
    assert buf.dtype == np.float32 and buf.shape == (6 + 4 + 1 + 3 + 1,)
    np.testing.assert_array_equal(buf[:6], g[0].ravel())
    np.testing.assert_array_equal(buf[6:10], 0)  # no gradient: zeros in the sum
    np.testing.assert_array_equal(buf[11:15], [1, 0, 1, 7])
    out = _flat.unpack(buf, SHAPES)
    np.testing.assert_array_equal(out[0], g[0])
    assert out[1] is None
    np.testing.assert_array_equal(out[2], g[2])


def test_pack_refuses_a_gradient_of_the_wrong_size():
    with pytest.raises(
        ValueError, match=r"gradient 1 has 3 values but its variable has shape \(4,\)"
    ):
        _flat.pack([None, np.zeros(3)], SHAPES[:2], rows=1)


def test_apply_gradients_hands_every_pair_to_the_reducer_and_applies_what_it_returns():
    w = _core.tensor(np.ones(3, np.float32), requires_grad=True)
    unused = _core.tensor(np.ones(2, np.float32), requires_grad=True)
    seen = []

    def reducer(pairs):
        seen.append([g is None for g, _ in pairs])
        return [(None if g is None else np.full(3, 4.0, np.float32), v) for g, v in pairs]

    opt = keras.optimizers.SGD(learning_rate=0.5)
    with _state.reducing(reducer):
        opt.apply_gradients([(np.ones(3, np.float32), w), (None, unused)])
    assert seen == [[False, True]]  # None gradients reach the reducer too: the same layout
    np.testing.assert_allclose(w.numpy(), 1 - 0.5 * 4.0)
    np.testing.assert_array_equal(unused.numpy(), 1)
    opt.apply_gradients([(np.ones(3, np.float32), w)])  # outside the context: as given
    np.testing.assert_allclose(w.numpy(), -1 - 0.5)


class Tiny(keras.Model):
    def __init__(self):
        super().__init__()
        self.d = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")

    def call(self, x, training=False):
        return self.d(x)


def test_the_eager_engines_hook_sees_the_packed_buffer_and_its_changes_are_applied():
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    m = Tiny()
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    m.fit(x, y, batch_size=4, epochs=1, verbose=0)  # builds; w = 1 - 0.1 * 4, b = -0.4
    engine, bufs = m._engine(), []

    def hook(buf):
        bufs.append(buf.copy())
        buf[:-1] = 0.0  # a zero gradient: SGD leaves the weights alone

    before = m.get_weights()
    engine.set_grad_hook(hook)
    m.fit(x[:3], y[:3], batch_size=3, epochs=1, verbose=0, shuffle=False)
    engine.set_grad_hook(None)
    (buf,) = bufs
    # d mse / d w = 2 * (x @ w + b) * x = 2 * (2 * 0.6 - 0.4) per kernel entry and the bias.
    np.testing.assert_allclose(buf[:3], [1.6, 1.6, 1.6], rtol=1e-6)
    np.testing.assert_array_equal(buf[3:], [1, 1, 3])  # two flags, then the batch's rows
    for a, b in zip(m.get_weights(), before):
        np.testing.assert_array_equal(a, b)


class TwoRanks:
    """Rank 0 of two; `other` is what rank 1 contributes to each Allgather."""

    rank, size = 0, 2

    def __init__(self, other):
        self.comm, self.other = self, list(other)
        self.started = 0

    def Allgather(self, mine, every):
        every[0], every[1] = mine, self.other.pop(0)

    def start(self, model):
        self.started += 1


def batch(rows):
    return (np.arange(rows * 2, dtype=np.float32).reshape(rows, 2), np.zeros(rows), None)


def test_local_batches_slices_each_global_batch_and_ends_together():
    batches = iter([batch(4), batch(3)])
    r = TwoRanks([[4, _feeds.checksum(batch(4))], [3, _feeds.checksum(batch(3))], [-1, 0]])
    got = list(_feeds.local_batches(r, None, batches))
    assert [len(x) for x, _, _ in got] == [2, 1]  # rows [0, 2) of 4 and [0, 1) of 3
    np.testing.assert_array_equal(got[0][0], batch(4)[0][:2])
    assert got[0][2] is None and r.started == 2


@pytest.mark.parametrize(
    ("other", "error", "says"),
    [
        ([[-1, 0]], RuntimeError, r"rank\(s\) \[1\] ran out of batches at batch 0"),
        ([[2, 0]], ValueError, "batch 0 has 2 rows on rank 1 but 4 on rank 0"),
    ],
)
def test_ranks_that_disagree_raise_marked_for_every_rank(other, error, says):
    r = TwoRanks(other)
    with pytest.raises(error, match=says) as e:
        list(_feeds.local_batches(r, None, iter([batch(4)])))
    assert e.value.every_rank  # raised alike on every rank: fit does not abort for it


def test_a_first_batch_that_does_not_split_is_refused_and_a_tiny_one_skipped():
    with pytest.raises(ValueError, match="the first batch's size 3 is global and must divide"):
        list(_feeds.local_batches(TwoRanks([[3, 0]]), None, iter([batch(3)])))
    same = [[4, _feeds.checksum(batch(4))], [1, _feeds.checksum(batch(1))], [-1, 0]]
    with pytest.warns(UserWarning, match="batch 1 has 1 rows, fewer than the 2 ranks") as w:
        got = list(_feeds.local_batches(TwoRanks(same), None, iter([batch(4), batch(1)])))
    assert len(got) == 1 and len(w) == 1


def test_batches_that_differ_between_ranks_are_warned_about_once():
    r = TwoRanks([[4, 1], [4, 2], [-1, 0]])
    with pytest.warns(UserWarning, match="batch 0 of ranks \\[1\\] differs from rank 0's") as w:
        got = list(_feeds.local_batches(r, None, iter([batch(4), batch(4)])))
    assert len(got) == 2 and len(w) == 1
