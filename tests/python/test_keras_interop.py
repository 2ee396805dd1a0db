"""Interop with real Keras 3 (jax backend, its own virtualenv): .keras files rustgrad writes open
in Keras and predict the same; files Keras writes open in rustgrad, predict the same, and fit
continues from Keras' optimizer state (one more step on each side gives the same weights)."""

from __future__ import annotations

import numpy as np
from keras_interop_helpers import MODELS, keras_python, models_namespace, run_keras
from rustgrad import keras

NS = models_namespace()

KERAS_LOAD = (
    MODELS
    + """
import sys, numpy as np, keras
path, out = sys.argv[1], sys.argv[2]
img, lab, ids, feats, target = data(np)
m = keras.models.load_model(path)
x = img if isinstance(m, keras.Sequential) else [ids, feats]
pred = m.predict(x, verbose=0)
opt = {f"v{i}": np.asarray(v) for i, v in enumerate(m.optimizer.variables)}
if not isinstance(m, keras.Sequential):  # one more step on the whole batch
    m.fit(x, target, batch_size=16, epochs=1, shuffle=False, verbose=0)
np.savez(out, pred=pred, iterations=int(m.optimizer.iterations), **opt,
         **{f"w{i}": w for i, w in enumerate(m.get_weights())})
"""
)

KERAS_SAVE = (
    MODELS
    + """
import sys, numpy as np, keras
folder = sys.argv[1]
img, lab, ids, feats, target = data(np)
keras.utils.set_random_seed(1)
s = sequential(keras)
s.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
s.fit(img, lab, batch_size=8, epochs=2, verbose=0)
s.save(folder + "/seq.keras")
f = functional(keras)
f.compile(keras.optimizers.SGD(0.05, momentum=0.9), "mse")
f.fit([ids, feats], target, batch_size=8, epochs=2, verbose=0)
f.save(folder + "/fun.keras")
np.savez(folder + "/keras_out.npz", seq=s.predict(img, verbose=0),
         fun=f.predict([ids, feats], verbose=0))
f.fit([ids, feats], target, batch_size=16, epochs=1, shuffle=False, verbose=0)
np.savez(folder + "/keras_after.npz", *f.get_weights())
"""
)


def _trained(kind: str):
    img, lab, ids, feats, target = NS["data"](np)
    np.random.seed(3)
    if kind == "sequential":
        m = NS["sequential"](keras)
        m.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", ["accuracy"])
        m.fit(img, lab, batch_size=8, epochs=2, verbose=0)
        return m, img
    m = NS["functional"](keras)
    m.compile(keras.optimizers.Adam(0.01), "mse")
    m.fit([ids, feats], target, batch_size=8, epochs=2, verbose=0)
    return m, [ids, feats]


def test_rustgrad_files_open_in_keras_with_the_same_predictions(tmp_path):
    keras_python()
    for kind in ("sequential", "functional"):
        m, x = _trained(kind)
        path = tmp_path / f"{kind}.keras"
        m.save(path)
        run_keras(KERAS_LOAD, str(path), str(tmp_path / "out.npz"))
        got = np.load(tmp_path / "out.npz")
        np.testing.assert_allclose(got["pred"], m.predict(x), atol=1e-5, err_msg=kind)
        assert int(got["iterations"]) == m.optimizer.iterations + (kind == "functional")
        # Keras read the optimizer's slots where it keeps them: after one more step on the
        # same batch both sides hold the same weights.
        if kind == "functional":
            _, _, ids, feats, target = NS["data"](np)
            m.fit([ids, feats], target, batch_size=16, epochs=1, shuffle=False, verbose=0)
            for i, w in enumerate(m.get_weights()):
                np.testing.assert_allclose(got[f"w{i}"], w, atol=1e-5, err_msg=f"weight {i}")


def test_keras_files_open_in_rustgrad_and_fit_continues(tmp_path):
    run_keras(KERAS_SAVE, str(tmp_path))
    want = np.load(tmp_path / "keras_out.npz")
    img, lab, ids, feats, target = NS["data"](np)
    seq = keras.models.load_model(tmp_path / "seq.keras")
    assert isinstance(seq, keras.Sequential)
    np.testing.assert_allclose(seq.predict(img), want["seq"], atol=1e-5)
    assert seq.optimizer.iterations == 4
    before = seq.get_weights()
    hist = seq.fit(img, lab, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(hist.history["loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, seq.get_weights()))

    fun = keras.models.load_model(tmp_path / "fun.keras")
    assert fun.input_names == ["ids", "feats"]
    np.testing.assert_allclose(fun.predict([ids, feats]), want["fun"], atol=1e-5)
    fun.fit([ids, feats], target, batch_size=16, epochs=1, shuffle=False, verbose=0)
    after = np.load(tmp_path / "keras_after.npz")
    for i, w in enumerate(fun.get_weights()):  # the momentum Keras saved was picked up
        np.testing.assert_allclose(w, after[f"arr_{i}"], atol=1e-5, err_msg=f"weight {i}")
