"""RUSTGRAD_CONV3X3: Winograd's 3x3 convolutions give im2col's values and gradients, the default
(auto) runs one of the two for each shape, measured, and a bad value refuses the import. The
setting is read once per process, so each case runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

# 'same' and 'valid' 3x3 convolutions with fused bias and ReLU, odd and even sizes, 16 and 32
# channels (Winograd's lane multiples); 32x30 'same' is one sample per group, so the batch of 5
# spans several groups on each of the threads.
CONVS = """
import json, numpy as np, rustgrad as tf
def convs():
    rng = np.random.default_rng(0)
    out = {}
    for pad, hw, cin, cout in (("same", (32, 30), 16, 32), ("valid", (9, 11), 32, 16)):
        x = tf.constant(rng.standard_normal((5, *hw, cin)).astype("float32"))
        init = tf.keras.initializers.GlorotUniform(seed=1)
        layer = tf.keras.layers.Conv2D(cout, 3, padding=pad, activation="relu",
                                       kernel_initializer=init, bias_initializer="ones")
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y * y)
        grads = tape.gradient(loss, [x, layer.kernel, layer.bias])
        out[pad] = [np.asarray(v).astype(float).ravel().tolist() for v in [y, *grads]]
    return out
"""
ONCE = CONVS + "print(json.dumps(convs()))"
# Twice in one process, which must give the same bits the second time.
TWICE = CONVS + "first = convs()\nassert convs() == first\nprint(json.dumps(first))"


def run(code: str, algorithm: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RUSTGRAD_CONV3X3"}
    if algorithm is not None:
        env["RUSTGRAD_CONV3X3"] = algorithm
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def results(algorithm: str | None) -> dict:
    proc = run(ONCE, algorithm)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_winograd_equals_im2col_in_values_and_gradients():
    im2col, winograd = results("im2col"), results("winograd")
    for pad in ("same", "valid"):
        for what, a, b in zip(("y", "dx", "dkernel", "dbias"), im2col[pad], winograd[pad]):
            a, b = np.asarray(a), np.asarray(b)
            assert a.shape == b.shape
            scale = max(1.0, float(np.abs(a).max()))
            np.testing.assert_allclose(b, a, rtol=0, atol=3e-5 * scale, err_msg=f"{pad} {what}")
            if what == "y":
                # Rounding differs between the two, so they are not the same bits.
                assert not np.array_equal(a, b) or not a.any(), f"{pad}: Winograd did not run"


@pytest.mark.parametrize("algorithm", [None, "auto", "AUTO"])
def test_auto_runs_one_of_the_two_per_shape_and_keeps_it(algorithm):
    # Each convolution's values and gradients are one algorithm's bits (the one its timing
    # picked), and a second pass in the same process repeats them.
    proc = run(TWICE, algorithm)
    assert proc.returncode == 0, proc.stderr
    chosen = json.loads(proc.stdout)
    im2col, winograd = results("im2col"), results("winograd")
    for pad in ("same", "valid"):
        assert chosen[pad] in (im2col[pad], winograd[pad]), pad


@pytest.mark.parametrize("value", ["fft", "winograd2"])
def test_an_unknown_algorithm_refuses_the_import(value):
    proc = run("import rustgrad", value)
    assert proc.returncode != 0
    assert "RUSTGRAD_CONV3X3" in proc.stderr and value in proc.stderr
    assert "auto, im2col, winograd" in proc.stderr
