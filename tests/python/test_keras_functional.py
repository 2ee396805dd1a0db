"""The functional API as Keras' guide describes it: keras.Input, layers called on symbolic tensors,
keras.Model(inputs, outputs); shape errors at call time; the model's layers, inputs and outputs;
models used as layers; and the error cases with Keras' messages."""

from __future__ import annotations

import numpy as np
import pytest
from rustgrad import keras

layers = keras.layers
rng = np.random.default_rng(0)


def f32(*shape):
    return rng.normal(size=shape).astype(np.float32)


def test_input_is_a_symbolic_tensor_with_shape_dtype_and_name():
    x = keras.Input(shape=(784,), name="img")
    assert x.shape == (None, 784) and x.dtype == "float32" and x.name == "img"
    assert keras.layers.Input((3, 4), batch_size=8).shape == (8, 3, 4)
    assert keras.Input(5).shape == (None, 5)
    assert isinstance(x, keras.layers.KerasTensor)
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(x)


def test_calling_layers_traces_shapes_and_builds_them():
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(4, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    assert x.shape == (None, 13, 13, 4)
    dense = layers.Dense(10)
    out = dense(layers.Flatten()(x))
    assert out.shape == (None, 10) and dense.built
    assert [w.shape for w in dense.get_weights()] == [(676, 10), (10,)]


def test_shape_errors_are_raised_at_call_naming_the_layer_and_both_shapes():
    a, b = keras.Input((4,)), keras.Input((3,))
    dense = layers.Dense(2, name="d4")
    dense(a)
    with pytest.raises(ValueError, match=r"'d4'.*\(None, 4\).*\(None, 3\)"):
        dense(b)
    with pytest.raises(ValueError, match=r"'sum'.*\(None, 4\) and \(None, 3\)"):
        layers.Add(name="sum")([a, b])
    with pytest.raises(ValueError, match="Conv2D layer 'c2'.*4-D.*\\(None, 4\\)"):
        layers.Conv2D(2, 3, name="c2")(a)
    with pytest.raises(ValueError, match=r"matching shapes except for the concatenation axis"):
        layers.Concatenate(axis=1)([keras.Input((2, 3)), keras.Input((2, 4))])
    with pytest.raises(ValueError, match="list"):
        layers.Add()(a)
    with pytest.raises(ValueError, match="expects 1 input"):
        layers.Dense(2)([a, a])


def test_merge_shapes_follow_keras():
    a, b = keras.Input((2, 3)), keras.Input((2, 5))
    assert layers.concatenate([a, b]).shape == (None, 2, 8)
    assert layers.concatenate([a, a], axis=1).shape == (None, 4, 3)
    for fn in (layers.add, layers.multiply, layers.average, layers.maximum, layers.minimum):
        assert fn([a, a, a]).shape == (None, 2, 3)
    assert layers.subtract([a, a]).shape == (None, 2, 3)
    with pytest.raises(ValueError, match="exactly 2"):
        layers.subtract([a, a, a])
    assert (a + a).shape == (None, 2, 3) and (a * a).shape == (None, 2, 3)


def test_model_lists_layers_inputs_outputs_and_finds_layers():
    inputs = keras.Input(shape=(3,), name="features")
    h = layers.Dense(4, activation="relu", name="hidden")(inputs)
    out = layers.Dense(2, name="logits")(h)
    model = keras.Model(inputs=inputs, outputs=out, name="tiny")
    assert isinstance(model, keras.Model) and isinstance(model, keras.models.Model)
    assert isinstance(model, keras.layers.Layer)
    assert [la.name for la in model.layers] == ["features", "hidden", "logits"]
    assert isinstance(model.layers[0], layers.InputLayer)
    assert model.inputs == [inputs] and model.outputs == [out]
    assert model.input is inputs and model.output is out
    assert model.get_layer("hidden") is model.layers[1]
    assert model.get_layer(index=2).name == "logits"
    assert model.get_layer("hidden").output is h and model.get_layer("hidden").input is inputs
    with pytest.raises(
        ValueError, match=r"No such layer: nope.*\['features', 'hidden', 'logits'\]"
    ):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="index 7"):
        model.get_layer(index=7)
    assert model.name == "tiny" and model.count_params() == 3 * 4 + 4 + 4 * 2 + 2


def test_functional_chain_predicts_as_numpy_and_as_the_same_sequential():
    inputs = keras.Input(shape=(3,))
    h = layers.Dense(4, activation="tanh")(inputs)
    model = keras.Model(inputs, layers.Dense(2)(h))
    w1, b1, w2, b2 = f32(3, 4), f32(4), f32(4, 2), f32(2)
    model.set_weights([w1, b1, w2, b2])
    x = f32(10, 3)
    want = np.tanh(x @ w1 + b1) @ w2 + b2
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-5)
    seq = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(2)])
    seq.set_weights(model.get_weights())
    np.testing.assert_allclose(seq.predict(x), model.predict(x), rtol=1e-6)
    np.testing.assert_allclose(model(x).numpy(), want, rtol=1e-5, atol=1e-5)


def test_graph_disconnected_names_the_missing_input():
    a, b = keras.Input((2,), name="left"), keras.Input((2,), name="right")
    out = layers.Dense(1)(layers.concatenate([a, b]))
    with pytest.raises(ValueError, match='Graph disconnected.*"right"'):
        keras.Model(inputs=a, outputs=out)


