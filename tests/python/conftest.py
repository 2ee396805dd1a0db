"""Dataset fixtures: the real datasets, small files in the real formats, a local HTTP server."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

_SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
# CI sets RUSTGRAD_DATASETS; a checkout beside ../shared/datasets finds the real MNIST by itself.
if not os.environ.get("RUSTGRAD_DATASETS") and _SHARED.is_dir():
    os.environ["RUSTGRAD_DATASETS"] = str(_SHARED)
REAL_DATASETS = os.environ.get("RUSTGRAD_DATASETS", "")

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


@pytest.fixture
def real_dataset_dir():
    """real_dataset_dir(name): the folder holding the real dataset `name`, or skip with a reason."""

    def find(name: str) -> Path:
        if not REAL_DATASETS:
            pytest.skip("RUSTGRAD_DATASETS is unset and ../shared/datasets does not exist")
        for root in REAL_DATASETS.split(os.pathsep):
            if (Path(root) / name).is_dir():
                return Path(root)
        pytest.skip(f"no {name}/ under RUSTGRAD_DATASETS={REAL_DATASETS}")

    return find


def idx_bytes(arr: np.ndarray) -> bytes:
    """An IDX file for a uint8 array: magic 0x0000 08 <ndim>, big-endian dims, data."""
    header = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + np.ascontiguousarray(arr, dtype=np.uint8).tobytes()


def _py2_pickle(obj) -> bytes:
    """Pickle `obj` as Python 2's cPickle wrote the CIFAR files (protocol 2, str as BINSTRING)."""

    def s(b: bytes) -> bytes:
        return b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<i", len(b)) + b

    def emit(o) -> bytes:
        if isinstance(o, dict):
            return b"}(" + b"".join(emit(k) + emit(v) for k, v in o.items()) + b"u"
        if isinstance(o, bytes):
            return s(o)
        if isinstance(o, bool):
            return b"\x88" if o else b"\x89"
        if isinstance(o, int):
            return b"K" + bytes([o]) if 0 <= o < 256 else b"J" + struct.pack("<i", o)
        if o is None:
            return b"N"
        if isinstance(o, list):
            return b"](" + b"".join(emit(x) for x in o) + b"e"
        if isinstance(o, tuple):
            return b"(" + b"".join(emit(x) for x in o) + b"t"
        assert isinstance(o, np.ndarray) and o.dtype == np.uint8
        dtype = b"cnumpy\ndtype\n(" + s(b"u1") + b"\x89\x88tR"
        dtype += emit((3, b"|", None, None, None, -1, -1, 0)) + b"b"
        head = b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\n" + emit((0,)) + s(b"b")
        state = b"(" + emit(1) + emit(tuple(o.shape)) + dtype + b"\x89" + s(o.tobytes()) + b"t"
        return head + b"tR" + state + b"b"

    return b"\x80\x02" + emit(obj) + b"."


def _images(n: int, seed: int, shape=(28, 28)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, *shape), dtype=np.uint8)


class _Fake:
    """Writers of small dataset files in the real formats, and pins for them."""

    idx_bytes = staticmethod(idx_bytes)
    py2_pickle = staticmethod(_py2_pickle)

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def mnist_raw(self, n_train=30, n_test=12, seed=0):
        """{file name: raw IDX bytes} of a tiny MNIST-shaped dataset."""
        rng = np.random.default_rng(seed + 1)
        arrays = [
            _images(n_train, seed),
            rng.integers(0, 10, n_train, dtype=np.uint8),
            _images(n_test, seed + 2),
            rng.integers(0, 10, n_test, dtype=np.uint8),
        ]
        return {name: idx_bytes(a) for name, a in zip(IDX_FILES, arrays)}

    def write_mnist(self, folder: Path, gz=True, pin_as=None, **kw):
        """Write the four files (gzipped or raw); pin their raw sha256 under dataset `pin_as`."""
        folder.mkdir(parents=True, exist_ok=True)
        raw = self.mnist_raw(**kw)
        for name, data in raw.items():
            (folder / (name + ".gz" if gz else name)).write_bytes(
                gzip.compress(data) if gz else data
            )
        if pin_as:
            self.pin_idx(pin_as, raw)
        return raw

    def pin_idx(self, dataset: str, raw: dict):
        from rustgrad.datasets import REGISTRY, Pin

        for name, data in raw.items():
            digest = hashlib.sha256(data).hexdigest()
            self.monkeypatch.setitem(REGISTRY, (dataset, name), Pin("sha256", digest, "test"))

    def cifar_records(self, n, classes, seed=0):
        """(label columns (n, k), images (n, 3072) in CHW plane order)."""
        rng = np.random.default_rng(seed)
        labels = np.stack([rng.integers(0, c, n, dtype=np.uint8) for c in classes], axis=1)
        return labels, rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)

    def cifar_binary(self, labels, pixels) -> bytes:
        return np.concatenate([labels, pixels], axis=1).astype(np.uint8).tobytes()

    def shrink_records(self, dataset_module, n):
        for key in list(dataset_module.DATASET.records):
            self.monkeypatch.setitem(dataset_module.DATASET.records, key, n)


@pytest.fixture
def fake(monkeypatch):
    return _Fake(monkeypatch)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        server = self.server
        with server.lock:
            server.hits[self.path] = server.hits.get(self.path, 0) + 1
        route = server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        status, body, opts = route
        if status != 200:
            self.send_error(status)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(opts.get("length", len(body))))
        self.end_headers()
        chunks = max(1, int(opts.get("chunks", 1)))
        step = -(-len(body) // chunks) or 1
        for i in range(0, len(body), step):
            self.wfile.write(body[i : i + step])
            self.wfile.flush()
            if opts.get("delay"):
                threading.Event().wait(opts["delay"])

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    """A threaded HTTP server on 127.0.0.1: serve(path, body, status=200, **opts); .base; .hits."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.routes, server.hits, server.lock = {}, {}, threading.Lock()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()

    def serve(path, body=b"", status=200, **opts):
        server.routes[path] = (status, body, opts)

    yield SimpleNamespace(
        base=f"http://127.0.0.1:{server.server_address[1]}", serve=serve, hits=server.hits
    )
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
