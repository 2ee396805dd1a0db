"""Arguments that used to be accepted and dropped: each now acts or is refused with a clear error."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras


def small_model():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])


def test_compile_keeps_its_execution_flags_and_refuses_unknown_keywords():
    model = small_model()
    model.compile("sgd", "mse", run_eagerly=True, steps_per_execution=4, jit_compile="auto")
    assert (model.run_eagerly, model.steps_per_execution, model.jit_compile) == (True, 4, "auto")
    with pytest.raises(TypeError, match="sample_weight_mode"):
        model.compile("sgd", "mse", sample_weight_mode="temporal")
    with pytest.raises(TypeError, match="steps_per_execution"):
        model.compile("sgd", "mse", steps_per_execution=0)
    with pytest.raises(TypeError, match="run_eagerly"):
        model.compile("sgd", "mse", run_eagerly="yes")
    with pytest.raises(TypeError, match="jit_compile"):
        model.compile("sgd", "mse", jit_compile="xla")
    model.compile("sgd", "mse", auto_scale_loss=True)  # Keras 3's, meaningful in float16 only


def test_compile_flags_survive_a_save_and_load(tmp_path):
    model = small_model()
    model.compile("sgd", "mse", steps_per_execution=8)
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    assert again.steps_per_execution == 8


def test_reduce_lr_on_plateau_refuses_unknown_keywords_and_keeps_epsilon():
    cb = keras.callbacks.ReduceLROnPlateau(epsilon=0.5)
    assert cb.min_delta == 0.5
    with pytest.raises(TypeError, match="min_deltaa"):
        keras.callbacks.ReduceLROnPlateau(min_deltaa=0.1)


def test_bias_add_channels_first_and_last_match_numpy():
    rng = np.random.default_rng(0)
    x, b = rng.normal(size=(2, 3, 4, 5)).astype(np.float32), np.arange(3, dtype=np.float32)
    got = tf.nn.bias_add(tf.constant(x), tf.constant(b), data_format="NCHW").numpy()
    np.testing.assert_allclose(got, x + b[None, :, None, None], rtol=1e-6)
    b5 = np.arange(5, dtype=np.float32)
    got = tf.nn.bias_add(tf.constant(x), tf.constant(b5), data_format="NHWC").numpy()
    np.testing.assert_allclose(got, x + b5, rtol=1e-6)
    with pytest.raises(ValueError, match="axis 1"):
        tf.nn.bias_add(tf.constant(x), tf.constant(b5), data_format="NCHW")
    with pytest.raises(ValueError, match="data_format"):
        tf.nn.bias_add(tf.constant(x), tf.constant(b5), data_format="HWC")


def test_count_nonzero_checks_its_dtype():
    x = tf.constant([[0.0, 1.5], [2.0, 0.0]])
    assert tf.math.count_nonzero(x, dtype="int64").numpy().tolist() == 2
    np.testing.assert_array_equal(tf.math.count_nonzero(x, axis=0).numpy(), [1, 1])
    with pytest.raises(TypeError):
        tf.math.count_nonzero(x, dtype="complex64")


def test_layer_and_weight_dtypes_are_checked():
    keras.layers.Dense(2, dtype="float64")  # a float dtype computes in float32
    keras.layers.Dense(2, dtype={"class_name": "DTypePolicy", "config": {"name": "float32"}})
    with pytest.raises(ValueError, match="mixed_float16"):
        keras.layers.Dense(2, dtype="mixed_float16")
    with pytest.raises(ValueError, match="int32"):
        keras.Input((3,), dtype="int32")

    class Counter(keras.layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight(
                shape=(), initializer="zeros", dtype="int32", trainable=False
            )
            with pytest.raises(ValueError, match="int32"):
                self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=True)

        def call(self, x):
            return x

    Counter()(tf.ones((1, 3)))


def test_layers_take_keras_autocast_flag():
    keras.layers.Dense(2, autocast=False)
    keras.layers.Dropout(0.1, autocast=True)
    with pytest.raises(TypeError, match="autocast"):
        keras.layers.Dense(2, autocast="no")
