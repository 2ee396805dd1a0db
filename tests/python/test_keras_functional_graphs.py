"""Functional graphs run by the core: a residual model, a two-input two-output model and a
shared-layer model give the outputs and weight gradients of a NumPy forward/backward written by
hand; feature extraction returns every layer's activation; summary shows "Connected to"."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as rg
from rustgrad import keras

layers = keras.layers
rng = np.random.default_rng(1)
TOL = {"rtol": 1e-4, "atol": 1e-5}


def f32(*shape):
    return rng.normal(size=shape).astype(np.float32)


def set_all(model, *names):
    """Fresh random weights for the named Dense layers; returns {name: (kernel, bias)}."""
    out = {}
    for name in names:
        layer = model.get_layer(name)
        w = [f32(*v.shape) for v in layer.get_weights()]
        layer.set_weights(w)
        out[name] = w
    return out


def grads_of(model, xs, gs):
    """Weight gradients of sum(output_k * g_k) through the model's Tensor forward."""
    xs = [rg.tensor(x) for x in xs]
    outs = model(xs if len(xs) > 1 else xs[0])
    outs = outs if isinstance(outs, list) else [outs]
    total = None
    for o, g in zip(outs, gs):
        term = (o * rg.tensor(g)).sum()
        total = term if total is None else total + term
    total.backward()
    return [o.numpy() for o in outs]


def grad(layer):
    return [w.grad.numpy() for w in layer.trainable_weights]


def test_residual_model_matches_numpy_forward_and_backward():
    inputs = keras.Input((4,))
    h = layers.Dense(4, activation="relu", name="res_h")(inputs)
    s = layers.Add(name="res_add")([inputs, h])
    out = layers.Dense(2, name="res_out")(s)
    model = keras.Model(inputs, out)
    w = set_all(model, "res_h", "res_out")
    x, g = f32(6, 4), f32(6, 2)
    (w1, b1), (w2, b2) = w["res_h"], w["res_out"]
    z1 = x @ w1 + b1
    sv = x + np.maximum(z1, 0)
    want = sv @ w2 + b2
    np.testing.assert_allclose(model.predict(x), want, **TOL)
    (got,) = grads_of(model, [x], [g])
    np.testing.assert_allclose(got, want, **TOL)
    ds = g @ w2.T
    dz1 = ds * (z1 > 0)
    for got_g, want_g in zip(
        grad(model.get_layer("res_out")) + grad(model.get_layer("res_h")),
        [sv.T @ g, g.sum(0), x.T @ dz1, dz1.sum(0)],
    ):
        np.testing.assert_allclose(got_g, want_g, **TOL)


def two_in_two_out():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    ha = layers.Dense(4, activation="tanh", name="ha")(a)
    c = layers.concatenate([ha, b], name="cat")
    o1 = layers.Dense(1, name="o1")(c)
    o2 = layers.Dense(2, name="o2")(ha)
    return keras.Model(inputs=[a, b], outputs=[o1, o2])


def test_two_input_two_output_model_matches_numpy_forward_and_backward():
    model = two_in_two_out()
    assert model.input_names == ["a", "b"] and model.output_names == ["o1", "o2"]
    w = set_all(model, "ha", "o1", "o2")
    xa, xb, g1, g2 = f32(5, 3), f32(5, 2), f32(5, 1), f32(5, 2)
    (wa, ba), (w1, b1), (w2, b2) = w["ha"], w["o1"], w["o2"]
    ha = np.tanh(xa @ wa + ba)
    c = np.concatenate([ha, xb], axis=1)
    want1, want2 = c @ w1 + b1, ha @ w2 + b2
    p1, p2 = model.predict([xa, xb])
    np.testing.assert_allclose(p1, want1, **TOL)
    np.testing.assert_allclose(p2, want2, **TOL)
    by_name = model.predict({"b": xb, "a": xa})
    np.testing.assert_allclose(by_name[1], want2, **TOL)
    got1, got2 = grads_of(model, [xa, xb], [g1, g2])
    np.testing.assert_allclose(got1, want1, **TOL)
    np.testing.assert_allclose(got2, want2, **TOL)
    dha = (g1 @ w1.T)[:, :4] + g2 @ w2.T
    dza = dha * (1 - ha**2)
    want_grads = [c.T @ g1, g1.sum(0), ha.T @ g2, g2.sum(0), xa.T @ dza, dza.sum(0)]
    got_grads = [*grad(model.get_layer("o1")), *grad(model.get_layer("o2"))]
    got_grads += grad(model.get_layer("ha"))
    for got_g, want_g in zip(got_grads, want_grads):
        np.testing.assert_allclose(got_g, want_g, **TOL)


