"""keras.constraints against NumPy references of Keras 3's formulas; kernel_/bias_constraint on the
layers after fit (Rust train step and eager engine) and after apply_gradients in a tape loop;
add_weight(constraint=...); config round trips and bad arguments."""

import numpy as np
import pytest
import rustgrad as rg
from rustgrad import keras
from rustgrad.keras import constraints, layers

EPS = 1e-7


def _norms(w, axis):
    return np.sqrt(np.sum(np.square(w), axis=tuple(np.atleast_1d(axis)), keepdims=True))


def ref(c, w):
    w = w.astype(np.float64)
    if isinstance(c, constraints.NonNeg):
        return np.maximum(w, 0.0)
    n = _norms(w, c.axis)
    if isinstance(c, constraints.MaxNorm):
        return w * (np.clip(n, 0, c.max_value) / (EPS + n))
    if isinstance(c, constraints.UnitNorm):
        return w / (EPS + n)
    desired = c.rate * np.clip(n, c.min_value, c.max_value) + (1 - c.rate) * n
    return w * (desired / (EPS + n))


def w4():
    return np.random.default_rng(0).normal(0, 2, (3, 3, 4, 5)).astype(np.float32)


@pytest.mark.parametrize(
    "c",
    [
        constraints.MaxNorm(1.5),
        constraints.MaxNorm(max_value=0.5, axis=[0, 1, 2]),
        constraints.NonNeg(),
        constraints.UnitNorm(axis=-1),
        constraints.UnitNorm(axis=[0, 1, 2]),
        constraints.MinMaxNorm(0.5, 2.0, rate=0.7, axis=[0, 1]),
        constraints.MinMaxNorm(),
    ],
    ids=repr,
)
def test_each_constraint_matches_keras_formula(c):
    w = w4()
    got = c(w)
    assert isinstance(got, rg.Tensor)
    np.testing.assert_allclose(got.numpy(), ref(c, w), rtol=1e-5, atol=1e-6)
    # A Tensor in, a Tensor of the same shape out; the input is left alone.
    t = rg.tensor(w)
    assert c(t).shape == w.shape and np.array_equal(t.numpy(), w)


def test_names_aliases_get_serialize_round_trip():
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm
    assert constraints.min_max_norm is constraints.MinMaxNorm
    assert isinstance(constraints.get("max_norm"), constraints.MaxNorm)
    assert isinstance(constraints.get("UnitNorm"), constraints.UnitNorm)
    assert constraints.get(None) is None
    c = constraints.MinMaxNorm(0.1, 3.0, 0.5, axis=[0, 1, 2])
    s = constraints.serialize(c)
    assert s == {
        "module": "keras.constraints",
        "class_name": "MinMaxNorm",
        "config": {"min_value": 0.1, "max_value": 3.0, "rate": 0.5, "axis": [0, 1, 2]},
        "registered_name": None,
    }
    back = constraints.deserialize(s)
    assert isinstance(back, constraints.MinMaxNorm) and back.get_config() == c.get_config()
    assert constraints.get(s).get_config() == c.get_config()
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert keras.constraints is constraints


def test_bad_arguments_name_the_class_and_the_value():
    with pytest.raises(ValueError) as e:
        constraints.get("max_nrm")
    assert all(w in str(e.value) for w in ("max_nrm", "max_norm", "non_neg", "unit_norm"))
    for make, words in [
        (lambda: constraints.MaxNorm(-1), ["MaxNorm", "max_value", "-1"]),
        (lambda: constraints.MinMaxNorm(min_value=-0.5), ["MinMaxNorm", "min_value", "-0.5"]),
        (lambda: constraints.MinMaxNorm(2.0, 1.0), ["MinMaxNorm", "min_value", "2.0"]),
        (lambda: constraints.MinMaxNorm(rate=1.5), ["MinMaxNorm", "rate", "1.5"]),
        (lambda: constraints.UnitNorm(axis="x"), ["UnitNorm", "axis", "'x'"]),
        (lambda: constraints.MaxNorm(float("nan")), ["MaxNorm", "nan"]),
    ]:
        with pytest.raises(ValueError) as e:
            make()
        assert all(w in str(e.value) for w in words), str(e.value)
    with pytest.raises(ValueError, match="Dense.*kernel_constraint.*nope"):
        layers.Dense(2, kernel_constraint="nope")
    # An axis the weight does not have is named when the constraint runs.
    with pytest.raises(ValueError, match="axis 5"):
        constraints.UnitNorm(axis=5)(np.ones((2, 2), np.float32))


def _problem(n=64, d=6, k=4):
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (n, d)).astype(np.float32)
    y = (x @ rng.normal(0, 5, (d, k))).astype(np.float32) + 3.0
    return x, y


def _dense_model(**kw):
    rg.manual_seed(0)
    dense = layers.Dense(4, **kw)
    model = keras.Sequential([keras.Input((6,)), dense])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    return model, dense


def test_max_norm_holds_after_fit_and_not_without_it():
    x, y = _problem()
    model, dense = _dense_model()
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert _norms(dense.kernel.numpy(), 0).max() > 1.5  # the problem pushes the norms up
    model, dense = _dense_model(kernel_constraint=constraints.MaxNorm(1.0))
    assert not keras.models.subclassed.needs_eager(model)  # the Rust train step projects
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert (_norms(dense.kernel.numpy(), 0) <= 1.0 + 1e-6).all()
    assert dense.kernel.constraint.get_config() == {"max_value": 1.0, "axis": 0}


