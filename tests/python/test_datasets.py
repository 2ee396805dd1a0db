"""Tests of rustgrad.datasets: real MNIST/Fashion-MNIST, synthetic files, faults, downloads."""

from __future__ import annotations

import gzip
import hashlib
import io
import multiprocessing
import os
import socket
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
from rustgrad.datasets import (
    REGISTRY,
    DatasetCorruptError,
    DatasetNotFoundError,
    Pin,
    UnsafePickleError,
    checksums,
    cifar10,
    cifar100,
    fashion_mnist,
    mnist,
    paths,
)
from rustgrad.datasets.cifar import read_pickle
from rustgrad.datasets.idx import LABELS_MAGIC, read_idx
from rustgrad.keras.datasets import cifar10 as keras_cifar10
from rustgrad.keras.datasets import cifar100 as keras_cifar100
from rustgrad.keras.datasets import fashion_mnist as keras_fashion_mnist
from rustgrad.keras.datasets import mnist as keras_mnist

IDX = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte")
IDX = IDX + ("t10k-labels-idx1-ubyte",)
MNIST_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Every test: its own empty cache, offline, no $RUSTGRAD_DATASETS, no system folders."""
    monkeypatch.setenv("RUSTGRAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RUSTGRAD_OFFLINE", "1")
    for var in ("RUSTGRAD_DATASETS", "RUSTGRAD_DATASET_MIRROR", "RUSTGRAD_DOWNLOAD_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(paths, "SYSTEM_DIRS", [])


def go_online(monkeypatch, *bases):
    monkeypatch.delenv("RUSTGRAD_OFFLINE")
    monkeypatch.setenv("RUSTGRAD_DATASET_MIRROR", ",".join(bases))


def leftovers(root: Path):
    return [p for p in root.rglob("*") if p.name.endswith((".part", ".extract", ".tmp"))]


def flip(path: Path, at=None):
    data = bytearray(path.read_bytes())
    data[len(data) // 2 if at is None else at] ^= 0xFF
    path.write_bytes(bytes(data))


def spy_hashing(monkeypatch):
    calls = []
    real = checksums._digest
    monkeypatch.setattr(checksums, "_digest", lambda a, d: calls.append(a) or real(a, d))
    return calls


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


# ---- CIFAR -------------------------------------------------------------------------------------


def chw_to_hwc(pixels):
    return pixels.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def write_cifar(fake, module, folder: Path, fmt: str, n=4):
    """Small CIFAR batches in the binary or python format; python files get their md5 pinned."""
    ds = module.DATASET
    fake.shrink_records(module, n)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for i, batch in enumerate(ds.batches):
        labels, pixels = fake.cifar_records(n, ds.classes, seed=i)
        out[batch] = (labels, pixels)
        if fmt == "bin":
            (folder / (batch + ".bin")).write_bytes(fake.cifar_binary(labels, pixels))
            continue
        entry = {b"batch_label": b"batch " + batch.encode(), b"data": pixels}
        for col, key in enumerate(ds.py_label_keys):
            entry[key.encode()] = [int(v) for v in labels[:, col]]
        entry[b"filenames"] = [b"img_%d.png" % j for j in range(n)]
        data = fake.py2_pickle(entry)
        (folder / batch).write_bytes(data)
        digest = hashlib.md5(data).hexdigest()
        fake.monkeypatch.setitem(REGISTRY, (ds.name, batch), Pin("md5", digest, "test"))
    return out


@pytest.mark.parametrize(
    "fmt, folder", [("bin", "cifar-10-batches-bin"), ("py", "cifar-10-batches-py")]
)
def test_cifar10_both_formats(tmp_path, fake, fmt, folder):
    data = write_cifar(fake, cifar10, tmp_path / folder, fmt)
    (x, y), (xt, _yt) = keras_cifar10.load_data(path=tmp_path)
    train = [data[b] for b in cifar10.DATASET.train]
    assert x.shape == (20, 32, 32, 3) and y.shape == (20, 1) and xt.shape == (4, 32, 32, 3)
    assert x.dtype == y.dtype == np.uint8 and x.flags.c_contiguous
    assert np.array_equal(x, chw_to_hwc(np.concatenate([p for _, p in train])))
    assert np.array_equal(y, np.concatenate([lab for lab, _ in train]))
    assert np.array_equal(xt, chw_to_hwc(data["test_batch"][1]))
    assert x[1, 2, 3, 0] == train[0][1][1, 0 * 1024 + 2 * 32 + 3]  # red plane, row 2, column 3
    assert x[1, 2, 3, 2] == train[0][1][1, 2 * 1024 + 2 * 32 + 3]  # blue plane


@pytest.mark.parametrize("fmt, folder", [("bin", "cifar-100-binary"), ("py", "cifar-100-python")])
def test_cifar100_fine_and_coarse(tmp_path, fake, fmt, folder):
    data = write_cifar(fake, cifar100, tmp_path / folder, fmt, n=6)
    (x, fine), (_xt, _fine_t) = keras_cifar100.load_data(path=tmp_path)
    (_, coarse), _ = keras_cifar100.load_data("coarse", path=tmp_path)
    labels, pixels = data["train"]
    assert x.shape == (6, 32, 32, 3) and fine.shape == (6, 1) and fine.dtype == np.uint8
    assert np.array_equal(x, chw_to_hwc(pixels))
    assert (
        fine[:, 0].tolist() == labels[:, 1].tolist()
        and coarse[:, 0].tolist() == labels[:, 0].tolist()
    )
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data("medium", path=tmp_path)


@pytest.mark.parametrize("kind", ["partial_record", "missing_record", "empty", "bad_label"])
def test_bad_cifar_binary_refused(tmp_path, fake, kind):
    write_cifar(fake, cifar10, tmp_path / "cifar-10-batches-bin", "bin")
    target = tmp_path / "cifar-10-batches-bin" / "data_batch_2.bin"
    data = target.read_bytes()
    if kind == "partial_record":
        target.write_bytes(data[:-100])
    elif kind == "missing_record":
        target.write_bytes(data[:-3073])
    elif kind == "empty":
        target.write_bytes(b"")
    else:
        target.write_bytes(bytes([10]) + data[1:])
    with pytest.raises(DatasetCorruptError, match="structure-checked") as err:
        cifar10.load_data(path=tmp_path)
    assert str(target) in str(err.value)


def test_flipped_cifar_python_batch_refused_by_md5(tmp_path, fake):
    write_cifar(fake, cifar10, tmp_path / "cifar-10-batches-py", "py")
    target = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    flip(target)
    with pytest.raises(DatasetCorruptError, match=REGISTRY[("cifar-10", "data_batch_3")].digest):
        cifar10.load_data(path=tmp_path)


def test_truncated_cifar_pickle_refused(tmp_path, fake):
    data = fake.py2_pickle({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1, 2]})
    (tmp_path / "batch").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetCorruptError, match="not a readable CIFAR python batch"):
        read_pickle(tmp_path / "batch")


@pytest.mark.parametrize(
    "module, name", [("os", "system"), ("builtins", "eval"), ("posix", "system")]
)
def test_pickle_with_foreign_global_is_refused_and_runs_nothing(tmp_path, fake, module, name):
    marker = tmp_path / "pwned"
    arg = f"open({str(marker)!r}, 'w')" if name == "eval" else f"touch {marker}"
    payload = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X"
    payload += len(arg).to_bytes(4, "little") + arg.encode() + b"\x85R."
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar(fake, cifar10, folder, "py")
    (folder / "data_batch_1").write_bytes(payload)
    # Even a file whose checksum is "right" may not run code.
    digest = hashlib.md5(payload).hexdigest()
    fake.monkeypatch.setitem(REGISTRY, ("cifar-10", "data_batch_1"), Pin("md5", digest, "test"))
    with pytest.raises(UnsafePickleError, match=f"refusing to unpickle.*{module}.{name}") as err:
        cifar10.load_data(path=tmp_path)
    assert str(folder / "data_batch_1") in str(err.value)
    assert not marker.exists()


# ---- downloads ---------------------------------------------------------------------------------


def serve_mnist(server, fake, **opts):
    """Serve a tiny MNIST as .gz files under /mnist/; return the raw bytes (pinned)."""
    raw = fake.mnist_raw()
    fake.pin_idx("mnist", raw)
    for name, data in raw.items():
        server.serve(f"/mnist/{name}.gz", gzip.compress(data), **opts)
    return raw


def test_download_success_is_atomic_and_verified(tmp_path, fake, http_server, monkeypatch, capfd):
    raw = serve_mnist(http_server, fake, chunks=3)
    go_online(monkeypatch, http_server.base + "/{dataset}/")
    stale = tmp_path / "cache" / "mnist" / ".t10k-images-idx3-ubyte.gz.killed.part"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by a killed process")
    os.utime(stale, (time.time() - 3 * 86400,) * 2)
    (x, y), _ = mnist.load_data()
    assert x.tobytes() == raw[IDX[0]][16:] and y.tobytes() == raw[IDX[1]][8:]
    cached = sorted(p.name for p in (tmp_path / "cache" / "mnist").iterdir())
    assert cached == sorted(n + ".gz" for n in IDX)
    assert leftovers(tmp_path / "cache") == []  # the stale .part is gone too
    assert "Downloading " + http_server.base in capfd.readouterr().err
    monkeypatch.setenv("RUSTGRAD_OFFLINE", "1")
    assert mnist.load_data()[0][1].tobytes() == raw[IDX[1]][8:]  # now served from the cache


def test_partial_cache_downloads_only_missing_files(tmp_path, fake, http_server, monkeypatch):
    raw = serve_mnist(http_server, fake)
    cache = tmp_path / "cache" / "mnist"
    cache.mkdir(parents=True)
    for name in IDX[:2]:
        (cache / name).write_bytes(raw[name])
    go_online(monkeypatch, http_server.base + "/{dataset}/")
    mnist.load_data()
    assert sorted(http_server.hits) == [f"/mnist/{n}.gz" for n in sorted(IDX[2:])]


def test_mirror_fallback_after_http_500(tmp_path, fake, http_server, monkeypatch):
    serve_mnist(http_server, fake)
    for name in IDX:
        http_server.serve(f"/broken/{name}.gz", status=500)
    go_online(monkeypatch, http_server.base + "/broken/", http_server.base + "/{dataset}/")
    assert mnist.load_data()[0][0].shape == (30, 28, 28)


@pytest.mark.parametrize("fault", ["http500", "checksum", "truncated"])
def test_failed_download_leaves_nothing(tmp_path, fake, http_server, monkeypatch, fault):
    raw = serve_mnist(http_server, fake)
    body = gzip.compress(raw[IDX[0]])
    route = f"/mnist/{IDX[0]}.gz"
    if fault == "http500":
        http_server.serve(route, status=500)
        expected = "HTTP 500"
    elif fault == "checksum":
        wrong = bytearray(raw[IDX[0]])
        wrong[-1] ^= 0xFF
        http_server.serve(route, gzip.compress(bytes(wrong)))
        expected = REGISTRY[("mnist", IDX[0])].digest
    else:
        http_server.serve(route, body[: len(body) // 2], length=len(body))
        expected = f"truncated transfer: received {len(body) // 2} of {len(body)} bytes"
    go_online(monkeypatch, http_server.base + "/{dataset}/")
    with pytest.raises(DatasetNotFoundError) as err:
        mnist.load_data()
    assert expected in str(err.value) and http_server.base + route in str(err.value)
    assert not (tmp_path / "cache" / "mnist" / (IDX[0] + ".gz")).exists()
    assert leftovers(tmp_path / "cache") == []


def test_unresponsive_server_times_out_fast(monkeypatch):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts connections in the kernel, never answers
    try:
        go_online(monkeypatch, f"http://127.0.0.1:{listener.getsockname()[1]}/")
        monkeypatch.setenv("RUSTGRAD_DOWNLOAD_TIMEOUT", "0.5")
        start = time.monotonic()
        with pytest.raises(DatasetNotFoundError, match="timed out"):
            mnist.load_data()
        assert time.monotonic() - start < 5
    finally:
        listener.close()


def _load_in_child(pins, barrier, results):
    from rustgrad.datasets import REGISTRY, Pin, mnist

    for key, digest in pins.items():
        REGISTRY[key] = Pin("sha256", digest, "test")
    barrier.wait(timeout=60)
    try:
        (x, y), (xt, yt) = mnist.load_data()
        digest = hashlib.sha256(x.tobytes() + y.tobytes() + xt.tobytes() + yt.tobytes())
        results.put(("ok", digest.hexdigest()))
    except Exception as exc:  # noqa: BLE001 - any failure is reported to the parent test
        results.put(("error", repr(exc)))


def test_two_processes_downloading_into_an_empty_cache(tmp_path, fake, http_server, monkeypatch):
    raw = serve_mnist(http_server, fake, chunks=4, delay=0.1)
    go_online(monkeypatch, http_server.base + "/{dataset}/")
    pins = {("mnist", n): hashlib.sha256(d).hexdigest() for n, d in raw.items()}
    expected = hashlib.sha256(b"".join(raw[n][16 if "images" in n else 8 :] for n in IDX))
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_load_in_child, args=(pins, barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert outcomes == [("ok", expected.hexdigest())] * 2
    assert all(http_server.hits[f"/mnist/{n}.gz"] == 2 for n in IDX)  # both really downloaded
    assert leftovers(tmp_path / "cache") == []


def cifar_archive(fake, members, extra=()):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in list(members.items()) + list(extra):
            info = tarfile.TarInfo(name)
            if isinstance(data, bytes):
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:  # ("symlink", target)
                info.type, info.linkname = tarfile.SYMTYPE, data[1]
                tar.addfile(info)
    return buf.getvalue()


def test_cifar_download_extracts_atomically_with_manifest(tmp_path, fake, http_server, monkeypatch):
    src = tmp_path / "src"
    data = write_cifar(fake, cifar10, src, "bin")
    members = {f"cifar-10-batches-bin/{p.name}": p.read_bytes() for p in src.iterdir()}
    archive = cifar_archive(
        fake, members, [("../evil.txt", b"x"), ("cifar-10-batches-bin/readme.html", b"hi")]
    )
    pin = Pin("md5", hashlib.md5(archive).hexdigest(), "test", raw=False)
    monkeypatch.setitem(REGISTRY, ("cifar-10", "cifar-10-binary.tar.gz"), pin)
    http_server.serve("/cifar-10/cifar-10-binary.tar.gz", archive)
    go_online(monkeypatch, http_server.base + "/{dataset}/")
    (_x, y), _ = cifar10.load_data()
    assert np.array_equal(y[:4], data["data_batch_1"][0])
    installed = tmp_path / "cache" / "cifar-10-batches-bin"
    assert sorted(p.name for p in installed.iterdir()) == sorted(
        [".rustgrad-sha256.json"] + [b + ".bin" for b in cifar10.DATASET.batches]
    )
    assert leftovers(tmp_path / "cache") == [] and not list(tmp_path.rglob("evil.txt"))
    assert not list((tmp_path / "cache").glob("*.tar.gz"))
    flip(installed / "data_batch_3.bin", at=5000)  # pixels only: structure still looks fine
    with pytest.raises(DatasetCorruptError, match="sha256") as err:
        cifar10.load_data()
    assert str(installed / "data_batch_3.bin") in str(err.value)


@pytest.mark.parametrize("fault", ["md5", "symlink"])
def test_bad_cifar_archive_installs_nothing(tmp_path, fake, http_server, monkeypatch, fault):
    src = tmp_path / "src"
    write_cifar(fake, cifar10, src, "bin")
    members = {f"cifar-10-batches-bin/{p.name}": p.read_bytes() for p in src.iterdir()}
    if fault == "symlink":
        members["cifar-10-batches-bin/test_batch.bin"] = ("symlink", "/etc/passwd")
    archive = cifar_archive(fake, members)
    digest = hashlib.md5(archive).hexdigest() if fault == "symlink" else "0" * 32
    monkeypatch.setitem(
        REGISTRY, ("cifar-10", "cifar-10-binary.tar.gz"), Pin("md5", digest, "test", raw=False)
    )
    http_server.serve("/cifar-10/cifar-10-binary.tar.gz", archive)
    go_online(monkeypatch, http_server.base + "/{dataset}/")
    with pytest.raises(
        DatasetNotFoundError, match="0" * 32 if fault == "md5" else "not a regular file"
    ):
        cifar10.load_data()
    assert not (tmp_path / "cache" / "cifar-10-batches-bin").exists()
    assert leftovers(tmp_path / "cache") == []


def test_install_keeps_a_concurrent_winner_and_refuses_a_partial_folder(tmp_path, fake):
    from rustgrad.datasets.archive import install_members
    from rustgrad.datasets.errors import DatasetDownloadError

    members = {"d/a.bin": b"aaa", "d/b.bin": b"bbb"}
    (tmp_path / "arch.tar.gz").write_bytes(cifar_archive(fake, members))
    wanted = {"d/a.bin": "a.bin", "d/b.bin": "b.bin"}
    winner = tmp_path / "won"
    winner.mkdir()
    for name in ("a.bin", "b.bin"):
        (winner / name).write_bytes(b"from the other process")
    install_members(tmp_path / "arch.tar.gz", wanted, winner, "test")
    assert (winner / "a.bin").read_bytes() == b"from the other process"
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "a.bin").write_bytes(b"aaa")
    with pytest.raises(DatasetDownloadError, match="incomplete"):
        install_members(tmp_path / "arch.tar.gz", wanted, partial, "test")
    install_members(tmp_path / "arch.tar.gz", wanted, tmp_path / "fresh", "test")
    assert (tmp_path / "fresh" / "b.bin").read_bytes() == b"bbb"
    assert leftovers(tmp_path) == []
