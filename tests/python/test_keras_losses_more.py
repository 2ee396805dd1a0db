"""Keras 3's margin, divergence and focal losses against NumPy float64 references and Keras'
documented values; reductions; gradients; in fit by name and object; custom Loss subclasses and
plain Python functions as losses (the eager path); bad arguments."""

import numpy as np
import pytest
import rustgrad as tf

keras = tf.keras
L = keras.losses
EPS = 1e-7


def _hinge_y(y):
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def _norm(x):
    return x / np.sqrt(np.maximum((x * x).sum(-1, keepdims=True), EPS))


def _bfocal(y, p, gamma=2.0, alpha=0.25, balance=False):
    pc = np.clip(p, EPS, 1 - EPS)
    bce = -(y * np.log(pc) + (1 - y) * np.log(1 - pc))
    pt = y * p + (1 - y) * (1 - p)
    v = (1 - pt) ** gamma * bce
    if balance:
        v = v * (y * alpha + (1 - y) * (1 - alpha))
    return v.mean(-1)


def _cfocal(y, p, alpha=0.25, gamma=2.0):
    q = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (-alpha * (1 - q) ** gamma * y * np.log(q)).sum(-1)


REFS = {
    "hinge": lambda y, p: np.maximum(1 - _hinge_y(y) * p, 0).mean(-1),
    "squared_hinge": lambda y, p: (np.maximum(1 - _hinge_y(y) * p, 0) ** 2).mean(-1),
    "categorical_hinge": lambda y, p: np.maximum(((1 - y) * p).max(-1) - (y * p).sum(-1) + 1, 0),
    "kl_divergence": lambda y, p: (
        np.clip(y, EPS, 1) * np.log(np.clip(y, EPS, 1) / np.clip(p, EPS, 1))
    ).sum(-1),
    "poisson": lambda y, p: (p - y * np.log(p + EPS)).mean(-1),
    "log_cosh": lambda y, p: np.log(np.cosh(p - y)).mean(-1),
    "cosine_similarity": lambda y, p: -(_norm(y) * _norm(p)).sum(-1),
    "categorical_focal_crossentropy": _cfocal,
    "binary_focal_crossentropy": _bfocal,
}


def _data(seed=0):
    rng = np.random.default_rng(seed)
    y = np.eye(4)[rng.integers(0, 4, 6)].astype(np.float32)
    p = rng.uniform(0.05, 0.95, (6, 4)).astype(np.float32)
    return y, p


@pytest.mark.parametrize("name", sorted(REFS))
def test_values_and_gradients_match_numpy(name):
    y, p = _data()
    fn = getattr(L, name)
    got = fn(y, p).numpy()
    np.testing.assert_allclose(
        got, REFS[name](y.astype(np.float64), p.astype(np.float64)), atol=1e-5
    )
    # Gradient of the sum of per-sample losses against central differences in float64.
    t = tf.tensor(p, requires_grad=True)
    fn(y, t).sum().backward()
    p64, h, num = p.astype(np.float64), 1e-6, np.zeros_like(p, dtype=np.float64)
    for i in np.ndindex(p.shape):
        a, b = p64.copy(), p64.copy()
        a[i] += h
        b[i] -= h
        num[i] = (REFS[name](y, a).sum() - REFS[name](y, b).sum()) / (2 * h)
    np.testing.assert_allclose(t.grad.numpy(), num, atol=2e-3, rtol=2e-3)


def test_keras_documented_values():
    y, p = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
    np.testing.assert_allclose(
        L.binary_focal_crossentropy(y, p, gamma=2).numpy(), [0.330, 0.206], atol=1e-3
    )
    y3, p3 = [[0, 1, 0], [0, 0, 1]], [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]]
    np.testing.assert_allclose(
        L.categorical_focal_crossentropy(y3, p3).numpy(),
        [2.63401289e-04, 6.75912094e-01],
        rtol=1e-4,
    )
    yc, pc = [[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]]
    np.testing.assert_allclose(L.cosine_similarity(yc, pc).numpy(), [0.0, -1.0, 1.0], atol=1e-5)
    assert (
        abs(float(L.LogCosh()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])) - 0.108) < 1e-3
    )


