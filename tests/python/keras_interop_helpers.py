"""The real Keras 3 for the interop tests: its python (RUSTGRAD_KERAS_PYTHON, which `make test`
points at .venv-keras) run in a subprocess with a timeout, and the two models both sides build."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

KERAS_PYTHON = os.environ.get("RUSTGRAD_KERAS_PYTHON", "")


def keras_python() -> str:
    """The interpreter with keras installed, or skip saying how to get one."""
    if not KERAS_PYTHON:
        pytest.skip(
            "RUSTGRAD_KERAS_PYTHON is not set: `make test` sets it to .venv-keras/bin/python "
            "(pip install keras jax scipy h5py)"
        )
    if not Path(KERAS_PYTHON).exists():
        pytest.skip(f"RUSTGRAD_KERAS_PYTHON={KERAS_PYTHON} does not exist")
    return KERAS_PYTHON


def run_keras(script: str, *args: str, timeout: float = 300) -> str:
    """Run `script` under real Keras (jax backend, CPU); its stdout, or fail with its stderr."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"})
    proc = subprocess.run(
        [keras_python(), "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"Keras subprocess failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc.stdout


# Both sides build these with the same calls: the module `keras` is rustgrad's or Keras' own.
MODELS = """
def sequential(keras):
    L = keras.layers
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        L.Conv2D(3, 3, activation="relu", padding="same"),
        L.BatchNormalization(),
        L.MaxPooling2D(),
        L.Dropout(0.25),
        L.Flatten(),
        L.Dense(5, activation="relu"),
        L.Dense(3, activation="softmax"),
    ])

def functional(keras):
    L = keras.layers
    ids = keras.Input((6,), name="ids")
    feats = keras.Input((4,), name="feats")
    e = L.Flatten()(L.Embedding(12, 3)(ids))
    a = L.Dense(4, activation="tanh")(e)
    b = L.Dense(4)(feats)
    s = L.Add()([a, b])
    c = L.Concatenate()([s, b])
    c = L.LayerNormalization()(c)
    out = L.Dense(2)(c)
    return keras.Model([ids, feats], out, name="two_inputs")

def data(np):
    r = np.random.default_rng(0)
    img = r.random((16, 8, 8, 1)).astype("float32")
    lab = r.integers(0, 3, 16)
    ids = r.integers(0, 12, (16, 6)).astype("float32")
    feats = r.random((16, 4)).astype("float32")
    target = r.random((16, 2)).astype("float32")
    return img, lab, ids, feats, target
"""


def models_namespace() -> dict:
    ns: dict = {}
    exec(MODELS, ns)  # noqa: S102 - the test's own model definitions, shared with the subprocess
    return ns


# Both sides build `_model(keras)` from the source the test passes in; Keras loads rustgrad's
# files and writes its own.
KERAS_FILES = """
import sys, numpy as np, keras
exec(sys.argv[2])
folder = sys.argv[1]
x = np.load(folder + "/x.npy")
ours = keras.models.load_model(folder + "/ours.keras")
np.save(folder + "/keras_pred.npy", ours.predict(x, verbose=0))
w = _model(keras)
w.load_weights(folder + "/ours.weights.h5")
np.save(folder + "/keras_pred_w.npy", w.predict(x, verbose=0))
k = _model(keras)
k.save(folder + "/theirs.keras")
np.save(folder + "/theirs_pred.npy", k.predict(x, verbose=0))
"""


def files_both_ways(tmp_path, make_model, x, seed: int = 0):
    """`make_model(keras)` (a function named `_model`) built by rustgrad with random weights,
    saved as .keras and .weights.h5, loaded by Keras with equal predictions; Keras' own file
    loaded by rustgrad with equal predictions. Returns rustgrad's load of Keras' model."""
    import inspect

    import numpy as np
    from rustgrad import keras

    keras_python()
    np.save(tmp_path / "x.npy", x)
    model = make_model(keras)
    r = np.random.default_rng(seed)
    for layer in model.layers:  # non-zero biases, so a misplaced weight shows
        layer.set_weights([w + 0.1 * r.normal(size=w.shape) for w in layer.get_weights()])
    model.save(tmp_path / "ours.keras")
    model.save_weights(tmp_path / "ours.weights.h5")
    run_keras(KERAS_FILES, str(tmp_path), inspect.getsource(make_model))
    mine = model.predict(x, verbose=0)
    for name in ("keras_pred", "keras_pred_w"):
        np.testing.assert_allclose(np.load(tmp_path / f"{name}.npy"), mine, rtol=1e-5, atol=1e-5)
    theirs = keras.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(
        theirs.predict(x, verbose=0), np.load(tmp_path / "theirs_pred.npy"), rtol=1e-5, atol=1e-5
    )
    return theirs
