"""keras.backend (as K) and keras.utils.set_random_seed / normalize."""

from __future__ import annotations

import random

import numpy as np
import pytest
import rustgrad as tf
from rustgrad import keras
from rustgrad.keras import backend as K


def test_configuration():
    assert tf.keras.backend is K
    assert K.epsilon() == 1e-7 and K.floatx() == "float32"
    assert K.image_data_format() == "channels_last"
    with pytest.raises(NotImplementedError, match="float64"):
        K.set_floatx("float64")
    with pytest.raises(NotImplementedError, match="channels_first"):
        K.set_image_data_format("channels_first")


def test_values_shapes_and_params():
    m = keras.Sequential([keras.layers.Dense(3, input_shape=(4,))])
    kernel = m.layers[0].weights[0]
    assert K.int_shape(kernel) == (4, 3) and K.count_params(kernel) == 12
    K.set_value(kernel, np.ones((4, 3)))
    np.testing.assert_array_equal(K.get_value(kernel), np.ones((4, 3), np.float32))
    np.testing.assert_array_equal(m.get_weights()[0], np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match="shape"):
        K.set_value(kernel, np.ones(3))
    assert K.int_shape(keras.Input((5, 2))) == (None, 5, 2)
    assert K.int_shape(np.zeros((2, 3))) == (2, 3)


def test_clear_session_restarts_layer_names():
    K.clear_session()
    assert keras.layers.Dense(1).name == "dense"
    assert keras.layers.Dense(1).name == "dense_1"
    K.clear_session()
    assert keras.layers.Dense(1).name == "dense"


def test_set_random_seed_repeats_python_numpy_and_rustgrad_draws():
    def draws():
        return random.random(), np.random.rand(), float(tf.random.normal([1]).numpy()[0])

    keras.utils.set_random_seed(7)
    first = draws()
    keras.utils.set_random_seed(7)
    assert draws() == first
    keras.utils.set_random_seed(7)
    a = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))]).get_weights()
    keras.utils.set_random_seed(7)
    b = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))]).get_weights()
    np.testing.assert_array_equal(a[0], b[0])


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(keras.utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(keras.utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0, 0]])


def test_the_learning_rate_answers_as_keras_rate_variable_does():
    # The TF 2 callbacks guide's scheduler: get_value / set_value on optimizer.learning_rate.

    opt = keras.optimizers.Adam(0.01)
    lr = opt.learning_rate
    assert lr == 0.01 and isinstance(lr, float) and lr * 2 == 0.02
    assert float(keras.backend.get_value(opt.lr)) == pytest.approx(0.01)
    keras.backend.set_value(opt.learning_rate, 0.5)
    assert opt.learning_rate == 0.5
    opt.learning_rate.assign(0.25)
    assert opt.learning_rate == 0.25 and opt.learning_rate.numpy() == np.float32(0.25)
    with pytest.raises(ValueError):
        opt.learning_rate.assign(-1.0)
    sched = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    with pytest.raises(TypeError, match="schedule"):
        keras.optimizers.SGD(sched).learning_rate.assign(0.3)
