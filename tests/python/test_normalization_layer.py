"""keras.layers.Normalization: adapt() on arrays, Tensors and batches, the forward and its inverse,
given statistics, the layer in a trained and saved model, and files both ways with real Keras;
plus the data the TF regression tutorial feeds it (a DataFrame with one-hot bool columns)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rustgrad as rg
from keras_interop_helpers import keras_python, run_keras
from rustgrad import keras

L = keras.layers
DOC = np.array([[0.0, 7.0, 4.0], [2.0, 9.0, 6.0], [0.0, 7.0, 4.0], [2.0, 9.0, 6.0]], np.float32)


def out(layer, x):
    return np.asarray(layer(np.asarray(x, np.float32)).numpy())


def test_keras_documented_values():
    # The examples of Keras' docstring.
    layer = L.Normalization(axis=None)
    layer.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0], np.float32))
    np.testing.assert_allclose(out(layer, [1, 2, 3]), [-1.4142135, -0.70710677, 0.0], rtol=1e-6)
    layer = L.Normalization(axis=-1)
    layer.adapt(DOC)
    np.testing.assert_array_equal(out(layer, [[0, 7, 4]]), [[-1, -1, -1]])
    np.testing.assert_array_equal(layer.mean.numpy(), [[1, 8, 5]])
    np.testing.assert_array_equal(layer.variance.numpy(), [[1, 1, 1]])
    layer = L.Normalization(mean=3.0, variance=2.0)
    np.testing.assert_allclose(
        out(layer, [[1], [2], [3]]), [[-1.4142135], [-0.70710677], [0]], rtol=1e-6
    )
    assert layer.weights == []  # given statistics are constants, as in Keras
    layer = L.Normalization(axis=-1, invert=True)
    layer.adapt(DOC)
    np.testing.assert_array_equal(out(layer, [[1, 2, 3]]), [[2, 10, 8]])


@pytest.mark.parametrize("axis", [-1, 1, (1, 2), None, (2,)])
def test_adapt_is_numpys_mean_and_var_over_the_other_axes(axis):
    x = np.random.default_rng(1).normal(3.0, 2.0, (40, 4, 3))
    layer = L.Normalization(axis=axis)
    layer.adapt(x)
    keep = () if axis is None else tuple(a % 3 for a in np.atleast_1d(axis))
    reduce = tuple(d for d in range(3) if d not in keep)
    mean, var = x.mean(axis=reduce, keepdims=True), x.var(axis=reduce, keepdims=True)
    np.testing.assert_allclose(layer.mean.numpy(), mean, rtol=1e-6)
    np.testing.assert_allclose(layer.variance.numpy(), var, rtol=1e-6)
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.adapt_mean.numpy().shape == tuple(x.shape[d] for d in keep)
    want = (x[:5] - mean) / np.sqrt(var)
    np.testing.assert_allclose(out(layer, x[:5]), want, rtol=1e-5, atol=1e-6)


def test_batches_merge_to_the_whole_datas_statistics():
    rng = np.random.default_rng(2)
    x = rng.normal(-1.0, 3.0, (300, 5)).astype(np.float32)
    whole = L.Normalization()
    whole.adapt(x)
    sources = {
        "list": [x[:64], x[64:200], x[200:]],
        "generator": (x[i : i + 50] for i in range(0, 300, 50)),
        "(x, y) batches": [(x[:150], np.zeros(150)), (x[150:], np.zeros(150))],
        "batched Dataset": rg.data.Dataset.from_tensor_slices(x).batch(32),
        "unbatched Dataset": rg.data.Dataset.from_tensor_slices((x, np.zeros(300))),
        "Tensor": rg.tensor(x),
    }
    for what, data in sources.items():
        layer = L.Normalization()
        layer.adapt(data)
        np.testing.assert_allclose(layer.mean.numpy(), whole.mean.numpy(), atol=1e-5, err_msg=what)
        np.testing.assert_allclose(
            layer.variance.numpy(), whole.variance.numpy(), rtol=1e-5, err_msg=what
        )

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return x[i * 100 : (i + 1) * 100], np.zeros(100)

    layer = L.Normalization()
    layer.adapt(Batches())
    np.testing.assert_allclose(layer.variance.numpy(), whole.variance.numpy(), rtol=1e-5)


def test_a_second_adapt_replaces_the_statistics_in_a_built_model():
    layer = L.Normalization()
    model = keras.Sequential([keras.Input((3,)), layer])
    layer.adapt(DOC)
    np.testing.assert_array_equal(model.predict(DOC[:1], verbose=0), [[-1, -1, -1]])
    layer.adapt(DOC * 2)
    np.testing.assert_array_equal(
        model.predict(DOC[:1], verbose=0), [[-1, -4.5, -3]]
    )  # mean 2,16,10; sd 2


def test_the_input_gradient_flows_through():
    layer = L.Normalization(mean=[1.0, 2.0], variance=[4.0, 16.0])
    x = rg.tensor([[3.0, 3.0]], requires_grad=True)
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 0.25]])


def test_zero_variance_divides_by_epsilon_as_keras():
    layer = L.Normalization(mean=[1.0], variance=[0.0])
    np.testing.assert_allclose(out(layer, [[1.5]]), [[0.5 / 1e-7]], rtol=1e-5)


def test_bad_arguments_and_data_raise():
    with pytest.raises(ValueError, match="both mean and variance"):
        L.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        L.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="more than the 1 kept"):
        L.Normalization(mean=[[1.0]], variance=[[1.0]])
    with pytest.raises(ValueError, match="finite"):
        L.Normalization(mean=[np.nan], variance=[1.0])
    with pytest.raises(TypeError, match="axis must be"):
        L.Normalization(axis="last")
    with pytest.raises(ValueError, match="axis must be in"):
        L.Normalization(axis=3).adapt(DOC)
    with pytest.raises(ValueError, match="was given mean and variance"):
        L.Normalization(mean=1.0, variance=1.0).adapt(DOC)
    layer = L.Normalization()
    layer.adapt(DOC)
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        L.Normalization().adapt(np.array([[1.0, np.inf]]))
    with pytest.raises(TypeError, match="real numbers"):
        L.Normalization().adapt(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="with a shape"):
        L.Normalization().adapt([1.0, 2.0])
    with pytest.raises(ValueError, match="no batches"):
        L.Normalization().adapt([])
    with pytest.raises(TypeError, match="unsupported data type"):
        L.Normalization().adapt(3.0)
    with pytest.raises(ValueError, match="does not broadcast"):
        keras.Sequential([keras.Input((4,)), layer])


def test_in_a_model_trained_saved_and_loaded(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.uniform(40, 230, (200, 1))
    y = 40 - 0.15 * x[:, 0] + rng.normal(0, 1, 200)
    norm = L.Normalization(input_shape=[1], axis=None)
    norm.adapt(x[:, 0])  # 1-D data, as the tutorial adapts a column; the model's input is (N, 1)
    model = keras.Sequential([norm, L.Dense(1)])
    model.compile(keras.optimizers.Adam(0.1), "mean_absolute_error")
    lines = []
    model.summary(print_fn=lines.append)
    assert any("(None, 1)" in ln and "normaliz" in ln for ln in lines), lines
    assert model.count_params() == 5 and len(model.non_trainable_weights) == 3
    hist = model.fit(x, y, epochs=30, verbose=0, validation_split=0.2)
    assert hist.history["loss"][-1] < hist.history["loss"][0] / 2
    assert norm.mean.numpy().item() == pytest.approx(x.mean(), rel=1e-6)  # fit left it alone
    model.save(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(back.predict(x[:9], verbose=0), model.predict(x[:9], verbose=0))
    np.testing.assert_allclose(back.layers[0].adapt_variance.numpy(), x.var(), rtol=1e-6)


def test_object_arrays_of_numbers_train_as_keras_takes_them():
    # np.array(DataFrame) of float and one-hot bool columns is an object array.
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"a": rng.normal(size=64), "b": rng.uniform(size=64)})
    df["flag"] = rng.uniform(size=64) > 0.5
    assert np.array(df).dtype == object
    target = pd.Series(df["a"] * 2 + df["flag"])
    norm = L.Normalization()
    norm.adapt(np.array(df))
    np.testing.assert_allclose(norm.mean.numpy()[0], df.astype(float).mean(), rtol=1e-6)
    model = keras.Sequential([norm, L.Dense(1)])
    model.compile("adam", "mse")
    model.fit(df, target, epochs=2, verbose=0)
    assert model.predict(df[:3], verbose=0).shape == (3, 1)
    # Called on the object array itself, as the tutorial calls normalizer(np.array(df[:1])).
    np.testing.assert_allclose(norm(np.array(df[:1])).numpy(), out(norm, np.array(df[:1], float)))
    with pytest.raises(TypeError, match="non-numeric"):
        norm(np.array([[1.0, "x", 2.0, 3.0]], dtype=object))
    with pytest.raises(ValueError, match="not all numbers"):
        model.predict(np.array([["x"]], dtype=object), verbose=0)


# ---- real Keras -----------------------------------------------------------------------------
KERAS_ADAPT = """
import json, sys, numpy as np, keras
x = np.load(sys.argv[1])
res = []
for axis in json.loads(sys.argv[2]):
    layer = keras.layers.Normalization(axis=axis)
    layer.adapt(x)
    res.append([np.asarray(layer.mean).tolist(), np.asarray(layer.variance).tolist(),
                np.asarray(layer(x[:3].astype("float32"))).tolist()])
