"""Dataset tests: CIFAR-10/100 in the binary and python formats, their faults, the restricted unpickler."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from datasets_helpers import (
    chw_to_hwc,
    flip,
    isolated,  # noqa: F401 (an autouse fixture: every test is isolated)
    write_cifar,
)
from rustgrad.datasets import (
    REGISTRY,
    DatasetCorruptError,
    Pin,
    UnsafePickleError,
    cifar10,
    cifar100,
)
from rustgrad.datasets.cifar import read_pickle
from rustgrad.keras.datasets import cifar10 as keras_cifar10
from rustgrad.keras.datasets import cifar100 as keras_cifar100

# ---- CIFAR -------------------------------------------------------------------------------------


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