def test_inputs_must_come_from_keras_input():
    a = keras.Input((2,))
    h = layers.Dense(3)(a)
    out = layers.Dense(1)(h)
    with pytest.raises(ValueError, match="must come from `keras.Input`"):
        keras.Model(inputs=h, outputs=out)
    with pytest.raises(TypeError, match="must come from `keras.Input`"):
        keras.Model(inputs=np.zeros((1, 2)), outputs=out)
    with pytest.raises(ValueError, match="same input more than once"):
        keras.Model(inputs=[a, a], outputs=out)


def test_duplicate_layer_names_are_refused():
    a = keras.Input((2,))
    out = layers.Dense(2, name="twin")(layers.Dense(2, name="twin")(a))
    with pytest.raises(ValueError, match='The name "twin" is used 2 times'):
        keras.Model(a, out)
    seq = keras.Sequential([layers.Dense(2, name="same")])
    with pytest.raises(ValueError, match='"same" is already the name'):
        seq.add(layers.Dense(2, name="same"))


def test_a_layer_called_twice_has_no_single_output():
    shared = layers.Dense(3)
    a, b = keras.Input((4,)), keras.Input((4,))
    ya, yb = shared(a), shared(b)
    assert shared.get_output_at(0) is ya and shared.get_output_at(1) is yb
    assert shared.get_input_at(1) is b
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        _ = shared.output
    with pytest.raises(AttributeError, match="never been called"):
        _ = layers.Dense(2).output


def test_sequential_is_a_model_with_inputs_outputs_and_layer_outputs():
    seq = keras.Sequential([keras.Input((5,)), layers.Dense(3), layers.Dense(1)])
    assert isinstance(seq, keras.Model)
    assert len(seq.layers) == 2 and seq.inputs[0].shape == (None, 5)
    assert seq.outputs[0] is seq.layers[-1].output and seq.output_shape == (None, 1)
    lazy = keras.Sequential([layers.Dense(2)])
    with pytest.raises(AttributeError, match="no defined inputs"):
        _ = lazy.inputs
    lazy.pop()
    lazy.add(layers.Dense(3))
    lazy.build((None, 4))
    assert lazy.layers[0].output.shape == (None, 3)


def test_rebuilding_a_sequential_keeps_one_node_per_layer():
    seq = keras.Sequential([layers.Dense(3, input_shape=(2,))])
    seq.add(layers.Dense(2))
    seq.add(layers.Dense(1))
    assert [len(la.inbound_nodes) for la in seq.layers] == [1, 1, 1]
    assert seq.layers[0].output.shape == (None, 3)


def test_a_model_called_on_a_tensor_is_a_layer_sharing_its_weights():
    inner_in = keras.Input((3,))
    inner = keras.Model(inner_in, layers.Dense(2, activation="relu")(inner_in), name="inner")
    outer_in = keras.Input((3,))
    out = layers.Dense(1)(inner(outer_in))
    outer = keras.Model(outer_in, out)
    assert [la.name for la in outer.layers][1] == "inner" and out.shape == (None, 1)
    assert outer.count_params() == 3 * 2 + 2 + 2 + 1
    x = f32(6, 3)
    w = inner.get_weights()
    d = outer.layers[2].get_weights()
    want = np.maximum(x @ w[0] + w[1], 0) @ d[0] + d[1]
    np.testing.assert_allclose(outer.predict(x), want, rtol=1e-5, atol=1e-5)
    inner.set_weights([np.zeros_like(v) for v in w])  # shared: the outer model sees the change
    np.testing.assert_allclose(outer.predict(x), np.broadcast_to(d[1], (6, 1)), atol=1e-6)
    with pytest.raises(ValueError, match=r"'inner'.*\(None, 3\).*\(None, 4\)"):
        inner(keras.Input((4,)))


def test_sequential_inside_sequential_and_inside_a_functional_model():
    block = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(4)], name="block")
    seq = keras.Sequential([keras.Input((3,)), block, layers.Dense(1)])
    assert block.built and block.input_shape == (None, 3) and seq.output_shape == (None, 1)
    assert seq.count_params() == 16 + 20 + 5 and len(seq.weights) == 6
    x = f32(5, 3)
    w = seq.get_weights()
    h = np.maximum(x @ w[0] + w[1], 0) @ w[2] + w[3]
    np.testing.assert_allclose(seq.predict(x), h @ w[4] + w[5], rtol=1e-5, atol=1e-5)
    inp = keras.Input((3,))
    model = keras.Model(inp, seq(inp))
    np.testing.assert_allclose(model.predict(x), seq.predict(x), rtol=1e-6)
    model.compile("sgd", "mse")
    model.fit(x, np.ones((5, 1)), verbose=0)  # trains the shared layers
    np.testing.assert_allclose(model.predict(x), seq.predict(x), rtol=1e-6)


def test_functional_summary_lists_the_input_layer():
    inputs = keras.Input((3,), name="x_in")
    model = keras.Model(inputs, layers.Dense(2, name="out")(inputs), name="m")
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "m"' in text and "x_in (InputLayer)" in text and "[(None, 3)]" in text
    assert "out (Dense)" in text and "Total params: 8" in text and "Connected to" not in text