print(json.dumps(res))
"""

AXES = [-1, 1, [1, 2], None]


def test_adapt_and_forward_equal_keras(tmp_path):
    keras_python()
    x = np.random.default_rng(5).normal(10.0, 4.0, (64, 3, 2))
    np.save(tmp_path / "x.npy", x)
    want = json.loads(run_keras(KERAS_ADAPT, str(tmp_path / "x.npy"), json.dumps(AXES)))
    for axis, (mean, var, y) in zip(AXES, want):
        layer = L.Normalization(axis=axis)
        layer.adapt(x)
        np.testing.assert_allclose(layer.mean.numpy(), mean, rtol=1e-6, err_msg=str(axis))
        np.testing.assert_allclose(layer.variance.numpy(), var, rtol=1e-6, err_msg=str(axis))
        np.testing.assert_allclose(out(layer, x[:3]), y, rtol=1e-5, atol=1e-6, err_msg=str(axis))


KERAS_FILES = """
import sys, numpy as np, keras
folder = sys.argv[1]
x = np.load(folder + "/x.npy")
m = keras.models.load_model(folder + "/ours.keras")
np.save(folder + "/keras_pred.npy", m.predict(x, verbose=0))
w = keras.Sequential([keras.Input((3,)), keras.layers.Normalization(), keras.layers.Dense(2)])
w.load_weights(folder + "/ours.weights.h5")
np.save(folder + "/keras_pred_w.npy", w.predict(x, verbose=0))
k = keras.Sequential([keras.Input((3,)), keras.layers.Normalization(axis=-1, invert=True),
                      keras.layers.Dense(2)])
k.layers[0].adapt(x * 3 + 1)
k.save(folder + "/theirs.keras")
np.save(folder + "/theirs_pred.npy", k.predict(x, verbose=0))
"""


def test_files_go_both_ways_with_keras(tmp_path):
    keras_python()
    x = np.random.default_rng(6).normal(5.0, 2.0, (16, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    model = keras.Sequential([keras.Input((3,)), L.Normalization(), L.Dense(2)])
    model.layers[0].adapt(x)
    model.save(tmp_path / "ours.keras")
    model.save_weights(tmp_path / "ours.weights.h5")
    run_keras(KERAS_FILES, str(tmp_path))
    mine = model.predict(x, verbose=0)
    np.testing.assert_allclose(np.load(tmp_path / "keras_pred.npy"), mine, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "keras_pred_w.npy"), mine, rtol=1e-5, atol=1e-6)
    theirs = keras.models.load_model(tmp_path / "theirs.keras")
    assert theirs.layers[0].invert
    np.testing.assert_allclose(
        theirs.predict(x, verbose=0), np.load(tmp_path / "theirs_pred.npy"), rtol=1e-5, atol=1e-5
    )