def test_non_neg_on_kernel_and_bias_after_fit():
    x, y = _problem()
    y = -y  # the unconstrained fit would want negative weights and bias
    model, dense = _dense_model()
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert dense.kernel.numpy().min() < 0 and dense.bias.numpy().min() < 0
    model, dense = _dense_model(kernel_constraint="non_neg", bias_constraint="non_neg")
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert dense.kernel.numpy().min() >= 0 and dense.bias.numpy().min() >= 0
    # train_on_batch goes through the same step.
    model.train_on_batch(x[:8], y[:8])
    assert dense.kernel.numpy().min() >= 0


def test_conv2d_unit_norm_per_filter():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, (8, 6, 6, 2)).astype(np.float32)
    y = rng.normal(0, 1, (8, 4, 4, 3)).astype(np.float32)
    conv = layers.Conv2D(3, 3, kernel_constraint=constraints.UnitNorm(axis=[0, 1, 2]))
    model = keras.Sequential([keras.Input((6, 6, 2)), conv])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    np.testing.assert_allclose(_norms(conv.kernel.numpy(), [0, 1, 2]).ravel(), 1.0, atol=1e-5)


class Clip(constraints.Constraint):
    """A Python constraint: clip every weight to [-0.1, 0.1] (Tensor ops)."""

    def __call__(self, w):
        return rg.clip_by_value(w, -0.1, 0.1)


def test_python_constraint_runs_fit_on_the_eager_engine():
    x, y = _problem()
    model, dense = _dense_model(kernel_constraint=Clip())
    assert keras.models.subclassed.needs_eager(model)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    k = dense.kernel.numpy()
    assert np.abs(k).max() <= 0.1 + 1e-7 and np.isclose(np.abs(k).max(), 0.1)


def test_fit_same_weights_on_both_engines():
    x, y = _problem()
    fast, d1 = _dense_model(kernel_constraint=constraints.MaxNorm(0.8))
    slow, d2 = _dense_model(kernel_constraint=constraints.MaxNorm(0.8))
    d2.set_weights(d1.get_weights())
    slow._core = None
    from rustgrad.keras.models import subclassed

    slow._core = subclassed.graph_engine(slow)
    slow.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    assert isinstance(slow._engine(), keras.eager.EagerEngine)
    assert not isinstance(fast._engine(), keras.eager.EagerEngine)
    for m in (fast, slow):
        m.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    np.testing.assert_allclose(d1.kernel.numpy(), d2.kernel.numpy(), rtol=1e-4, atol=1e-5)


def test_apply_gradients_in_a_tape_loop_applies_variable_constraints():
    x, y = _problem()
    dense = layers.Dense(4, kernel_constraint=constraints.MaxNorm(0.5))
    dense(x[:1])
    opt = keras.optimizers.SGD(0.05)
    for _ in range(20):
        with rg.GradientTape() as tape:
            loss = rg.reduce_mean(rg.square(dense(rg.tensor(x)) - rg.tensor(y)))
        grads = tape.gradient(loss, dense.trainable_variables)
        opt.apply_gradients(zip(grads, dense.trainable_variables))
    assert (_norms(dense.kernel.numpy(), 0) <= 0.5 + 1e-6).all()
    # A plain Variable with a constraint, and one set afterwards.
    v = rg.Variable(np.array([-1.0, 2.0], np.float32), constraint=constraints.NonNeg())
    w = rg.Variable(np.array([3.0, 4.0], np.float32))
    w.constraint = constraints.UnitNorm()
    opt.apply_gradients([(rg.tensor(np.zeros(2, np.float32)), v), (rg.zeros(2), w)])
    assert v.numpy().tolist() == [0.0, 2.0]
    np.testing.assert_allclose(w.numpy(), [0.6, 0.8], atol=1e-6)
    with pytest.raises(TypeError, match="constraint"):
        w.constraint = 3


def test_add_weight_constraint_is_honoured():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1],), initializer="ones", constraint="non_neg"
            )

        def call(self, x):
            return x * self.w

    x = np.ones((16, 3), np.float32)
    y = -np.ones((16, 3), np.float32)
    layer = Scale()
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    model.fit(x, y, epochs=3, verbose=0)
    assert isinstance(layer.w.constraint, constraints.NonNeg)
    assert layer.w.numpy().min() >= 0.0 and np.allclose(layer.w.numpy(), 0.0)


def test_layer_configs_round_trip_constraints():
    d = layers.Dense(3, kernel_constraint=constraints.MaxNorm(2.5), bias_constraint="non_neg")
    cfg = d.get_config()
    assert cfg["kernel_constraint"] == {
        "module": "keras.constraints",
        "class_name": "MaxNorm",
        "config": {"max_value": 2.5, "axis": 0},
        "registered_name": None,
    }
    assert cfg["bias_constraint"]["class_name"] == "NonNeg"
    d2 = layers.Dense.from_config(cfg) if hasattr(layers.Dense, "from_config") else None
    if d2 is not None:
        assert d2.get_config()["kernel_constraint"] == cfg["kernel_constraint"]