def test_shared_layer_is_one_set_of_weights_with_summed_gradients():
    shared = layers.Dense(3, activation="relu", name="shared")
    a, b = keras.Input((4,), name="sa"), keras.Input((4,), name="sb")
    diff = layers.subtract([shared(a), shared(b)])
    out = layers.Dense(1, name="head")(diff)
    model = keras.Model([a, b], out)
    assert [la.name for la in model.layers].count("shared") == 1
    assert len(model.weights) == 4 and model.count_params() == 4 * 3 + 3 + 3 + 1
    w = set_all(model, "shared", "head")
    (ws, bs), (wh, bh) = w["shared"], w["head"]
    xa, xb, g = f32(7, 4), f32(7, 4), f32(7, 1)
    za, zb = xa @ ws + bs, xb @ ws + bs
    d = np.maximum(za, 0) - np.maximum(zb, 0)
    want = d @ wh + bh
    np.testing.assert_allclose(model.predict([xa, xb]), want, **TOL)
    grads_of(model, [xa, xb], [g])
    dd = g @ wh.T
    dza, dzb = dd * (za > 0), -dd * (zb > 0)
    want_grads = [d.T @ g, g.sum(0), xa.T @ dza + xb.T @ dzb, (dza + dzb).sum(0)]
    got_grads = grad(model.get_layer("head")) + grad(shared)
    for got_g, want_g in zip(got_grads, want_grads):
        np.testing.assert_allclose(got_g, want_g, **TOL)


@pytest.mark.parametrize("kind", ["add", "subtract", "multiply", "average", "maximum", "minimum"])
def test_each_merge_layer_computes_its_formula(kind):
    a, b = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([a, b], getattr(layers, kind)([a, b]))
    xa, xb = f32(4, 3), f32(4, 3)
    want = {
        "add": xa + xb,
        "subtract": xa - xb,
        "multiply": xa * xb,
        "average": (xa + xb) / 2,
        "maximum": np.maximum(xa, xb),
        "minimum": np.minimum(xa, xb),
    }[kind]
    np.testing.assert_allclose(model.predict([xa, xb]), want, **TOL)


def test_concatenate_on_a_middle_axis():
    a, b = keras.Input((2, 3)), keras.Input((1, 3))
    model = keras.Model([a, b], layers.Concatenate(axis=1)([a, b]))
    xa, xb = f32(4, 2, 3), f32(4, 1, 3)
    np.testing.assert_allclose(model.predict([xa, xb]), np.concatenate([xa, xb], 1), **TOL)


def test_feature_extraction_returns_every_layer_activation():
    inputs = keras.Input((5,), name="fx_in")
    h1 = layers.Dense(4, activation="relu", name="fx_1")(inputs)
    h2 = layers.Dense(3, activation="sigmoid", name="fx_2")(h1)
    base = keras.Model(inputs, layers.Dense(2, name="fx_3")(h2))
    extractor = keras.Model(inputs=base.inputs, outputs=[la.output for la in base.layers])
    x = f32(6, 5)
    feats = extractor.predict(x)
    assert [f.shape for f in feats] == [(6, 5), (6, 4), (6, 3), (6, 2)]
    w = base.get_weights()
    a1 = np.maximum(x @ w[0] + w[1], 0)
    a2 = 1 / (1 + np.exp(-(a1 @ w[2] + w[3])))
    for got, want in zip(feats, [x, a1, a2, a2 @ w[4] + w[5]]):
        np.testing.assert_allclose(got, want, **TOL)
    seq = keras.Sequential([keras.Input((5,)), layers.Dense(3), layers.Dense(1)])
    seq_feats = keras.Model(seq.inputs, [la.output for la in seq.layers]).predict(x)
    np.testing.assert_allclose(seq_feats[1], seq.predict(x), **TOL)


def test_nested_functional_with_two_inputs_is_inlined():
    inner = two_in_two_out()
    a, b = keras.Input((3,)), keras.Input((2,))
    o1, o2 = inner([a, b])
    outer = keras.Model([a, b], layers.add([o1, layers.Dense(1, name="squash")(o2)]))
    xa, xb = f32(4, 3), f32(4, 2)
    p1, p2 = inner.predict([xa, xb])
    w = outer.get_layer("squash").get_weights()
    np.testing.assert_allclose(outer.predict([xa, xb]), p1 + p2 @ w[0] + w[1], **TOL)


def test_summary_of_a_graph_has_connected_to():
    model = two_in_two_out()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text and "a (InputLayer)" in text
    assert "['ha[0][0]'," in text and "'b[0][0]']" in text
    assert "Total params: 33" in text  # 3*4+4 + 6*1+1 + 4*2+2
    assert max(len(line) for line in lines) == 98


def test_summary_options_of_keras_3():
    base = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="d1"), keras.layers.Dense(2, name="d2")],
        name="base",
    )
    base.trainable = False
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Dense(1, name="head")(base(inp)))
    lines: list = []
    model.summary(print_fn=lines.append, show_trainable=True, expand_nested=True)
    rows = {ln.split()[0]: ln for ln in lines[4:] if "(" in ln and not ln.startswith(" |")}
    assert "Trainable" in lines[2]
    assert rows["base"].split()[-1] == "N" and rows["head"].split()[-1] == "Y"
    assert next(ln for ln in lines if "(InputLayer)" in ln).split()[-1] == "-"
    assert any(ln.startswith(" | d1 (Dense)") for ln in lines)
    lines.clear()
    base.summary(print_fn=lines.append, layer_range=("d2", "d2"), positions=[0.5, 0.8, 1.0])
    assert [ln for ln in lines if "(Dense)" in ln] == [ln for ln in lines if "d2 (Dense)" in ln]
    assert lines[2].index("Output Shape") == 65 // 2  # the first column ends at half the width
    with pytest.raises(ValueError, match="layer_range"):
        base.summary(layer_range=("d2", "nope"))
    with pytest.raises(ValueError, match="reverse"):
        base.summary(layer_range=("d2", "d1"))
    with pytest.raises(ValueError, match="positions"):
        base.summary(positions=[0.5, 1.0])
