"""model.export(format='onnx') layer by layer: each built-in layer (and each of its options that
changes the graph) exported, run by onnxruntime on CPU and matched to model.predict (atol 1e-5) at
batch 1 and batch 7. Whole models and the errors are in test_onnx_export_models.py."""

from __future__ import annotations

import numpy as np
import pytest
from onnx_helpers import check_matches, export, randomise, session
from rustgrad import keras
from rustgrad.keras.export.onnx_activations import ACTIVATIONS
from rustgrad.keras.export.onnx_graph import CONVERTERS

L = keras.layers


def seq(shape, *layers):
    return keras.Sequential([keras.Input(shape), *layers])


# id -> (input shape, layers); every model gets random weights before export.
CASES = {
    "dense_nobias": ((6,), [L.Dense(4, use_bias=False)]),
    "dense_3d": ((3, 6), [L.Dense(4, activation="relu")]),
    "activation_gelu": ((6,), [L.Activation("gelu")]),
    "activation_softmax_3d": ((3, 5), [L.Activation("softmax")]),
    "relu": ((6,), [L.ReLU()]),
    "relu_max": ((6,), [L.ReLU(max_value=0.7)]),
    "relu_slope": ((6,), [L.ReLU(negative_slope=0.1)]),
    "relu_threshold": ((6,), [L.ReLU(threshold=0.4)]),
    "relu_negative_threshold": ((6,), [L.ReLU(threshold=-0.3, max_value=1.0)]),
    "relu_all": ((6,), [L.ReLU(max_value=1.2, negative_slope=0.2, threshold=0.3)]),
    "leaky_relu": ((6,), [L.LeakyReLU(0.15)]),
    "elu": ((6,), [L.ELU(0.5)]),
    "prelu": ((4, 3), [L.PReLU()]),
    "prelu_shared": ((4, 4, 3), [L.PReLU(shared_axes=[1, 2])]),
    "softmax": ((4, 5), [L.Softmax()]),
    "softmax_axis1": ((4, 5), [L.Softmax(axis=1)]),
    "conv2d_valid": ((7, 6, 2), [L.Conv2D(3, 3)]),
    "conv2d_same": ((7, 6, 2), [L.Conv2D(3, 3, padding="same", activation="tanh")]),
    "conv2d_same_stride2_asym": ((8, 7, 2), [L.Conv2D(3, (3, 2), strides=2, padding="same")]),
    "conv2d_same_even_kernel": ((6, 6, 2), [L.Conv2D(2, 4, padding="same")]),
    "conv2d_dilated": ((9, 9, 2), [L.Conv2D(3, 3, dilation_rate=2, padding="same")]),
    "conv2d_strides_21": ((9, 8, 1), [L.Conv2D(2, 3, strides=(2, 1), use_bias=False)]),
    "conv2d_softmax": ((5, 5, 2), [L.Conv2D(4, 3, activation="softmax")]),
    "maxpool2d": ((6, 6, 2), [L.MaxPooling2D()]),
    "maxpool2d_same_asym": ((6, 5, 2), [L.MaxPooling2D(3, strides=2, padding="same")]),
    "avgpool2d": ((6, 7, 2), [L.AveragePooling2D((2, 3))]),
    "avgpool2d_same_odd": ((7, 5, 2), [L.AveragePooling2D(2, strides=2, padding="same")]),
    "avgpool2d_same_s1": ((5, 5, 2), [L.AveragePooling2D(3, strides=1, padding="same")]),
    "global_avg2d": ((4, 5, 3), [L.GlobalAveragePooling2D()]),
    "global_max2d": ((4, 5, 3), [L.GlobalMaxPooling2D()]),
    "global_max2d_keepdims": ((4, 5, 3), [L.GlobalMaxPooling2D(keepdims=True)]),
    "global_avg1d": ((6, 3), [L.GlobalAveragePooling1D()]),
    "global_max1d": ((6, 3), [L.GlobalMaxPooling1D()]),
    "global_avg1d_keepdims": ((6, 3), [L.GlobalAveragePooling1D(keepdims=True)]),
    "batchnorm_2d": ((5,), [L.BatchNormalization()]),
    "batchnorm_4d": ((4, 4, 3), [L.BatchNormalization(epsilon=0.01)]),
    "dropout": ((6,), [L.Dense(5), L.Dropout(0.5), L.Dense(3)]),
    "gaussian_noise": ((6,), [L.GaussianNoise(0.3), L.Dense(3)]),
    "gaussian_dropout": ((6,), [L.GaussianDropout(0.3), L.Dense(3)]),
    "spatial_dropout": ((4, 4, 2), [L.SpatialDropout2D(0.5), L.Conv2D(2, 3)]),
    "activity_regularization": ((6,), [L.ActivityRegularization(l2=0.1), L.Dense(3)]),
    "identity": ((6,), [L.Identity(), L.Dense(3)]),
    "flatten_after_conv": ((5, 4, 2), [L.Conv2D(3, 2), L.Flatten(), L.Dense(4)]),
    "reshape": ((12,), [L.Reshape((3, -1)), L.Dense(2)]),
    "reshape_to_image": ((24,), [L.Reshape((4, 3, 2)), L.Conv2D(2, 2)]),
    "permute": ((3, 5), [L.Permute((2, 1)), L.Dense(2)]),
    "permute_4d": ((2, 3, 4), [L.Permute((3, 1, 2))]),
    "repeat_vector": ((4,), [L.RepeatVector(3)]),
    "rescaling": ((6,), [L.Rescaling(1 / 255, offset=-0.5)]),
    "rescaling_per_channel": ((3, 3), [L.Rescaling([0.5, 2.0, -1.0], offset=[0.1, 0.2, 0.3])]),
    "normalization": ((3, 4), [L.Normalization()]),
    "normalization_axes_inverted": ((3, 4), [L.Normalization(axis=(1, 2), invert=True)]),
    "normalization_given": ((4,), [L.Normalization(mean=[1, 2, 3, 4], variance=[1, 4, 0, 2])]),
    "layernorm": ((3, 6), [L.LayerNormalization()]),
    "layernorm_two_axes": ((3, 6), [L.LayerNormalization(axis=[-2, -1], epsilon=1e-5)]),
    "layernorm_no_center_scale": ((6,), [L.LayerNormalization(center=False, scale=False)]),
    "conv1d_valid": ((9, 3), [L.Conv1D(4, 3)]),
    "conv1d_same_stride2": ((9, 3), [L.Conv1D(4, 4, strides=2, padding="same")]),
    "conv1d_dilated": ((10, 2), [L.Conv1D(2, 3, dilation_rate=2, activation="relu")]),
    "maxpool1d": ((9, 2), [L.MaxPooling1D()]),
    "maxpool1d_same": ((9, 2), [L.MaxPooling1D(3, strides=2, padding="same")]),
    "avgpool1d_same": ((9, 2), [L.AveragePooling1D(2, padding="same")]),
    "upsampling2d": ((3, 4, 2), [L.UpSampling2D((2, 3))]),
    "zeropadding2d": ((3, 4, 2), [L.ZeroPadding2D(((1, 2), (0, 3)))]),
    "cropping2d": ((6, 5, 2), [L.Cropping2D(((1, 0), (2, 1)))]),
    "simple_rnn": ((5, 3), [L.SimpleRNN(4)]),
    "simple_rnn_relu_no_bias": ((5, 3), [L.SimpleRNN(4, activation="relu", use_bias=False)]),
    "lstm": ((5, 3), [L.LSTM(4)]),
    "lstm_sequences_backwards": ((5, 3), [L.LSTM(4, return_sequences=True, go_backwards=True)]),
    "gru": ((5, 3), [L.GRU(4, return_sequences=True)]),
    "gru_reset_before": ((5, 3), [L.GRU(4, reset_after=False, go_backwards=True)]),
    "bidirectional_concat": ((5, 3), [L.Bidirectional(L.LSTM(3, return_sequences=True))]),
    "bidirectional_sum": ((5, 3), [L.Bidirectional(L.GRU(3), merge_mode="sum")]),
    "bidirectional_ave": ((5, 3), [L.Bidirectional(L.SimpleRNN(2), merge_mode="ave")]),
    "rnn_of_a_cell": ((5, 3), [L.RNN(L.GRUCell(3), return_sequences=True, go_backwards=True)]),
    "time_distributed_dense": ((5, 3), [L.TimeDistributed(L.Dense(4, activation="relu"))]),
    "time_distributed_conv": (
        (3, 6, 6, 2),
        [L.TimeDistributed(L.Conv2D(2, 3)), L.TimeDistributed(L.Flatten()), L.LSTM(2)],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_matches_predict(case, tmp_path):
    shape, layers = CASES[case]
    model = seq(shape, *layers)
    randomise(model)
    check_matches(model, tmp_path)


@pytest.mark.parametrize("name", keras.layers.ACTIVATIONS)
def test_dense_with_each_activation(name, tmp_path):
    model = seq((6,), L.Dense(5, activation=name))
    randomise(model)
    check_matches(model, tmp_path)


def test_every_activation_has_a_converter():
    assert set(keras.layers.ACTIVATIONS) <= set(ACTIVATIONS)


def test_embedding_gathers_rows(tmp_path):
    model = seq((5,), L.Embedding(11, 4), L.Flatten(), L.Dense(2))
    randomise(model)
    check_matches(model, tmp_path, ints=11)


def _two_inputs(merge, shape=(3, 4)):
    a, b = keras.Input(shape, name="a"), keras.Input(shape, name="b")
    return keras.Model([a, b], merge([L.Dense(4)(a), L.Dense(4)(b)]))


MERGES = {
    "add": L.Add,
    "subtract": L.Subtract,
    "multiply": L.Multiply,
    "average": L.Average,
    "maximum": L.Maximum,
    "minimum": L.Minimum,
    "concatenate": L.Concatenate,
    "concatenate_axis1": lambda: L.Concatenate(axis=1),
}


@pytest.mark.parametrize("name", sorted(MERGES))
def test_merge_matches_predict(name, tmp_path):
    model = _two_inputs(MERGES[name]())
    randomise(model)
    check_matches(model, tmp_path)


@pytest.mark.parametrize("merge", [L.Add, L.Multiply, L.Average, L.Maximum, L.Minimum])
def test_merge_of_three(merge, tmp_path):
    xs = [keras.Input((5,), name=f"x{i}") for i in range(3)]
    model = keras.Model(xs, merge()(xs))
    check_matches(model, tmp_path)


def test_shared_layer_and_nested_model(tmp_path):
    inner = keras.Sequential([keras.Input((6,)), L.Dense(5, activation="relu"), L.Dense(3)])
    shared = L.Dense(6, activation="tanh")
    a, b = keras.Input((6,), name="left"), keras.Input((6,), name="right")
    out = L.Concatenate()([inner(shared(a)), inner(shared(b))])
    model = keras.Model([a, b], out)
    randomise(model)
    check_matches(model, tmp_path)


@pytest.mark.parametrize("name", keras.layers.ACTIVATIONS)
def test_activations_far_from_zero(name, tmp_path):
    """Overflow-prone inputs (softplus, mish, sigmoid, elu at ±100) give what the core gives."""
    model = seq((9,), L.Activation(name))
    path = export(model, tmp_path)
    x = np.array([[-100, -30, -5, -1e-3, 0, 1e-3, 5, 30, 100]], np.float32)
    got = session(path).run(None, {model.input_names[0]: x})[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)


# Public layer classes that have no ONNX form (Python code, nothing to convert, or cells, which
# run inside an RNN layer).
NOT_CONVERTED = {"InputLayer", "Lambda", "Layer", "GRUCell", "LSTMCell", "SimpleRNNCell"}


def test_a_recurrent_activation_onnx_lacks_is_refused(tmp_path):
    model = seq((5, 3), L.LSTM(2, activation="gelu"))
    with pytest.raises(NotImplementedError, match="gelu"):
        export(model, tmp_path)
    assert not list(tmp_path.iterdir())


def test_every_public_layer_class_has_a_converter():
    """A layer added to keras.layers needs a converter in keras/export (or a place here)."""
    classes = {n: c for n, c in vars(L).items() if isinstance(c, type) and issubclass(c, L.Layer)}
    missing = sorted(n for n, c in classes.items() if c not in CONVERTERS)
    assert missing == sorted(NOT_CONVERTED)
