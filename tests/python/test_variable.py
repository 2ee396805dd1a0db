"""tf.Variable and Keras weights as Variables, from_numpy, autograd.grad, against TF and PyTorch."""

from __future__ import annotations

import gc
import warnings

import numpy as np
import pytest
import rustgrad as tf
from core_helpers import close
from rustgrad import autograd, keras


# ---- Variable ----------------------------------------------------------------------------------
def test_variable_is_a_named_trainable_tensor():
    v = tf.Variable([[1.0, 2.0]], name="w")
    assert isinstance(v, tf.Tensor) and type(v) is tf.Variable
    assert (v.name, v.path, v.trainable, v.shape) == ("w", "w", True, (1, 2))
    assert v.requires_grad and v.is_leaf and v.numpy().dtype == np.float32
    close(v * 2 + v, [[3.0, 6.0]])
    assert type(v * 2) is tf.Tensor
    assert tf.Variable(3.0, trainable=False).requires_grad is False
    assert tf.Variable(1.0, dtype=tf.float32).shape == ()
    with pytest.raises(TypeError, match="float32"):
        tf.Variable(1.0, dtype="float64")
    a = np.float32([1.0, 2.0])
    v = tf.Variable(a)  # a copy of its initial value
    a[0] = 9.0
    close(v, [1.0, 2.0])


def test_assign_family_is_in_place_and_returns_the_variable():
    v = tf.Variable([1.0, 2.0, 3.0])
    ident = id(v)
    assert v.assign([4.0, 5.0, 6.0]) is v
    assert v.assign_add(np.float32([1.0, 1.0, 1.0])) is v
    assert v.assign_sub(tf.tensor([0.5, 0.5, 0.5])) is v
    close(v, [4.5, 5.5, 6.5])
    assert id(v) == ident and v.is_leaf and v.requires_grad and v.grad is None


@pytest.mark.parametrize("bad", [[1.0, 2.0], [[1.0, 2.0, 3.0]], np.ones((3, 1), np.float32)])
def test_assign_refuses_a_different_shape_and_keeps_the_value(bad):
    v = tf.Variable([1.0, 2.0, 3.0])
    for method in (v.assign, v.assign_add, v.assign_sub):
        with pytest.raises(ValueError, match="shape"):
            method(bad)
    close(v, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("value", [5.0, [5.0]])
def test_assign_of_a_one_element_value_to_a_vector_is_refused_like_tensorflow(value):
    # TF: "Cannot update variable with shape [3] using a Tensor with shape [], shapes must be
    # equal" (ValidateAssignUpdateVariableOpShapes); src/python/variable.rs says it never broadcasts.
    v = tf.Variable([1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        v.assign(value)


def test_assign_works_inside_a_tape_and_under_grad_mode_without_recording():
    v = tf.Variable([1.0, 2.0])
    w = tf.tensor([3.0, 4.0], requires_grad=True)
    with tf.GradientTape() as tape:
        v.assign(w * 2)
        v.assign_add(w)
    close(v, [9.0, 12.0])
    assert v.is_leaf and v.grad_fn is None
    assert tape.gradient((v * w).sum(), w) is not None  # a graph recorded after the assigns


def test_read_value_and_value_are_snapshots_that_reach_the_variable():
    v = tf.Variable([1.0, 2.0])
    r = v.read_value()
    v.assign([5.0, 5.0])
    close(r, [1.0, 2.0])
    close(v.value, [5.0, 5.0])
    with tf.GradientTape() as tape:
        y = (v.read_value() * 3.0).sum()
    close(tape.gradient(y, v), [3.0, 3.0])


def test_trainable_flag_decides_the_tape_gradient():
    v = tf.Variable([1.0, 2.0], trainable=False)
    with tf.GradientTape() as tape:
        y = (v * v).sum()
    assert tape.gradient(y, v) is None
    v.trainable = True
    assert v.trainable and v.requires_grad
    with tf.GradientTape() as tape:
        y = (v * v).sum()
    close(tape.gradient(y, v), [2.0, 4.0])


def test_print_shows_tensorflows_form():
    v = tf.Variable([1.0, 2.0], name="k")
    want = "<Variable 'k' shape=(2,) dtype=float32, numpy=array([1., 2.], dtype=float32)>"
    assert repr(v) == want
    assert str(v) == want


def test_tf_style_gradient_descent_loop_with_assign_sub():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(20, 2)), rng.normal(size=(20, 1))
    w, b = tf.Variable(np.zeros((2, 1), np.float32)), tf.Variable(np.zeros(1, np.float32))
    rw, rb = np.zeros((2, 1)), np.zeros(1)
    for _ in range(4):
        with tf.GradientTape() as tape:
            err = tf.tensor(x.astype(np.float32)) @ w + b - tf.tensor(y.astype(np.float32))
            loss = (err * err).mean()
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw)
        b.assign_sub(0.1 * gb)
        e = x @ rw + rb - y
        rw, rb = rw - 0.1 * 2 * x.T @ e / 20, rb - 0.1 * 2 * e.mean(0)
    close(w, rw, rtol=1e-4, atol=1e-6)
    close(b, rb, rtol=1e-4, atol=1e-6)
    assert w.grad is None  # the tape leaves .grad alone


# ---- Keras weights are Variables -----------------------------------------------------------------
def _model():
    return keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(2, name="dense"),
            keras.layers.BatchNormalization(name="batch_normalization"),
        ]
    )


