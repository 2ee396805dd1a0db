"""Dataset tests: downloads from a local HTTP server: success, faults, timeouts, concurrent loaders."""

from __future__ import annotations

import gzip
import hashlib
import io
import multiprocessing
import os
import socket
import tarfile
import time

import numpy as np
import pytest
from datasets_helpers import (
    IDX,
    flip,
    go_online,
    isolated,  # noqa: F401 (an autouse fixture: every test is isolated)
    leftovers,
    write_cifar,
)
from rustgrad.datasets import (
    REGISTRY,
    DatasetCorruptError,
    DatasetNotFoundError,
    Pin,
    cifar10,
    mnist,
)

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
