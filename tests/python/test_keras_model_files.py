"""Model files: .keras archives (architecture, weights, compile config, optimizer state), Keras'
.weights.h5, and damaged, truncated, empty, foreign and other-architecture files refused naming
the file (and the layer and shapes), the model left unchanged."""

from __future__ import annotations

import json
import zipfile

import h5py
import numpy as np
import pytest
from rustgrad import keras

L = keras.layers


def _model(units=4, optimizer="adam"):
    np.random.seed(0)
    m = keras.Sequential(
        [keras.Input((6,)), L.Dense(units, activation="relu"), L.BatchNormalization(), L.Dense(2)]
    )
    m.compile(optimizer, "mse", metrics=["mae"])
    return m


def _data():
    r = np.random.default_rng(1)
    return r.random((32, 6)).astype("f4"), r.random((32, 2)).astype("f4")


def _state(m):
    st = m._engine().optimizer_state()
    return st["iterations"], {k: [np.asarray(a) for a in v] for k, v in st["slots"].items()}


@pytest.mark.parametrize(
    "optimizer",
    [
        "adam",
        keras.optimizers.SGD(0.05, momentum=0.9),
        keras.optimizers.RMSprop(momentum=0.5, centered=True),
        keras.optimizers.Adam(amsgrad=True),
        "adagrad",
        "nadam",
        "ftrl",
    ],
    ids=str,
)
def test_keras_archive_keeps_architecture_weights_compile_and_optimizer(tmp_path, optimizer):
    x, y = _data()
    m = _model(optimizer=optimizer)
    m.fit(x, y, batch_size=8, epochs=2, verbose=0)
    m.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(z.read("config.json"))
    assert config["compile_config"]["loss"] == "mse"
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer) is type(m.optimizer)
    assert loaded.optimizer.get_config() == m.optimizer.get_config()
    np.testing.assert_allclose(loaded.predict(x), m.predict(x), atol=1e-6)
    it, slots = _state(m)
    it2, slots2 = _state(loaded)
    assert it2 == it == loaded.optimizer.iterations
    for name in slots:
        for a, b in zip(slots[name], slots2[name]):
            np.testing.assert_array_equal(a, b, err_msg=name)
    # The resumed model trains on exactly as the original does.
    m.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(m.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_load_model_without_compile_and_weights_h5_layout(tmp_path):
    x, y = _data()
    m = _model()
    m.fit(x, y, epochs=1, verbose=0)
    m.save(tmp_path / "m.keras")
    bare = keras.models.load_model(tmp_path / "m.keras", compile=False)
    assert bare.optimizer is None
    np.testing.assert_allclose(bare.predict(x), m.predict(x), atol=1e-6)
    m.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as h5:
        assert h5["layers/dense/vars/0"].shape == (6, 4)
        assert h5["layers/dense_1/vars/0"].shape == (4, 2)
        assert [h5[f"layers/batch_normalization/vars/{i}"].shape for i in range(4)] == [(4,)] * 4
        assert h5["layers/dense/vars"].attrs["name"] == m.layers[0].name
        assert int(h5["optimizer/vars/0"][()]) == m.optimizer.iterations
    other = _model()
    other.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_allclose(other.predict(x), m.predict(x), atol=1e-6)


def test_other_architecture_is_refused_naming_layer_and_shapes(tmp_path):
    m = _model(units=4)
    m.save_weights(tmp_path / "w.weights.h5")
    m.save(tmp_path / "m.keras")
    wider = _model(units=5)
    before = wider.get_weights()
    for path in ("w.weights.h5", "m.keras"):
        with pytest.raises(ValueError, match=r"dense.*\(6, 4\).*\(6, 5\)") as e:
            wider.load_weights(tmp_path / path)
        assert path in str(e.value)
        for a, b in zip(before, wider.get_weights()):
            np.testing.assert_array_equal(a, b)


def _flip(raw: bytes, at: int) -> bytes:
    return raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1 :]


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_damaged_truncated_empty_and_foreign_files_are_refused(tmp_path, suffix):
    x, y = _data()
    m = _model()
    m.fit(x, y, epochs=1, verbose=0)
    good = tmp_path / f"good{suffix}"
    (m.save if suffix == ".keras" else m.save_weights)(good)
    raw = good.read_bytes()
    target = _model()
    before = target.get_weights()
    bad = tmp_path / f"bad{suffix}"
    load = keras.models.load_model if suffix == ".keras" else target.load_weights
    rng = np.random.default_rng(7)
    refused = same = 0
    offsets = rng.choice(len(raw), size=50, replace=False)
    for at in offsets:
        bad.write_bytes(_flip(raw, int(at)))
        try:
            got = load(bad)
        except ValueError as e:
            assert str(bad) in str(e)
            refused += 1
            continue
        # A byte no reader looks at (padding, a timestamp, HDF5 free space): nothing changed.
        weights = (got if got is not None else target).get_weights()
        for a, b in zip(weights, m.get_weights()):
            np.testing.assert_array_equal(a, b)
        same += 1
    assert refused + same == 50 and refused >= 25, (refused, same)
    before = target.get_weights()  # a harmless flip loaded the good weights into it
    for cut in sorted(rng.choice(len(raw) - 1, size=20, replace=False)):
        bad.write_bytes(raw[: int(cut)])
        with pytest.raises(ValueError, match="bad"):
            load(bad)
    bad.write_bytes(b"")
    with pytest.raises(ValueError, match="bad"):
        load(bad)
    np.savez(bad.with_suffix(".npz"), a=np.zeros(3))
    bad.write_bytes(bad.with_suffix(".npz").read_bytes())
    with pytest.raises(ValueError, match="bad"):
        load(bad)
    if suffix == ".weights.h5":
        for a, b in zip(before, target.get_weights()):
            np.testing.assert_array_equal(a, b)
    print(f"{suffix}: {refused} flips refused, {same} harmless, 20 truncations, empty, foreign")


