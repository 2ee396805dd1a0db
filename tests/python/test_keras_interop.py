"""Interop with real Keras 3 (jax backend, its own virtualenv): .keras files rustgrad writes open
in Keras and predict the same; files Keras writes open in rustgrad, predict the same, and fit
continues from Keras' optimizer state (one more step on each side gives the same weights)."""

from __future__ import annotations

import json

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
lr = keras.optimizers.schedules.ExponentialDecay(0.05, 10, 0.9)
f.compile(keras.optimizers.SGD(lr, momentum=0.9), keras.losses.MeanSquaredError(name="mse_obj"),
          metrics=[keras.metrics.MeanAbsoluteError()])
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
    assert isinstance(fun.loss, keras.losses.MeanSquaredError) and fun.loss.name == "mse_obj"
    assert isinstance(fun.optimizer._base_lr(), keras.optimizers.schedules.ExponentialDecay)
    np.testing.assert_allclose(fun.predict([ids, feats]), want["fun"], atol=1e-5)
    fun.fit([ids, feats], target, batch_size=16, epochs=1, shuffle=False, verbose=0)
    after = np.load(tmp_path / "keras_after.npz")
    for i, w in enumerate(fun.get_weights()):  # the momentum Keras saved was picked up
        np.testing.assert_allclose(w, after[f"arr_{i}"], atol=1e-5, err_msg=f"weight {i}")


# Each built-in layer both libraries have, constructed the same way on both sides.
LAYER_SPECS = [
    "L.Dense(3)",
    "L.Dense(3, activation='relu', use_bias=False, kernel_regularizer='l2')",
    "L.Dense(2, kernel_initializer='he_normal', bias_initializer='ones')",
    "L.Conv2D(2, 3)",
    "L.Conv2D(4, (3, 2), strides=2, padding='same', dilation_rate=1, activation='tanh')",
    "L.Conv1D(2, 3, padding='same', strides=2)",
    "L.MaxPooling2D()",
    "L.MaxPooling2D((3, 3), strides=1, padding='same')",
    "L.AveragePooling2D(2)",
    "L.MaxPooling1D()",
    "L.AveragePooling1D(2)",
    "L.GlobalAveragePooling2D()",
    "L.GlobalMaxPooling2D()",
    "L.GlobalAveragePooling1D()",
    "L.GlobalMaxPooling1D()",
    "L.BatchNormalization()",
    "L.BatchNormalization(momentum=0.9, epsilon=1e-4)",
    "L.LayerNormalization()",
    "L.Normalization()",
    "L.Normalization(axis=None, invert=True)",
    "L.Normalization(axis=(1, 2), mean=[1.0, 2.0], variance=[4.0, 9.0])",
    "L.LayerNormalization(axis=[1, 2], epsilon=1e-5, center=False)",
    "L.Embedding(10, 3)",
    "L.Dropout(0.5)",
    "L.Dropout(0.2, seed=3)",
    "L.SpatialDropout2D(0.2)",
    "L.GaussianNoise(0.1)",
    "L.GaussianDropout(0.1)",
    "L.Flatten()",
    "L.Reshape((2, -1))",
    "L.Permute((2, 1))",
    "L.RepeatVector(3)",
    "L.Activation('relu')",
    "L.ReLU()",
    "L.ReLU(max_value=6.0, negative_slope=0.1)",
    "L.LeakyReLU()",
    "L.ELU()",
    "L.PReLU()",
    "L.Softmax()",
    "L.UpSampling2D()",
    "L.ZeroPadding2D()",
    "L.ZeroPadding2D(((1, 2), (0, 1)))",
    "L.Cropping2D(((1, 0), (2, 1)))",
    "L.Rescaling(0.5)",
    "L.Identity()",
    "L.ActivityRegularization()",
    "L.Add()",
    "L.Subtract()",
    "L.Multiply()",
    "L.Average()",
    "L.Maximum()",
    "L.Minimum()",
    "L.Concatenate()",
    "L.Concatenate(axis=1)",
    "L.InputLayer(shape=(4,))",
    "L.Dense(3, kernel_constraint='max_norm', bias_constraint='non_neg')",
    "L.Dense(3, activity_regularizer=keras.regularizers.L1(0.5))",
    "L.Conv2D(2, 3, kernel_constraint=keras.constraints.UnitNorm(axis=[0, 1, 2]))",
    "L.Conv2DTranspose(3, 3)",
    "L.Conv2DTranspose(2, (3, 2), strides=2, padding='same', activation='relu')",
    "L.DepthwiseConv2D(3)",
    "L.DepthwiseConv2D(3, depth_multiplier=2, padding='same', depthwise_constraint='non_neg')",
    "L.SeparableConv2D(4, 3)",
    "L.SeparableConv2D(4, 3, pointwise_initializer='ones', depth_multiplier=2)",
    "L.Embedding(10, 3, embeddings_constraint='unit_norm')",
    "L.LayerNormalization(gamma_regularizer='l2')",
    "L.BatchNormalization(beta_constraint='non_neg', gamma_initializer='zeros')",
    "L.RandomFlip('horizontal', seed=1)",
    "L.RandomTranslation(0.1, 0.2, fill_mode='constant', seed=1)",
    "L.RandomRotation(0.1, seed=1)",
    "L.RandomZoom((-0.2, 0.1), seed=1)",
    "L.RandomCrop(8, 8, seed=1)",
    "L.RandomContrast((0.2, 0.3), seed=1)",
    "L.SimpleRNN(4)",
    "L.LSTM(3, return_sequences=True, dropout=0.1, seed=2)",
    (
        "L.GRU(2, reset_after=False, recurrent_regularizer='l2', recurrent_constraint='non_neg', "
        "go_backwards=True)"
    ),
    "L.LSTM(2, unit_forget_bias=False, recurrent_initializer='glorot_uniform', activation='relu')",
    "L.Bidirectional(L.LSTM(3))",
    "L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode='sum')",
    "L.TimeDistributed(L.Dense(4))",
    "L.RNN(L.LSTMCell(3), return_sequences=True)",
    "L.LSTMCell(3, unit_forget_bias=False)",
    "L.GRUCell(2, reset_after=False, recurrent_regularizer='l2')",
    "L.SimpleRNNCell(4, dropout=0.1, seed=1)",
    "L.LSTM(2, kernel_regularizer='l2', bias_constraint='non_neg')",
]

