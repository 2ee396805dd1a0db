"""Helpers of the ONNX export tests: random weights for a model, export + onnxruntime run, and the
comparison with model.predict at batch 1 and batch 7."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort

ATOL = RTOL = 1e-5


def randomise(model, seed: int = 0) -> None:
    """Every weight random (biases and BatchNormalization's statistics too), so a converter that
    drops or misplaces one changes the outputs."""
    rng = np.random.default_rng(seed)
    for layer in model._flat_layers():
        values = []
        for w in layer.weights:
            shape = w.numpy().shape
            if w.name in ("moving_variance", "variance"):
                values.append(rng.uniform(0.5, 2.0, shape))
            else:
                values.append(rng.normal(0.0, 0.5, shape))
        if values:
            layer.set_weights(values)


def session(path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def export(model, tmp_path, name: str = "m.onnx"):
    path = tmp_path / name
    model.export(path, format="onnx", verbose=False)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    return path


def inputs(model, batch: int, rng, ints: int | None = None) -> list[np.ndarray]:
    """One array per model input of `batch` samples (whole numbers below `ints` for Embedding)."""
    out = []
    for t in model.inputs:
        shape = (batch, *t.shape[1:])
        if ints is not None:
            out.append(rng.integers(0, ints, shape).astype(np.float32))
        else:
            out.append(rng.normal(0.0, 1.0, shape).astype(np.float32))
    return out


def run_both(model, path, xs: list[np.ndarray]) -> tuple[list, list]:
    """(onnxruntime's outputs, model.predict's outputs), in the model's output order."""
    sess = session(path)
    feed = dict(zip(model.input_names, xs))
    assert [i.name for i in sess.get_inputs()] == list(model.input_names)
    got = sess.run(None, feed)
    want = model.predict(xs[0] if len(xs) == 1 else xs, verbose=0)
    want = want if isinstance(want, list) else [want]
    return got, want


def check_matches(model, tmp_path, ints: int | None = None, seed: int = 0) -> None:
    """Export once; the file's outputs equal predict's for batch 1 and batch 7."""
    path = export(model, tmp_path)
    rng = np.random.default_rng(seed)
    for batch in (1, 7):
        got, want = run_both(model, path, inputs(model, batch, rng, ints))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape, (g.shape, w.shape)
            np.testing.assert_allclose(g, w, atol=ATOL, rtol=RTOL)
