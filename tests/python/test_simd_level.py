"""RUSTGRAD_SIMD: the kernels' run-time SIMD level, its errors, and the portable path's results.

The level is read once per process, so each case runs in a fresh interpreter. The CPU's own level
comes from /proc/cpuinfo, independently of the Rust detection it checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

LEVELS = ("portable", "avx2", "avx512")
TESTS = Path(__file__).resolve().parent
# Adam over a SIMD body of 16-lane blocks plus a scalar tail, from rustgrad's own apply_gradients.
ADAM = """
import json, numpy as np, rustgrad as rg
from rustgrad import _core
from rustgrad.keras import optimizers
n = 16 * 64 + 7
rng = np.random.default_rng(0)
w = rg.tensor(rng.standard_normal(n).astype(np.float32), requires_grad=True)
opt = optimizers.Adam(learning_rate=0.01)
for _ in range(5):
    opt.apply_gradients([(rng.standard_normal(n).astype(np.float32), w)])
print(json.dumps({"level": _core.simd_level(), "w": w.numpy().astype(float).tolist()}))
"""


def cpu_level() -> str:
    """The widest level /proc/cpuinfo's flags allow (the test is Linux-only there)."""
    info = Path("/proc/cpuinfo")
    if not info.exists():
        pytest.skip("no /proc/cpuinfo to read the CPU's flags from")
    flags = set()
    for line in info.read_text().splitlines():
        if line.startswith("flags"):
            flags |= set(line.split(":", 1)[1].split())
    if "avx512f" in flags:
        return "avx512"
    return "avx2" if {"avx2", "fma"} <= flags else "portable"


def run(code: str, level: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RUSTGRAD_SIMD"}
    if level is not None:
        env["RUSTGRAD_SIMD"] = level
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def available() -> list[str]:
    return list(LEVELS[: LEVELS.index(cpu_level()) + 1])


def test_unset_means_the_best_level_the_cpu_has():
    done = run("from rustgrad import _core; print(_core.simd_level())", None)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == cpu_level()


@pytest.mark.parametrize("level", LEVELS)
def test_each_level_the_cpu_has_is_taken(level):
    if level not in available():
        pytest.skip(f"this CPU lacks {level}")
    done = run("from rustgrad import _core; print(_core.simd_level())", level.upper())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == level


def test_an_unknown_level_fails_the_import_with_a_clear_error():
    done = run("import rustgrad", "sse9")
    assert done.returncode == 1, done.stderr  # an exception, not a signal
    assert "InvalidArgumentError" in done.stderr
    assert 'unknown SIMD level "sse9"' in done.stderr and "portable, avx2, avx512" in done.stderr


def test_the_error_is_a_value_error_that_can_be_caught():
    code = (
        "try:\n    import rustgrad\nexcept ValueError as e:\n    print('caught', e)\n"
        "else:\n    print('imported')"
    )
    done = run(code, "avx1024")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("caught RUSTGRAD_SIMD: unknown SIMD level")


def test_a_level_the_cpu_lacks_fails_the_import_naming_what_it_has():
    best = cpu_level()
    if best == "avx512":
        pytest.skip("this CPU has every level (the Rust test simd_level::tests covers the refusal)")
    done = run("import rustgrad", "avx512")
    assert done.returncode == 1
    assert f"lacks avx512: its widest level is {best}" in done.stderr


def adam_numpy() -> np.ndarray:
    """The same five Adam steps in float64 (Keras' formula, epsilon 1e-7)."""
    n = 16 * 64 + 7
    rng = np.random.default_rng(0)
    w = rng.standard_normal(n).astype(np.float32).astype(np.float64)
    m, v = np.zeros(n), np.zeros(n)
    for t in range(1, 6):
        g = rng.standard_normal(n).astype(np.float32).astype(np.float64)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w = w - 0.01 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-7)
    return w


def test_adam_gives_the_same_values_at_every_level():
    want = adam_numpy()
    got = {}
    for level in available():
        done = run(ADAM, level)
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert out["level"] == level
        got[level] = np.array(out["w"])
        np.testing.assert_allclose(got[level], want, rtol=1e-5, atol=1e-6, err_msg=level)
    # The AVX2 and AVX-512 paths' estimates are refined to f32 rounding: within a few ulps of portable.
    for level, w in got.items():
        np.testing.assert_allclose(w, got["portable"], rtol=4e-7, atol=1e-7, err_msg=level)