def test_layer_weights_are_named_variables_and_the_same_object_each_time():
    m = _model()
    names = [(w.name, w.path, w.trainable) for w in m.weights]
    assert names == [
        ("kernel", "dense/kernel", True),
        ("bias", "dense/bias", True),
        ("gamma", "batch_normalization/gamma", True),
        ("beta", "batch_normalization/beta", True),
        ("moving_mean", "batch_normalization/moving_mean", False),
        ("moving_variance", "batch_normalization/moving_variance", False),
    ]
    assert all(type(w) is tf.Variable for w in m.weights)
    assert all(a is b for a, b in zip(m.weights, m.weights))
    assert m.trainable_variables[0] is m.layers[0].weights[0] is m.layers[0].trainable_weights[0]


def test_assign_to_a_layer_weight_is_what_predict_uses():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    kernel, bias = m.layers[0].weights
    kernel.assign(np.float32([[1, 0], [0, 1], [1, 1]]))
    bias.assign([0.5, -0.5])
    x = np.float32([[1, 2, 3], [0, 0, 1]])
    close(m.predict(x, verbose=0), x @ kernel.numpy() + [0.5, -0.5])
    close(m.layers[0].get_weights()[1], [0.5, -0.5])


def test_tape_watch_on_a_kernel_with_watch_accessed_variables_false():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    kernel, bias = m.layers[0].weights
    x = np.float32([[1, 2, 3], [4, 5, 6]])
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(kernel)
        loss = m(x).sum()
    gk, gb = tape.gradient(loss, [kernel, bias])
    close(gk, np.repeat(x.sum(0)[:, None], 2, axis=1))
    assert gb is None


def test_apply_gradients_updates_the_models_variables_in_place():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    opt = keras.optimizers.SGD(learning_rate=0.1)
    x, y = np.float32([[1, 2, 3], [0, 1, 0]]), np.float32([[1], [2]])
    before = [w.numpy().copy() for w in m.trainable_variables]
    with tf.GradientTape() as tape:
        loss = ((m(x) - tf.tensor(y)) ** 2).mean()
    grads = tape.gradient(loss, m.trainable_variables)
    opt.apply_gradients(zip(grads, m.trainable_variables))
    for w, b0, g in zip(m.trainable_variables, before, grads):
        close(w, b0 - 0.1 * g.numpy(), rtol=1e-6)
    close(m.predict(x, verbose=0), x @ m.weights[0].numpy() + m.weights[1].numpy())