def test_changed_weights_in_an_intact_container_are_found(tmp_path):
    m = _model()
    m.save(tmp_path / "m.keras")
    m.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "r+") as h5:
        h5["layers/dense/vars/0"][0, 0] += 1.0
    with pytest.raises(ValueError, match="damaged"):
        _model().load_weights(tmp_path / "w.weights.h5")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        members = {n: z.read(n) for n in z.namelist()}
    cfg = json.loads(members["config.json"])
    cfg["config"]["layers"][1]["config"]["units"] = 7
    members["config.json"] = json.dumps(cfg).encode()
    with zipfile.ZipFile(tmp_path / "edited.keras", "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    with pytest.raises(ValueError, match="config.json is damaged"):
        keras.models.load_model(tmp_path / "edited.keras")
    # An archive without rustgrad's digests (as Keras writes them) loads.
    meta = json.loads(members["metadata.json"])
    meta.pop("rustgrad")
    members["metadata.json"] = json.dumps(meta).encode()
    members["config.json"] = json.dumps(json.loads(members["config.json"])).encode()
    cfg["config"]["layers"][1]["config"]["units"] = 4
    members["config.json"] = json.dumps(cfg).encode()
    with zipfile.ZipFile(tmp_path / "plain.keras", "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    x, _ = _data()
    np.testing.assert_allclose(
        keras.models.load_model(tmp_path / "plain.keras").predict(x), m.predict(x), atol=1e-6
    )


def test_save_refuses_what_it_cannot_write(tmp_path):
    m = _model()
    with pytest.raises(NotImplementedError, match="read-only"):
        m.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match="extension"):
        m.save(tmp_path / "m.bin")
    m.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError):
        m.save(tmp_path / "m.keras", overwrite=False)
    with pytest.raises(NotImplementedError, match="skip_mismatch"):
        m.load_weights(tmp_path / "m.keras", skip_mismatch=True)


def test_model_checkpoint_writes_keras_archives_and_weights_h5(tmp_path):
    x, y = _data()
    m = _model()
    m.fit(
        x,
        y,
        epochs=2,
        verbose=0,
        callbacks=[
            keras.callbacks.ModelCheckpoint(str(tmp_path / "m{epoch}.keras")),
            keras.callbacks.ModelCheckpoint(
                str(tmp_path / "w{epoch}.weights.h5"), save_weights_only=True
            ),
        ],
    )
    loaded = keras.models.load_model(tmp_path / "m2.keras")
    np.testing.assert_allclose(loaded.predict(x), m.predict(x), atol=1e-6)
    other = _model()
    other.load_weights(tmp_path / "w2.weights.h5")
    np.testing.assert_allclose(other.predict(x), m.predict(x), atol=1e-6)
    with pytest.raises(ValueError, match="weights.h5"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), save_weights_only=True)