def test_the_suite_kernel_checks_pass_on_the_portable_path():
    # The optimizer and op tests that reach the hand-dispatched kernels, forced onto portable.
    files = [
        "test_keras_apply_gradients.py",
        "test_keras_losses_optimizers.py",
        "test_keras_optimizers_more.py",
        "test_optimizer_state.py",
        "test_ops.py",
    ]
    env = {**os.environ, "RUSTGRAD_SIMD": "portable"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
        + [str(TESTS / f) for f in files],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=TESTS,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout


# A tiny fit that reaches every rewritten kernel family: im2col/col2im (Conv2D), pooling, the
# Dense ReLU epilogue, elementwise activations, softmax + cross-entropy, bias sums and Adam.
FIT = """
import json, numpy as np, rustgrad as tf
from rustgrad import _core
rng = np.random.default_rng(0)
x = rng.standard_normal((96, 9, 9, 3)).astype(np.float32)
y = rng.integers(0, 5, 96)
L = tf.keras.layers
tf.keras.utils.set_random_seed(1)
m = tf.keras.Sequential([
    L.Conv2D(17, 3, activation="relu", padding="same", input_shape=(9, 9, 3)),
    L.MaxPooling2D(2),
    L.Conv2D(9, 3, activation="tanh"),
    L.AveragePooling2D(1),
    L.Flatten(),
    L.Dense(33, activation="relu"),
    L.Dense(5, activation="softmax"),
])
m.compile(tf.keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
h = m.fit(x, y, batch_size=16, epochs=3, verbose=0, shuffle=False)
print(json.dumps({"level": _core.simd_level(), "loss": h.history["loss"]}))
"""


def at_every_level(code: str) -> dict[str, dict]:
    """`code`'s JSON output at each level this CPU has, checked to have run at that level."""
    outs = {}
    for level in available():
        done = run(code, level)
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert out.pop("level") == level
        outs[level] = out
    return outs


def test_a_small_fit_gives_the_portable_losses_at_every_level():
    losses = {level: np.array(out["loss"]) for level, out in at_every_level(FIT).items()}
    assert np.all(np.isfinite(losses["portable"]))
    assert losses["portable"][-1] < losses["portable"][0]  # it trained
    # Only Adam's estimates differ from the portable path (by f32 rounding); three epochs of
    # steps compound that to well under this.
    for level, loss in losses.items():
        np.testing.assert_allclose(loss, losses["portable"], rtol=1e-4, err_msg=level)


# The recurrent gate loops (forward and backward through time) run at the SIMD level too.
FIT_RNN = """
import json, numpy as np, rustgrad as tf
from rustgrad import _core
rng = np.random.default_rng(0)
x = rng.standard_normal((48, 7, 5)).astype(np.float32)
y = rng.standard_normal((48, 1)).astype(np.float32)
L = tf.keras.layers
out = {"level": _core.simd_level()}
for cell in (L.LSTM, L.GRU, L.SimpleRNN):
    tf.keras.utils.set_random_seed(1)
    m = tf.keras.Sequential([L.Input((7, 5)), cell(19, return_sequences=True), cell(6), L.Dense(1)])
    m.compile(tf.keras.optimizers.SGD(0.05), "mse")
    out[cell.__name__] = m.fit(x, y, batch_size=16, epochs=3, verbose=0, shuffle=False).history["loss"]
print(json.dumps(out))
"""


def test_recurrent_layers_train_to_the_portable_losses_at_every_level():
    runs = at_every_level(FIT_RNN)
    for cell, loss in runs["portable"].items():
        assert np.all(np.isfinite(loss)) and loss[-1] < loss[0], cell  # it trained
        for level, out in runs.items():
            # SGD and the same formulas at every level: only the compiler's vector code differs.
            np.testing.assert_allclose(out[cell], loss, rtol=1e-5, err_msg=f"{cell} at {level}")
