"""keras.callbacks.GradientMonitor: per-layer norms equal NumPy's from the GradientTape gradients
of the same batch, on both engines; History keys; warnings once per layer; bad arguments."""

import warnings

import numpy as np
import pytest
import rustgrad as tf
from rustgrad.keras.callbacks import GradientMonitor

keras = tf.keras


def _data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5)).astype(np.float32), rng.normal(size=(n, 3)).astype(np.float32)


def _graph_model():
    return keras.Sequential(
        [
            keras.layers.Dense(8, activation="tanh", input_shape=(5,), name="hidden"),
            keras.layers.Dense(3, name="head"),
        ]
    )


class _Eager(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(8, activation="tanh", name="hidden")
        self.head = keras.layers.Dense(3, name="head")

    def call(self, x):
        return self.head(self.hidden(x))


def _constrained_model():
    # The projection moves the weights after the optimizer measured its step.
    return keras.Sequential(
        [
            keras.layers.Dense(
                8,
                activation="tanh",
                input_shape=(5,),
                name="hidden",
                kernel_constraint=keras.constraints.MaxNorm(0.3),
            ),
            keras.layers.Dense(3, name="head"),
        ]
    )


# The optimizer measures inside its update (decay and clipping included); LAMB is measured around it.
OPTIMIZERS = {
    "adam": lambda: "adam",
    "adamw": lambda: keras.optimizers.AdamW(0.01, weight_decay=0.5),
    "sgd_clipnorm": lambda: keras.optimizers.SGD(0.1, momentum=0.9, clipnorm=0.05),
    "rmsprop_clipvalue": lambda: keras.optimizers.RMSprop(0.01, clipvalue=0.01),
    "lamb": lambda: keras.optimizers.Lamb(0.01),
}


def _compiled(build, opt="adam"):
    tf.manual_seed(3)
    m = build()
    m.compile(optimizer=opt, loss="mse")
    return m


def _expected(model, x, y):
    """Per layer (grad norm, weight norm) for one step on (x, y), from a GradientTape."""
    with tf.GradientTape(persistent=True) as tape:
        loss = keras.losses.MeanSquaredError()(y, model(x, training=True))
    out = {}
    for name in ("hidden", "head"):
        layer = model.get_layer(name) if hasattr(model, "get_layer") else None
        layer = layer or getattr(model, name)
        ws = layer.trainable_weights
        gs = tape.gradient(loss, ws)
        g = np.sqrt(sum(np.sum(np.square(gi.numpy().astype(np.float64))) for gi in gs))
        w = np.sqrt(sum(np.sum(np.square(wi.numpy().astype(np.float64))) for wi in ws))
        out[name] = (g, w, [wi.numpy().astype(np.float64).copy() for wi in ws], layer)
    return out


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize(
    "build", [_graph_model, _Eager, _constrained_model], ids=["graph", "eager", "constrained"]
)
def test_norms_match_numpy_from_the_tape(build, opt):
    x, y = _data()
    model = _compiled(build, OPTIMIZERS[opt]())
    model(x[:1])  # built, so the tape below sees the weights fit starts from
    expected = _expected(model, x, y)
    mon = GradientMonitor(every=1)
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0, callbacks=[mon])
    assert mon.steps == [0]
    for name, (g, w, before, layer) in expected.items():
        assert mon.history[f"grad_norm/{name}"][0] == pytest.approx(g, rel=1e-5)
        assert mon.history[f"weight_norm/{name}"][0] == pytest.approx(w, rel=1e-5)
        moved = np.sqrt(
            sum(np.sum((a.numpy() - b) ** 2) for a, b in zip(layer.trainable_weights, before))
        )
        assert mon.history[f"update_ratio/{name}"][0] == pytest.approx(moved / w, rel=1e-4)


@pytest.mark.parametrize("build", [_graph_model, _Eager], ids=["graph", "eager"])
def test_every_n_steps_and_epoch_means_in_history(build, tmp_path):
    x, y = _data(40)
    model = _compiled(build)
    mon = GradientMonitor(every=3)
    assert not mon.wants_batches()  # fit keeps running batches in chunks
    hist = model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[mon])
    # 10 steps per epoch; steps 0, 3, 6, ... 18 recorded.
    assert mon.steps == list(range(0, 20, 3))
    for key in ("grad_norm/hidden", "weight_norm/head", "update_ratio/hidden"):
        assert len(hist.history[key]) == 2
        assert hist.history[key][0] == pytest.approx(np.mean(mon.history[key][:4]))
        assert hist.history[key][1] == pytest.approx(np.mean(mon.history[key][4:]))
    fig = mon.plot(tmp_path / "grads.png")
    assert (tmp_path / "grads.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 3
    # Removed after fit: a later fit without it records nothing.
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert len(model._engine().take_grad_stats()[1]) == 0


def test_vanishing_gradients_warn_once_naming_the_layer():
    model = keras.Sequential(
        [
            keras.layers.Dense(8, activation="relu", input_shape=(5,), name="hidden"),
            keras.layers.Dense(3, name="head"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    k, _ = model.get_layer("hidden").get_weights()
    model.get_layer("hidden").set_weights([k, np.full(8, -100.0, np.float32)])
    x, y = _data(32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[GradientMonitor()])
    msgs = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    vanish = [m for m in msgs if "vanish" in m]
    assert len(vanish) == 1, msgs
    assert "'hidden'" in vanish[0]
    assert not any("'head'" in m for m in msgs)


@pytest.mark.parametrize("build", [_graph_model, _Eager], ids=["graph", "eager"])
def test_exploding_gradients_warn_once(build):
    x, y = _data(16)
    model = _compiled(build, opt=keras.optimizers.SGD(1e-12))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y * 1e6, batch_size=4, epochs=2, verbose=0, callbacks=[GradientMonitor()])
    explode = [str(w.message) for w in caught if "explode" in str(w.message)]
    assert sorted(m.split("'")[1] for m in explode) == ["head", "hidden"], explode


def test_frozen_layers_are_left_out():
    x, y = _data()
    model = _graph_model()
    model.get_layer("hidden").trainable = False
    model.compile(optimizer="sgd", loss="mse")
    mon = GradientMonitor()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[mon])
    assert sorted(mon.history) == ["grad_norm/head", "update_ratio/head", "weight_norm/head"]


@pytest.mark.parametrize(
    "kwargs", [{"every": 0}, {"every": 1.5}, {"every": True}, {"vanish": 0}, {"explode": -1}]
)
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError, match="GradientMonitor"):
        GradientMonitor(**kwargs)


def test_core_refuses_every_zero():
    model = _compiled(_graph_model)
    with pytest.raises(ValueError, match="every"):
        model._engine().set_grad_monitor(0)


def test_an_overridden_train_step_is_refused():
    class Custom(_Eager):
        def train_step(self, data):
            return super().train_step(data)

    x, y = _data()
    model = _compiled(Custom)
    with pytest.raises(NotImplementedError, match="train_step"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[GradientMonitor()])


def test_plot_before_fit_says_so():
    with pytest.raises(ValueError, match="nothing recorded"):
        GradientMonitor().plot()


def test_an_interrupted_fit_removes_the_monitor():
    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    x, y = _data()
    model = _compiled(_graph_model)
    mon = GradientMonitor(every=1)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[mon, Interrupt()])
    assert mon.steps == [0, 1, 2, 3]  # the finished epoch was recorded
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert len(model._engine().take_grad_stats()[1]) == 0