def test_focal_options_and_logits():
    y, p = _data(1)
    ref = _bfocal(y, p, gamma=1.5, alpha=0.4, balance=True)
    loss = L.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=1.5)
    np.testing.assert_allclose(loss.call(y, p).numpy(), ref, atol=1e-5)
    logits = np.log(p / (1 - p))
    got = L.binary_focal_crossentropy(y, logits, gamma=1.5, from_logits=True).numpy()
    np.testing.assert_allclose(got, _bfocal(y, p, gamma=1.5), atol=1e-5)
    sm = L.categorical_focal_crossentropy(y, np.log(p), from_logits=True).numpy()
    np.testing.assert_allclose(sm, _cfocal(y, p), atol=1e-5)
    ls = L.CategoricalFocalCrossentropy(label_smoothing=0.1).call(y, p).numpy()
    np.testing.assert_allclose(ls, _cfocal(y * 0.9 + 0.1 / 4, p), atol=1e-5)


def test_reductions_and_sample_weight():
    y, p = _data(2)
    per = REFS["poisson"](y, p)
    w = np.arange(1, 7, dtype=np.float32)
    assert abs(float(L.Poisson(reduction="sum")(y, p)) - per.sum()) < 1e-4
    assert abs(float(L.Poisson()(y, p, sample_weight=w)) - (per * w).mean()) < 1e-4
    none = L.Poisson(reduction=None)(y, p, sample_weight=w).numpy()
    np.testing.assert_allclose(none, per * w, rtol=1e-5)


class DoubleMae(L.Loss):
    def call(self, y_true, y_pred):
        return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1) * 2.0


def test_custom_loss_subclass_call_is_honoured():
    y, p = _data(3)
    ref = 2 * np.abs(y - p).mean(-1)
    assert abs(float(DoubleMae()(y, p)) - ref.mean()) < 1e-5
    assert abs(float(DoubleMae(reduction="sum")(y, p)) - ref.sum()) < 1e-4
    t = tf.tensor(p, requires_grad=True)
    DoubleMae()(y, t).backward()
    np.testing.assert_allclose(t.grad.numpy(), 2 * np.sign(p - y) / 24, atol=1e-6)


def _model():
    keras.utils.set_random_seed(0) if hasattr(keras.utils, "set_random_seed") else np.random.seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, activation="softmax")])


@pytest.mark.parametrize(
    "loss",
    [
        "categorical_hinge",
        "kl_divergence",
        "poisson",
        "log_cosh",
        "cosine_similarity",
        "categorical_focal_crossentropy",
        L.CategoricalFocalCrossentropy(gamma=1.0),
        L.Hinge(),
    ],
)
def test_fit_by_name_and_object_lowers_the_loss(loss):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = np.eye(4)[np.argmax(x, 1)].astype(np.float32)
    m = _model()
    m.compile(keras.optimizers.Adam(0.05), loss)
    h = m.fit(x, y, epochs=5, batch_size=16, verbose=0).history["loss"]
    assert h[-1] < h[0]


def test_python_losses_train_on_the_eager_path_like_the_core_one():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = np.eye(4)[np.argmax(x, 1)].astype(np.float32)
    fn = lambda t, p: keras.ops.mean(keras.ops.abs(t - p), axis=-1) * 2.0
    results = []
    for loss in ("mae", fn, DoubleMae()):
        m = _model()
        m.set_weights([np.full((4, 4), 0.1, np.float32), np.zeros(4, np.float32)])
        m.compile(keras.optimizers.SGD(0.1), loss)
        m.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        results.append(m.get_weights()[0])
        assert np.isfinite(m.evaluate(x, y, verbose=0))
    # 2·mae with lr 0.1 moves as mae with lr 0.2 would not; the two Python losses agree.
    np.testing.assert_allclose(results[1], results[2], atol=1e-5)
    assert not np.allclose(results[0], results[1])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="BinaryFocalCrossentropy.*alpha"):
        L.BinaryFocalCrossentropy(alpha=1.5)
    with pytest.raises(ValueError, match="CategoricalFocalCrossentropy.*gamma"):
        L.CategoricalFocalCrossentropy(gamma=-1)
    with pytest.raises(ValueError, match="label_smoothing"):
        L.BinaryFocalCrossentropy(label_smoothing=2)
    with pytest.raises(NotImplementedError, match="CosineSimilarity.*axis"):
        L.CosineSimilarity(axis=0)
    with pytest.raises(NotImplementedError, match="alpha"):
        L.CategoricalFocalCrossentropy(alpha=[0.1, 0.2])
    with pytest.raises(ValueError, match="reduction"):
        L.Hinge(reduction="avg")
    assert isinstance(L.get("kld"), L.KLDivergence) and isinstance(L.get("logcosh"), L.LogCosh)
