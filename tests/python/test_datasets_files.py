"""Dataset tests: real MNIST/Fashion-MNIST, IDX files and their faults, the search order and the verification cache."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import numpy as np
import pytest
from datasets_helpers import (
    IDX,
    MNIST_COUNTS,
    flip,
    isolated,  # noqa: F401 (an autouse fixture: every test is isolated)
    spy_hashing,
)
from rustgrad.datasets import (
    REGISTRY,
    DatasetCorruptError,
    DatasetNotFoundError,
    cifar10,
    fashion_mnist,
    mnist,
    paths,
)
from rustgrad.datasets.idx import LABELS_MAGIC, read_idx
from rustgrad.keras.datasets import fashion_mnist as keras_fashion_mnist
from rustgrad.keras.datasets import mnist as keras_mnist

# ---- real data ---------------------------------------------------------------------------------


def test_real_mnist_through_env(real_dataset_dir, monkeypatch):
    monkeypatch.setenv("RUSTGRAD_DATASETS", str(real_dataset_dir("mnist")))
    (x, y), (xt, yt) = keras_mnist.load_data()
    assert (x.shape, xt.shape, y.shape, yt.shape) == (
        (60000, 28, 28),
        (10000, 28, 28),
        (60000,),
        (10000,),
    )
    assert x.dtype == y.dtype == xt.dtype == yt.dtype == np.uint8
    assert np.bincount(y).tolist() == MNIST_COUNTS
    assert abs(float(x.mean()) - 33.32) < 0.01
    assert x.flags.writeable


def test_real_mnist_regzipped_and_raw_pass_flipped_fails(real_dataset_dir, tmp_path):
    src = real_dataset_dir("mnist") / "mnist" / "train-labels-idx1-ubyte.gz"
    raw = gzip.decompress(src.read_bytes())
    pin = REGISTRY[("mnist", "train-labels-idx1-ubyte")]
    (tmp_path / "regz.gz").write_bytes(gzip.compress(raw, compresslevel=1, mtime=0))
    (tmp_path / "raw").write_bytes(raw)
    for name in ("regz.gz", "raw"):
        assert np.bincount(read_idx(tmp_path / name, LABELS_MAGIC, pin)).tolist() == MNIST_COUNTS
    flip(tmp_path / "raw", at=100)
    with pytest.raises(DatasetCorruptError, match=pin.digest) as err:
        read_idx(tmp_path / "raw", LABELS_MAGIC, pin)
    assert str(tmp_path / "raw") in str(err.value)


def test_real_fashion_mnist_from_debian_package(monkeypatch):
    system = Path("/usr/share/datasets/fashion-mnist")
    if not system.is_dir():
        pytest.skip(
            "dataset-fashion-mnist is not installed (apt-get install -y dataset-fashion-mnist)"
        )
    monkeypatch.setattr(paths, "SYSTEM_DIRS", ["/usr/share/datasets"])
    (x, y), (xt, yt) = keras_fashion_mnist.load_data()
    assert (x.shape, xt.shape, y.shape, yt.shape) == (
        (60000, 28, 28),
        (10000, 28, 28),
        (60000,),
        (10000,),
    )
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10
    assert abs(float(x.mean()) - 72.94) < 0.01
    assert fashion_mnist.CLASS_NAMES[int(y[0])] == "Ankle boot"


# ---- IDX files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_synthetic_mnist_gz_and_raw(tmp_path, fake, gz):
    raw = fake.write_mnist(tmp_path / "mnist", gz=gz, pin_as="mnist")
    (x, y), (xt, yt) = mnist.load_data(path=tmp_path / "mnist")
    assert x.shape == (30, 28, 28) and xt.shape == (12, 28, 28) and y.shape == (30,)
    assert x.tobytes() == raw[IDX[0]][16:] and yt.tobytes() == raw[IDX[3]][8:]
    # path= may also name the folder that holds mnist/
    assert mnist.load_data(path=tmp_path)[0][1].tolist() == y.tolist()


def test_gzip_is_detected_by_magic_not_suffix(tmp_path, fake):
    labels = fake.mnist_raw()[IDX[1]]
    (tmp_path / "plain.gz").write_bytes(labels)
    (tmp_path / "zipped").write_bytes(gzip.compress(labels))
    a = read_idx(tmp_path / "plain.gz", LABELS_MAGIC)
    b = read_idx(tmp_path / "zipped", LABELS_MAGIC)
    assert a.tolist() == b.tolist() and a.dtype == np.uint8


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("kind", ["truncated", "empty", "flipped", "wrong_magic"])
def test_bad_idx_file_refused_naming_file_and_checksum(tmp_path, fake, kind, gz):
    folder = tmp_path / "mnist"
    raw = fake.write_mnist(folder, gz=gz, pin_as="mnist")
    target = folder / (IDX[0] + (".gz" if gz else ""))
    if kind == "truncated":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    elif kind == "empty":
        target.write_bytes(b"")
    elif kind == "flipped":
        flip(target)
    else:
        data = b"\x00\x00\x08\x01" + raw[IDX[0]][4:]
        target.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(DatasetCorruptError) as err:
        mnist.load_data(path=folder)
    assert str(target) in str(err.value)
    assert REGISTRY[("mnist", IDX[0])].digest in str(err.value)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x05abc", "truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x02abc", "trailing bytes"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated header"),
        (b"PK\x03\x04" + bytes(20), "not an IDX file"),
        (b"\x00\x00\x08\x03" + bytes(12), "wrong magic number 0x00000803, expected 0x00000801"),
    ],
)
def test_idx_structure_checked_without_pin(tmp_path, data, message):
    path = tmp_path / "f"
    path.write_bytes(data)
    with pytest.raises(DatasetCorruptError, match=message) as err:
        read_idx(path, LABELS_MAGIC if "0x00000801" in message else None)
    assert str(path) in str(err.value)


def test_dotted_idx_names_are_found(tmp_path, fake):
    raw = fake.write_mnist(tmp_path, gz=False, pin_as="mnist")
    for name in IDX:
        (tmp_path / name).rename(tmp_path / name.replace("-idx", ".idx"))
    assert mnist.load_data(path=tmp_path)[1][1].tobytes() == raw[IDX[3]][8:]


def test_images_and_labels_must_agree(tmp_path, fake):
    folder = tmp_path / "mnist"
    raw = fake.mnist_raw()
    raw[IDX[1]] = fake.idx_bytes(np.zeros(29, np.uint8))
    for name, data in raw.items():
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)
    fake.pin_idx("mnist", raw)
    with pytest.raises(DatasetCorruptError, match="30 images but .* 29 labels"):
        mnist.load_data(path=folder)


# ---- search order and the verification cache ---------------------------------------------------


def test_search_order(tmp_path, fake, monkeypatch):
    for name in IDX:
        monkeypatch.delitem(REGISTRY, ("mnist", name))  # four different copies: structure checks
    roots = {k: tmp_path / k for k in ("arg", "env", "cache", "sys")}
    labels = {}
    for i, (k, root) in enumerate(roots.items()):
        labels[k] = fake.write_mnist(root / "mnist", seed=10 * i)[IDX[1]][8:]
    # Several roots may be joined with os.pathsep; a missing one is skipped.
    monkeypatch.setenv("RUSTGRAD_DATASETS", f"{tmp_path / 'nowhere'}{os.pathsep}{roots['env']}")
    monkeypatch.setenv("RUSTGRAD_CACHE_DIR", str(roots["cache"]))
    monkeypatch.setattr(paths, "SYSTEM_DIRS", [str(roots["sys"])])
    assert mnist.load_data(path=roots["arg"] / "mnist")[0][1].tobytes() == labels["arg"]
    assert mnist.load_data(path=roots["arg"])[0][1].tobytes() == labels["arg"]
    assert mnist.load_data()[0][1].tobytes() == labels["env"]
    monkeypatch.delenv("RUSTGRAD_DATASETS")
    assert mnist.load_data()[0][1].tobytes() == labels["cache"]
    monkeypatch.setenv("RUSTGRAD_CACHE_DIR", str(tmp_path / "empty"))
    assert mnist.load_data()[0][1].tobytes() == labels["sys"]


def test_corrupt_file_does_not_fall_through_to_a_later_place(tmp_path, fake, monkeypatch):
    fake.write_mnist(tmp_path / "env" / "mnist", pin_as="mnist")
    fake.write_mnist(tmp_path / "cache" / "mnist")
    flip(tmp_path / "env" / "mnist" / (IDX[1] + ".gz"))
    monkeypatch.setenv("RUSTGRAD_DATASETS", str(tmp_path / "env"))
    with pytest.raises(DatasetCorruptError, match="env"):
        mnist.load_data()


def test_verification_is_cached_in_the_cache_dir_keyed_on_stat(tmp_path, fake, monkeypatch):
    folder = tmp_path / "data" / "mnist"
    fake.write_mnist(folder, gz=False, pin_as="mnist")
    old = time.time() - 3600
    for f in folder.iterdir():
        os.utime(f, (old, old))
    before = sorted(os.listdir(folder))
    calls = spy_hashing(monkeypatch)
    mnist.load_data(path=folder)
    assert len(calls) == 4
    assert (tmp_path / "cache" / ".verified.json").is_file()
    assert sorted(os.listdir(folder)) == before  # the data folder is never written
    calls.clear()
    mnist.load_data(path=folder)
    assert calls == []
    # Same size and mtime but a new inode (a replaced file): hashed again, and refused.
    target = folder / IDX[1]
    data = bytearray(target.read_bytes())
    data[20] = (data[20] + 1) % 10
    (folder / "new").write_bytes(bytes(data))
    os.utime(folder / "new", (old, old))
    os.replace(folder / "new", target)
    with pytest.raises(DatasetCorruptError, match=str(target)):
        mnist.load_data(path=folder)


def test_fresh_files_are_not_cached_so_a_same_tick_rewrite_is_caught(tmp_path, fake):
    folder = tmp_path / "mnist"
    fake.write_mnist(folder, gz=False, pin_as="mnist")
    target = folder / IDX[1]
    mnist.load_data(path=folder)
    st = target.stat()
    with open(target, "r+b") as f:  # same inode, same size ...
        f.seek(20)
        f.write(bytes([(target.read_bytes()[20] + 1) % 10]))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # ... and the same mtime
    with pytest.raises(DatasetCorruptError):
        mnist.load_data(path=folder)


def test_unwritable_cache_never_fails_a_load(tmp_path, fake, monkeypatch):
    (tmp_path / "afile").write_text("not a folder")
    monkeypatch.setenv("RUSTGRAD_CACHE_DIR", str(tmp_path / "afile" / "cache"))
    folder = tmp_path / "mnist"
    fake.write_mnist(folder, pin_as="mnist")
    old = time.time() - 3600
    for f in folder.iterdir():
        os.utime(f, (old, old))
    assert mnist.load_data(path=folder)[0][0].shape == (30, 28, 28)


def test_offline_missing_dataset_fails_fast_listing_places(tmp_path, monkeypatch):
    monkeypatch.setenv("RUSTGRAD_DATASETS", str(tmp_path / "env"))
    monkeypatch.setattr(paths, "SYSTEM_DIRS", [str(tmp_path / "sys")])
    monkeypatch.setenv("RUSTGRAD_DATASET_MIRROR", "http://192.0.2.1/")  # would hang if tried
    start = time.monotonic()
    with pytest.raises(DatasetNotFoundError) as err:
        mnist.load_data(path=tmp_path / "given")
    assert time.monotonic() - start < 5
    msg = str(err.value)
    for place in ("given", "env/mnist", "cache/mnist", "sys/mnist"):
        assert str(tmp_path / place) in msg
    assert "RUSTGRAD_OFFLINE" in msg and "train-images-idx3-ubyte.gz" in msg
    assert isinstance(err.value, FileNotFoundError)
    with pytest.raises(DatasetNotFoundError, match="cifar-10-batches-py"):
        cifar10.load_data()
    monkeypatch.delenv("RUSTGRAD_OFFLINE")
    with pytest.raises(DatasetNotFoundError, match="download=False"):
        mnist.load_data(download=False)
