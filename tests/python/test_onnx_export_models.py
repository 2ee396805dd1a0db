"""model.export(format='onnx') for whole models (a trained MNIST CNN, a functional model with two
inputs and two outputs) run by onnxruntime against model.predict, the file's opset, names and
dynamic batch, and the refusals: unsupported layers and formats, nothing left behind on failure."""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import onnx
import pytest
from onnx_helpers import ATOL, RTOL, check_matches, export, randomise, run_both, session
from rustgrad import _files, keras

L = keras.layers


def mnist_cnn():
    return keras.Sequential(
        [
            keras.Input((28, 28, 1), name="image"),
            L.Conv2D(8, 3, activation="relu"),
            L.MaxPooling2D(),
            L.Conv2D(16, 3, padding="same", activation="relu"),
            L.BatchNormalization(),
            L.MaxPooling2D(),
            L.Flatten(),
            L.Dropout(0.2),
            L.Dense(32, activation="relu"),
            L.Dense(10, activation="softmax", name="digits"),
        ]
    )


def test_trained_mnist_cnn_matches_predict(real_dataset_dir, tmp_path):
    real_dataset_dir("mnist")
    start = time.perf_counter()
    (x, y), (xt, _) = keras.datasets.mnist.load_data()
    x = (x[:512].astype(np.float32) / 255.0)[..., None]
    xt = (xt[:300].astype(np.float32) / 255.0)[..., None]
    np.random.seed(0)
    model = mnist_cnn()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y[:512], batch_size=64, epochs=1, verbose=0)
    path = export(model, tmp_path)
    got, want = run_both(model, path, [xt])
    assert got[0].shape == (300, 10)
    np.testing.assert_allclose(got[0], want[0], atol=ATOL, rtol=RTOL)
    assert (got[0].argmax(1) == want[0].argmax(1)).all()
    for batch in (1, 7):  # the same file at other batch sizes
        out = session(path).run(None, {"image": xt[:batch]})[0]
        np.testing.assert_allclose(out, want[0][:batch], atol=ATOL, rtol=RTOL)
    assert time.perf_counter() - start < 5.0


def two_by_two():
    image = keras.Input((8, 8, 1), name="image")
    extra = keras.Input((4,), name="extra")
    h = L.Conv2D(4, 3, padding="same", activation="relu")(image)
    h = L.GlobalAveragePooling2D()(h)
    h = L.Concatenate()([h, L.Dense(4, activation="tanh")(extra)])
    label = L.Dense(3, activation="softmax", name="label")(h)
    score = L.Dense(1, name="score")(L.Add()([h, L.Dense(8)(extra)]))
    return keras.Model([image, extra], [label, score])


def test_two_inputs_two_outputs(tmp_path):
    model = two_by_two()
    randomise(model)
    check_matches(model, tmp_path)
    sess = session(tmp_path / "m.onnx")
    assert [i.name for i in sess.get_inputs()] == ["image", "extra"]
    assert [o.name for o in sess.get_outputs()] == ["label", "score"]


def test_dicts_of_inputs_and_outputs_are_named_by_their_keys(tmp_path):
    x, z = keras.Input((3,), name="x"), keras.Input((3,), name="z")
    h = L.Add()([x, z])
    model = keras.Model({"a": x, "b": z}, {"mean": L.Dense(2)(h), "spread": L.Dense(1)(h)})
    path = export(model, tmp_path)
    sess = session(path)
    assert [i.name for i in sess.get_inputs()] == ["a", "b"]
    assert [o.name for o in sess.get_outputs()] == ["mean", "spread"]
    data = {"a": np.ones((2, 3), np.float32), "b": np.full((2, 3), 0.5, np.float32)}
    got = sess.run(["spread"], data)[0]
    np.testing.assert_allclose(got, model.predict(data, verbose=0)["spread"], atol=ATOL)


def test_file_states_opset_and_a_dynamic_batch(tmp_path):
    path = export(two_by_two(), tmp_path)
    proto = onnx.load(str(path))
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 18)]
    for value in [*proto.graph.input, *proto.graph.output]:
        dims = value.type.tensor_type.shape.dim
        assert dims[0].dim_param == "batch" and not dims[0].dim_value
        assert all(d.dim_value > 0 for d in dims[1:])
    assert {i.name for i in proto.graph.initializer} >= {"label/kernel", "label/bias"}


def test_output_may_be_an_input_or_feed_another_output(tmp_path):
    x = keras.Input((3,), name="x")
    h = L.Dense(3, name="h")(x)
    model = keras.Model(x, [x, h, L.Dense(2, name="z")(h)])
    check_matches(model, tmp_path)
    assert [o.name for o in session(tmp_path / "m.onnx").get_outputs()] == ["x_1", "h", "z"]


class Doubler(L.Layer):
    def call(self, inputs):
        return inputs * 2.0


class TwoDense(keras.Model):
    def __init__(self):
        super().__init__()
        self.d = L.Dense(2)

    def call(self, inputs):
        return self.d(inputs)


def _with(layer):
    x = keras.Input((4,))
    return keras.Model(x, L.Dense(2)(layer(L.Dense(4)(x))))


@pytest.mark.parametrize(
    "model, named",
    [
        (lambda: _with(L.Lambda(lambda t: t * 2.0, name="twice")), "'twice' (Lambda)"),
        (lambda: _with(Doubler(name="dbl")), "'dbl' (Doubler)"),
    ],
    ids=["lambda", "custom_layer"],
)
def test_unsupported_layer_is_named_and_nothing_is_written(model, named, tmp_path):
    path = tmp_path / "m.onnx"
    with pytest.raises(NotImplementedError, match="no ONNX converter") as err:
        model().export(path, format="onnx", verbose=False)
    assert named in str(err.value)
    assert os.listdir(tmp_path) == []


def test_subclassed_model_is_refused(tmp_path):
    model = TwoDense()
    model.predict(np.ones((2, 3), np.float32), verbose=0)
    with pytest.raises(NotImplementedError, match="subclassed model"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("fmt", ["tf_saved_model", "openvino", "nonsense"])
def test_other_formats_are_refused(fmt, tmp_path):
    model = two_by_two()
    with pytest.raises(NotImplementedError, match=fmt):
        model.export(tmp_path / "m", format=fmt)
    with pytest.raises(NotImplementedError, match="tf_saved_model"):
        model.export(tmp_path / "m")  # Keras 3's default format
    assert os.listdir(tmp_path) == []


def test_failed_export_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    with pytest.raises(NotImplementedError):
        _with(L.Lambda(lambda t: t)).export(path, format="onnx", verbose=False)

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(_files.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        two_by_two().export(path, format="onnx", verbose=False)
    with pytest.raises(OSError, match="disk full"):
        two_by_two().export(tmp_path / "new.onnx", format="onnx", verbose=False)
    assert os.listdir(tmp_path) == ["m.onnx"] and path.read_bytes() == b"old"


def test_missing_onnx_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"rustgrad\[onnx\]"):
        two_by_two().export(tmp_path / "m.onnx", format="onnx")
    assert os.listdir(tmp_path) == []


def test_unbuilt_model_and_input_signature_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not built"):
        keras.Sequential([L.Dense(2)]).export(tmp_path / "m.onnx", format="onnx")
    with pytest.raises(NotImplementedError, match="input_signature"):
        two_by_two().export(tmp_path / "m.onnx", format="onnx", input_signature=[(None, 4)])
    assert os.listdir(tmp_path) == []


def test_verbose_says_where(tmp_path, capsys):
    two_by_two().export(tmp_path / "m.onnx", format="onnx")
    assert "m.onnx" in capsys.readouterr().out
