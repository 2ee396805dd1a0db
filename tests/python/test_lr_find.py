"""model.lr_find: the exponential schedule, the smoothed loss (bias-corrected EMA) and the stop
at divergence, Lightning's suggestion rule, the model restored bit for bit on both engines, and
bad arguments."""

import numpy as np
import pytest
import rustgrad as tf
from rustgrad.keras import _train_state
from rustgrad.keras.lr_find import LRFinderResult

keras = tf.keras


def _data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return x, keras.utils.to_categorical(labels, 2)


def _graph_model():
    return keras.Sequential(
        [
            keras.layers.Dense(16, activation="relu", input_shape=(6,)),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


class _Eager(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(16, activation="relu")
        self.drop = keras.layers.Dropout(0.3)
        self.out = keras.layers.Dense(2, activation="softmax")

    def call(self, x, training=None):
        return self.out(self.drop(self.hidden(x), training=training))


def _compiled(build, opt="adam"):
    tf.manual_seed(1)
    m = build()
    m.compile(optimizer=opt, loss="categorical_crossentropy", metrics=["accuracy"])
    return m


def _state(model):
    return [w.copy() for w in model.get_weights()], _train_state.arrays(model)


@pytest.mark.parametrize("build", [_graph_model, _Eager], ids=["graph", "eager"])
def test_the_model_is_restored_bit_for_bit(build):
    x, y = _data()
    model = _compiled(build)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)  # Adam slots, iterations, Dropout stream
    weights, state = _state(model)
    iterations = int(model.optimizer.iterations)
    result = model.lr_find(x, y, num_steps=30)
    assert len(result.lrs) > 5
    after_w, after_s = _state(model)
    assert all(np.array_equal(a, b) for a, b in zip(weights, after_w))
    assert sorted(state) == sorted(after_s)
    assert all(np.array_equal(state[k], after_s[k]) for k in state)
    assert int(model.optimizer.iterations) == iterations
    # And training goes on exactly as it does from the state before the test.
    np.random.seed(5)
    h1 = model.fit(x, y, batch_size=32, epochs=1, verbose=0).history["loss"]
    w1 = model.get_weights()
    model.set_weights(weights)
    _train_state.restore(model, state)
    np.random.seed(5)
    h2 = model.fit(x, y, batch_size=32, epochs=1, verbose=0).history["loss"]
    assert h1 == h2
    assert all(np.array_equal(a, b) for a, b in zip(w1, model.get_weights()))


def test_exponential_rates_and_the_smoothed_loss():
    x, y = _data()
    model = _compiled(_graph_model, opt=keras.optimizers.SGD())
    r = model.lr_find(x, y, start_lr=1e-5, end_lr=1e-2, num_steps=20, stop_factor=1e9)
    assert not r.diverged and len(r.lrs) == 20
    np.testing.assert_allclose(r.lrs, 1e-5 * 1000 ** (np.arange(20) / 19), rtol=1e-12)
    avg, expect = 0.0, []
    for i, loss in enumerate(r.raw_losses):
        avg = 0.98 * avg + 0.02 * loss
        expect.append(avg / (1 - 0.98 ** (i + 1)))
    np.testing.assert_allclose(r.losses, expect, rtol=1e-12)


def test_stops_once_the_loss_diverges():
    x, y = _data()
    model = _compiled(_graph_model, opt=keras.optimizers.SGD())
    r = model.lr_find(x, y * 50.0, start_lr=1e-4, end_lr=1e4, num_steps=100)
    assert r.diverged and len(r.lrs) < 100
    last = r.losses[-1]
    assert not np.isfinite(last) or last > 4 * np.min(r.losses[:-1])
    assert np.all(r.losses[:-1] <= 4 * np.minimum.accumulate(r.losses[:-1]))


def test_suggestion_is_the_steepest_descent_past_the_skipped_points():
    lrs = np.geomspace(1e-6, 1, 40)
    losses = np.full(40, 2.0)
    losses[15:25] = np.linspace(2.0, 0.5, 10)
    losses[20] -= 0.4  # the steepest drop: np.gradient is most negative at 19 and 20
    losses[25:] = 0.2
    losses[2] = -100.0  # inside skip_begin: ignored
    r = LRFinderResult(lrs, losses, losses, diverged=False)
    grad = np.gradient(losses[10:39])
    assert r.suggestion == lrs[10 + int(np.argmin(grad))]
    assert r.suggest(skip_begin=0) == lrs[int(np.argmin(np.gradient(losses[:39])))]
    assert LRFinderResult(lrs[:5], losses[:5], losses[:5], False).suggestion is None
    with pytest.raises(ValueError, match="skips"):
        r.suggest(skip_begin=-1)


def test_plot_marks_the_suggestion(tmp_path):
    x, y = _data()
    r = _compiled(_graph_model).lr_find(x, y, num_steps=40)
    fig = r.plot(tmp_path / "lr.png")
    assert (tmp_path / "lr.png").read_bytes()[:4] == b"\x89PNG"
    assert fig.axes[0].get_xscale() == "log"
    assert "suggestion" in repr(r)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"start_lr": 1.0, "end_lr": 0.1}, ValueError, "below end_lr"),
        ({"start_lr": 0.0}, ValueError, "start_lr"),
        ({"end_lr": float("inf")}, ValueError, "end_lr"),
        ({"num_steps": 1}, ValueError, "at least 2"),
        ({"num_steps": 2.5}, TypeError, "integer"),
        ({"beta": 1.0}, ValueError, "beta"),
        ({"stop_factor": -1}, ValueError, "stop_factor"),
        ({"batch_size": 0}, ValueError, "batch_size"),
    ],
)
def test_bad_arguments_are_refused(kwargs, err, match):
    x, y = _data()
    model = _compiled(_graph_model)
    before = _state(model)[0]
    with pytest.raises(err, match=match):
        model.lr_find(x, y, **kwargs)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_an_uncompiled_model_and_unknown_keywords_are_refused():
    x, y = _data()
    with pytest.raises(RuntimeError, match="compile"):
        _graph_model().lr_find(x, y)
    with pytest.raises(TypeError):
        _compiled(_graph_model).lr_find(x, y, epochs=3)


def test_wrong_input_width_names_the_shapes():
    x, y = _data()
    with pytest.raises(ValueError, match="incompatible"):
        _compiled(_graph_model).lr_find(x[:, :4], y)