KERAS_CONFIGS = """
import json, sys, keras
L = keras.layers
print(json.dumps([eval(s, {"L": L, "keras": keras}).get_config() for s in json.loads(sys.argv[1])]))
"""


def _comparable(config: dict) -> dict:
    """The config without layer names (they count layers made so far), nested layers' too."""
    out = json.loads(json.dumps(config))
    out.pop("name", None)
    for key in ("layer", "backward_layer", "cell"):
        if isinstance(out.get(key), dict):
            out[key]["config"] = _comparable(out[key]["config"])
    return out


def test_every_layer_config_equals_keras_and_loads_from_keras():
    got = json.loads(run_keras(KERAS_CONFIGS, json.dumps(LAYER_SPECS)))
    mismatches = []
    for spec, want in zip(LAYER_SPECS, got):
        layer = eval(spec, {"L": keras.layers, "keras": keras})
        if _comparable(layer.get_config()) != _comparable(want):
            mismatches.append((spec, layer.get_config(), want))
        rebuilt = type(layer).from_config(want)
        assert _comparable(rebuilt.get_config()) == _comparable(want), spec
    assert not mismatches, "\n".join(
        f"{s}:\n  rustgrad {a}\n  keras    {b}" for s, a, b in mismatches
    )


KERAS_WEIGHTS = (
    MODELS
    + """
import sys, numpy as np, keras
img, lab, ids, feats, target = data(np)
m = sequential(keras)
m.load_weights(sys.argv[1])
np.save(sys.argv[2], m.predict(img, verbose=0))
"""
)


def test_weights_h5_files_load_into_keras(tmp_path):
    keras_python()
    m, x = _trained("sequential")
    m.save_weights(tmp_path / "seq.weights.h5")
    run_keras(KERAS_WEIGHTS, str(tmp_path / "seq.weights.h5"), str(tmp_path / "pred.npy"))
    np.testing.assert_allclose(np.load(tmp_path / "pred.npy"), m.predict(x), atol=1e-5)


KERAS_ROUND_TRIP = """
import sys, numpy as np, keras
m = keras.models.load_model(sys.argv[1])
x = np.load(sys.argv[2])
np.save(sys.argv[3], m.predict(x, verbose=0))
m.save(sys.argv[4])
"""


def test_nested_models_go_to_keras_and_back(tmp_path):
    keras_python()
    L = keras.layers
    np.random.seed(5)
    inner = keras.Sequential(
        [keras.Input((4,)), L.Dense(3, activation="relu"), L.Dense(3)], name="inner"
    )
    fin = keras.Input((3,), name="fin")
    sub = keras.Model(fin, L.Dense(3, name="fd")(fin), name="subf")
    a = keras.Input((4,), name="a")
    h = inner(a)
    m = keras.Model(a, L.Dense(2)(L.Add()([h, sub(h)])))
    m.compile("adam", "mse")
    x = np.random.rand(8, 4).astype("f4")
    m.fit(x, np.random.rand(8, 2).astype("f4"), verbose=0)
    m.save(tmp_path / "nest.keras")
    np.save(tmp_path / "x.npy", x)
    paths = [tmp_path / n for n in ("nest.keras", "x.npy", "pred.npy", "back.keras")]
    run_keras(KERAS_ROUND_TRIP, *map(str, paths))
    np.testing.assert_allclose(np.load(tmp_path / "pred.npy"), m.predict(x), atol=1e-5)
    back = keras.models.load_model(tmp_path / "back.keras")
    np.testing.assert_allclose(back.predict(x), m.predict(x), atol=1e-5)
    assert [la.name for la in back.layers] == [la.name for la in m.layers]
