"""Weights files refuse damage and leave nothing behind: a byte changed anywhere, a truncation, an
empty or foreign file is refused with the file named and the model unchanged; a writer killed with
SIGKILL at random moments leaves the old file or the new one, and the next save removes the
temporaries it left. Each fault is injected many times and counted."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from rustgrad import keras
from rustgrad._files import PREFIX, sweep

FORMATS = (".npz", ".safetensors")


def model(seed=0):
    keras.utils.set_random_seed(seed)
    m = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(7, activation="relu"), keras.layers.Dense(3)]
    )
    m.compile("adam", "mse")
    return m


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))


def marker_span(raw: bytes, fmt: str) -> range:
    """The bytes that say 'rustgrad sealed this file': damage there makes the file look foreign."""
    if fmt == ".npz":
        return range(len(raw) - 80, len(raw) - 64)
    at = raw.index(b'"format":"rustgrad"')
    return range(at, at + len(b'"format":"rustgrad"'))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_byte_changed_anywhere_is_refused(tmp_path, fmt):
    src, path = model(0), tmp_path / f"w{fmt}"
    src.save_weights(path)
    raw = path.read_bytes()
    r = np.random.default_rng(7)
    offsets = r.choice(len(raw), size=min(len(raw), 60), replace=False)
    refused = loaded_intact = 0
    for off in offsets:
        bad = bytearray(raw)
        bad[off] ^= int(r.integers(1, 256))
        damaged = tmp_path / f"d{fmt}"
        damaged.write_bytes(bytes(bad))
        dst = model(1)
        before = [w.copy() for w in dst.get_weights()]
        try:
            dst.load_weights(damaged)
        except ValueError as e:
            assert str(damaged) in str(e)
            assert all(np.array_equal(a, b) for a, b in zip(before, dst.get_weights()))
            refused += 1
            continue
        # Only a hit on the seal's own marker may load, and then the contents are the original's.
        assert off in marker_span(raw, fmt), f"byte {off} of {len(raw)} changed and loaded"
        assert same(dst, src)
        loaded_intact += 1
    assert refused + loaded_intact == len(offsets) >= 60
    assert refused >= 50


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_seal_names_damage_in_the_data(tmp_path, fmt):
    src, path = model(0), tmp_path / f"w{fmt}"
    src.save_weights(path)
    raw = bytearray(path.read_bytes())
    # The last weight's bytes (safetensors: end of data; npz: inside the last member).
    at = len(raw) - 1 if fmt == ".safetensors" else len(raw) // 2
    raw[at] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="damaged"):
        model(1).load_weights(path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_empty_and_foreign_files_are_refused(tmp_path, fmt):
    src, path = model(0), tmp_path / f"w{fmt}"
    src.save_weights(path)
    raw = path.read_bytes()
    r = np.random.default_rng(3)
    lengths = sorted({0, 1, 7, 8, *r.integers(0, len(raw), size=25).tolist()})
    for n in lengths:
        cut = tmp_path / f"cut{fmt}"
        cut.write_bytes(raw[:n])
        dst = model(1)
        with pytest.raises(ValueError, match="cannot read weights from"):
            dst.load_weights(cut)
        assert same(dst, model(1))
    assert len(lengths) >= 20
    other = tmp_path / f"other{fmt}"
    other.write_bytes(b"not a weights file at all" * 10)
    with pytest.raises(ValueError, match=f"not a \\{fmt} weights file"):
        model(1).load_weights(other)


def test_other_architecture_is_refused_naming_layer_and_shapes(tmp_path):
    path = tmp_path / "w.npz"
    model(0).save_weights(path)
    keras.utils.set_random_seed(0)
    wide = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8), keras.layers.Dense(3)])
    before = [w.copy() for w in wide.get_weights()]
    with pytest.raises(ValueError, match=r"has shape \(5, 7\) but the layer expects \(5, 8\)"):
        wide.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, wide.get_weights()))


def test_files_written_by_others_without_a_seal_still_load(tmp_path):
    src = model(0)
    keys = [f"{k:04d}.w" for k in range(len(src.get_weights()))]
    np.savez(tmp_path / "plain.npz", **dict(zip(keys, src.get_weights())))
    dst = model(1)
    dst.load_weights(tmp_path / "plain.npz")
    assert same(dst, src)
    # A safetensors file as the safetensors library writes it: no rustgrad metadata.
    import json

    header, blobs, offset = {}, [], 0
    for k, w in zip(keys, src.get_weights()):
        b = np.ascontiguousarray(w, "<f4").tobytes()
        header[k] = {
            "dtype": "F32",
            "shape": list(w.shape),
            "data_offsets": [offset, offset + len(b)],
        }
        offset += len(b)
        blobs.append(b)
    head = json.dumps(header).encode()
    raw = len(head).to_bytes(8, "little") + head + b"".join(blobs)
    (tmp_path / "plain.safetensors").write_bytes(raw)
    dst = model(2)
    dst.load_weights(tmp_path / "plain.safetensors")
    assert same(dst, src)


WRITER = textwrap.dedent(
    """
    import os
    import sys
    import time
    import numpy as np
    from rustgrad import keras

    real_replace = os.replace

    def announced_replace(src, dst):
        # Say when a whole temporary waits for its rename, so the test can kill exactly there.
        print("renaming", flush=True)
        time.sleep(0.02)
        real_replace(src, dst)

    os.replace = announced_replace
    target = sys.argv[1]
    m = keras.Sequential([keras.Input((1000,)), keras.layers.Dense(500), keras.layers.Dense(10)])
    m.build((None, 1000))
    print("ready", flush=True)
    version = 0
    while True:
        version += 1
        m.set_weights([np.full(w.shape, version, np.float32) for w in m.get_weights()])
        m.save(target) if target.endswith(".keras") else m.save_weights(target)
    """
)


def ours(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(PREFIX))


@pytest.mark.parametrize("fmt", (*FORMATS, ".weights.h5", ".keras"))
def test_sigkill_mid_save_leaves_a_whole_file_and_the_next_save_sweeps(tmp_path, fmt):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / f"w{fmt}"
    r = np.random.default_rng(11)
    # A whole version 0 first, so every kill below is checked against the file, however slowly
    # a loaded machine lets the writers finish their saves.
    keras.utils.set_random_seed(0)
    first = keras.Sequential(
        [keras.Input((1000,)), keras.layers.Dense(500), keras.layers.Dense(10)]
    )
    first.set_weights([np.zeros(w.shape, np.float32) for w in first.get_weights()])
    first.save(target) if fmt == ".keras" else first.save_weights(target)
    kills = strays_seen = whole = 0
    versions = set()
    for i in range(20):
        p = subprocess.Popen(
            [sys.executable, str(script), str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            # The background shell may have SIGINT ignored; SIGKILL needs no handler at all.
            start_new_session=True,
        )
        try:
            ready, _, _ = select.select([p.stdout], [], [], 60)
            assert ready and p.stdout.readline().strip() == b"ready", "writer did not start"
            if i % 2:  # a random moment of its saving loop
                time.sleep(float(r.uniform(0.0, 0.25)))
            else:  # its temporary is whole and not yet renamed (the rename waits 20 ms)
                ready, _, _ = select.select([p.stdout], [], [], 60)
                assert ready and p.stdout.readline().strip() == b"renaming"
            os.kill(p.pid, signal.SIGKILL)
            kills += 1
        finally:
            p.kill()
            p.wait(timeout=30)
            p.stdout.close()
        strays_seen += len(ours(folder))
        if target.exists():  # the file is always a whole version: every weight the same value
            keras.utils.set_random_seed(0)
            m = keras.Sequential(
                [keras.Input((1000,)), keras.layers.Dense(500), keras.layers.Dense(10)]
            )
            if fmt == ".keras":
                m = keras.models.load_model(target)
            else:
                m.load_weights(target)
            values = {float(v) for w in m.get_weights() for v in np.unique(w)}
            assert len(values) == 1
            versions |= values
            whole += 1
    assert kills == 20 and whole == 20
    assert len(versions) >= 2, "no writer finished a save: the replacement was not tested"
    assert strays_seen >= 10, "the kills before a rename left no temporary: nothing was tested"
    # The writers are dead: the next save into the folder removes what they left.
    other = folder / f"other{fmt}"
    model(0).save(other) if fmt == ".keras" else model(0).save_weights(other)
    assert ours(folder) == []


def test_sweep_keeps_temporaries_of_running_writers(tmp_path):
    mine = tmp_path / f"{PREFIX}{os.getpid()}-abc.w.npz.tmp"
    mine.write_bytes(b"in progress")
    parent = tmp_path / f"{PREFIX}{os.getppid()}-abc.w.npz.tmp"  # a live process, older than it
    parent.write_bytes(b"in progress")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    gone = tmp_path / f"{PREFIX}{dead.pid}-abc.w.npz.tmp"
    gone.write_bytes(b"left behind")
    foreign = tmp_path / ".w.npz.abc.tmp"  # not ours: never touched
    foreign.write_bytes(b"someone else's")
    assert sweep(tmp_path) == 1
    assert mine.exists() and parent.exists() and foreign.exists() and not gone.exists()