def test_add_weight_gives_variables():
    class Scale(keras.layers.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones", name="w")
            self.c = self.add_weight(shape=(1,), initializer="zeros", trainable=False, name="c")

        def call(self, x):
            return x * self.w + self.c

    layer, one = Scale(), np.ones((1, 2), np.float32)
    layer(one)
    assert type(layer.w) is tf.Variable and layer.w.name == "w"
    assert layer.weights[0] is layer.w and not layer.c.trainable
    layer.w.assign([2.0, 3.0])
    close(layer(one), [[2.0, 3.0]])


def test_keras_layer_attributes_for_custom_loops():
    layer = keras.layers.Dense(2)
    layer(np.ones((1, 3), np.float32))
    assert layer.kernel is layer.weights[0] and layer.bias is layer.weights[1]
    assert layer.trainable_variables[0] is layer.kernel


# ---- from_numpy --------------------------------------------------------------------------------
def test_from_numpy_shares_memory_both_ways():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = tf.from_numpy(a)
    a[0, 0] = 100.0
    t[1, 1] = -5.0
    t += 1.0
    close(t, a)
    assert a[1, 1] == -4.0 and np.shares_memory(t.numpy(), a)
    assert t.shape == (2, 3) and t.is_leaf and not t.requires_grad
    view = np.zeros(4, np.float32)[1:]  # an offset but contiguous view also shares
    tf.from_numpy(view).fill_(2.0)
    close(view, [2.0, 2.0, 2.0])


def test_from_numpy_keeps_the_array_alive():
    t = tf.from_numpy(np.full(1000, 3.0, np.float32))
    gc.collect()
    junk = [np.zeros(1000, np.float32) for _ in range(20)]  # would reuse freed memory
    assert float(t.sum()) == 3000.0 and len(junk) == 20


@pytest.mark.parametrize(
    "arr,why",
    [
        (np.arange(3.0), "dtype"),
        (np.arange(3), "dtype"),
        (np.ones((2, 4), np.float32)[:, ::2], "contiguous"),
        (np.asfortranarray(np.ones((2, 3), np.float32)), "contiguous"),
    ],
)
def test_from_numpy_copies_other_arrays_with_a_warning(arr, why):
    with pytest.warns(UserWarning, match=why):
        t = tf.from_numpy(arr)
    close(t, arr.astype(np.float32))
    t += 1.0
    close(t, arr.astype(np.float32) + 1)  # the array is untouched


def test_from_numpy_of_a_read_only_array_is_a_copy():
    ro = np.ones(3, np.float32)
    ro.flags.writeable = False
    with pytest.warns(UserWarning, match="read-only"):
        t = tf.from_numpy(ro)
    t += 1.0
    close(ro, [1.0, 1.0, 1.0])
    with pytest.raises(TypeError, match="ndarray"):
        tf.from_numpy([1.0, 2.0])  # torch: TypeError "expected np.ndarray"


def test_from_numpy_warning_points_at_the_callers_line():
    with pytest.warns(UserWarning) as rec:
        tf.from_numpy(np.arange(3.0))
    assert rec[0].filename == __file__


# ---- autograd.grad -----------------------------------------------------------------------------
def test_autograd_grad_matches_numpy_and_leaves_dot_grad_alone():
    xv = np.float32([1.0, -2.0])
    x, z = tf.tensor(xv, requires_grad=True), tf.tensor([3.0], requires_grad=True)
    y = (x * x * z).sum()
    (gx,) = autograd.grad(y, x, retain_graph=True)
    close(gx, 2 * xv * 3)
    gx, gz = autograd.grad([y], [x, z], retain_graph=True)
    close(gz, [(xv**2).sum()])
    assert x.grad is None and z.grad is None
    h = x * 3.0  # an intermediate tensor as input
    (gh,) = autograd.grad((h * h).sum(), [h])
    close(gh, 2 * 3 * xv)


def test_autograd_grad_unused_inputs_and_graph_lifetime():
    x, u = tf.tensor([1.0, 2.0], requires_grad=True), tf.tensor([5.0], requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(tf.GraphError, match="allow_unused"):
        autograd.grad(y, [x, u], retain_graph=True)
    assert autograd.grad(y, [x, u], allow_unused=True, retain_graph=True)[1] is None
    _, gu = autograd.grad(y, [x, u], materialize_grads=True)
    close(gu, [0.0])
    with pytest.raises(tf.GraphError, match="second time"):
        autograd.grad(y, [x])
    pytest.raises(NotImplementedError, autograd.grad, (x * x).sum(), x, create_graph=True)


def test_autograd_grad_of_a_non_scalar_needs_grad_outputs():
    x = tf.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with pytest.raises(tf.GraphError, match="scalar"):
        autograd.grad(y, x, retain_graph=True)
    (g,) = autograd.grad(y, x, grad_outputs=tf.tensor([1.0, 10.0]))
    close(g, [2.0, 40.0])
    pytest.raises(tf.ShapeError, autograd.grad, x * x, x, grad_outputs=tf.ones(3))
