"""keras.utils.model_to_dot and plot_model as Keras draws a model: one node per layer (Input layers
of a functional model included, a Sequential without its Input, a subclassed model as one node),
one edge per connection, nested models as one node or as a dashed cluster; labels with shapes,
dtypes, activations and trainable when asked; files in the format of their extension; clear
errors when pydot or Graphviz's dot is missing."""

from __future__ import annotations

import shutil
import sys
import types

import numpy as np
import pytest
from rustgrad import keras
from rustgrad.keras import _plot

layers = keras.layers
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def needs_dot():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")


# ---- models ---------------------------------------------------------------------------------
def residual():
    x = keras.Input((8,), name="x")
    d1 = layers.Dense(8, activation="relu", name="d1")(x)
    d2 = layers.Dense(8, name="d2")(d1)
    s = layers.Add(name="add")([d1, d2])
    out = layers.Dense(1, activation="sigmoid", name="out")(s)
    return keras.Model(x, out, name="residual")


def two_in_two_out():
    a = keras.Input((4,), name="a")
    b = keras.Input((6,), name="b")
    da = layers.Dense(5, name="da")(a)
    db = layers.Dense(3, name="db")(b)
    c = layers.concatenate([da, db], name="cat")
    o1 = layers.Dense(1, name="o1")(c)
    o2 = layers.Dense(2, activation="softmax", name="o2")(c)
    return keras.Model([a, b], [o1, o2], name="two_two")


def sequential():
    return keras.Sequential(
        [
            keras.Input((10,)),
            layers.Dense(16, activation="relu", name="s1"),
            layers.Dense(8, activation="tanh", name="s2"),
            layers.Dense(3, name="s3"),
        ],
        name="seq",
    )


def nested():
    inner = keras.Sequential([layers.Dense(4, name="ia"), layers.Dense(3, name="ib")], name="inner")
    j = keras.Input((5,), name="j")
    y = layers.Dense(2, name="head")(inner(j))
    return keras.Model(j, y, name="outer")


def nested_two_inputs():
    p = keras.Input((3,), name="p")
    q = keras.Input((3,), name="q")
    s = layers.Add(name="inner_add")([layers.Dense(3, name="dp")(p), layers.Dense(3, name="dq")(q)])
    inner = keras.Model([p, q], s, name="inner_fn")
    x = keras.Input((2,), name="x")
    y = keras.Input((4,), name="y")
    z = inner([layers.Dense(3, name="dx")(x), layers.Dense(3, name="dy")(y)])
    return keras.Model([x, y], layers.Dense(1, name="head")(z), name="outer_fn")


class Subclassed(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.first = layers.Dense(4, activation="relu")
        self.head = layers.Dense(2)

    def call(self, inputs, training=None):
        return self.head(self.first(inputs))


# ---- reading the graph back -----------------------------------------------------------------
def all_layers(model):
    out = {}
    for layer in [model, *model.layers]:
        out[str(id(layer))] = layer.name
        if hasattr(layer, "_nodes") and layer is not model:
            out.update(all_layers(layer))
        for t in getattr(layer, "_inputs", []) or []:
            out[str(id(t.node.layer))] = t.node.layer.name
    return out


def graph(model, **kw):
    """(names of the drawn nodes, set of (source name, destination name) edges, edge count)."""
    dot = keras.utils.model_to_dot(model, **kw)
    names = all_layers(model)

    def nodes_of(g):
        found = [n.get_name() for n in g.get_nodes() if n.get_name() not in ("node", "edge")]
        for sub in g.get_subgraphs():
            found += nodes_of(sub)
        return found

    node_names = sorted(names[n] for n in nodes_of(dot))
    edges = [(names[e.get_source()], names[e.get_destination()]) for e in dot.get_edges()]
    return node_names, set(edges), len(edges), dot


def test_residual_nodes_and_edges():
    nodes, edges, count, dot = graph(residual())
    assert nodes == ["add", "d1", "d2", "out", "x"]
    assert edges == {("x", "d1"), ("d1", "d2"), ("d1", "add"), ("d2", "add"), ("add", "out")}
    assert count == 5  # one edge per connection
    text = dot.to_string()
    assert "<b>d1</b> (Dense)" in text and "<b>x</b> (InputLayer)" in text
    assert "shape:" not in text and "Activation" not in text and "Trainable" not in text
    assert "rankdir=TB" in text and "dpi=200" in text


def test_two_inputs_two_outputs():
    nodes, edges, count, _ = graph(two_in_two_out())
    assert nodes == ["a", "b", "cat", "da", "db", "o1", "o2"]
    assert edges == {
        ("a", "da"),
        ("b", "db"),
        ("da", "cat"),
        ("db", "cat"),
        ("cat", "o1"),
        ("cat", "o2"),
    }
    assert count == 6


def test_shared_layer_and_repeated_input_are_one_node_and_one_edge():
    x = keras.Input((4,), name="x")
    shared = layers.Dense(4, name="shared")
    y = shared(shared(x))
    twice = layers.Add(name="twice")([y, y])
    nodes, edges, count, _ = graph(keras.Model(x, twice))
    assert nodes == ["shared", "twice", "x"]
    assert edges == {("x", "shared"), ("shared", "shared"), ("shared", "twice")}
    assert count == 3


def test_shapes_dtype_activations_trainable():
    model = two_in_two_out()
    model.get_layer("db").trainable = False
    text = keras.utils.model_to_dot(
        model, show_shapes=True, show_dtype=True, show_layer_activations=True, show_trainable=True
    ).to_string()
    assert "Input shape: <b>[(None, 5), (None, 3)]</b>" in text  # the Concatenate
    assert "Output shape: <b>(None, 8)</b>" in text
    assert "Input shape: <b>(None, 4)</b>" in text and "Output shape: <b>(None, 4)</b>" in text
    assert text.count("Input shape:") == 5  # not for the two InputLayers
    assert text.count("Output shape:") == 7
    assert text.count("Output dtype: <b>float32</b>") == 7
    assert "Activation: <b>softmax</b>" in text and "Activation: <b>linear</b>" in text
    assert text.count("Activation:") == 4  # the Dense layers only
    assert text.count("<b>Non-trainable</b>") == 1  # db
    assert text.count("<b>Trainable</b>") == 3  # da, o1, o2 (layers with weights)


def test_layer_names_rankdir_dpi():
    text = keras.utils.model_to_dot(
        residual(), show_layer_names=False, rankdir="LR", dpi=96
    ).to_string()
    assert "<b>Dense</b>" in text and "d1" not in text
    assert "rankdir=LR" in text and "dpi=96" in text
    with pytest.raises(ValueError, match="rankdir"):
        keras.utils.model_to_dot(residual(), rankdir="sideways")
    with pytest.raises(ValueError, match="dpi"):
        keras.utils.model_to_dot(residual(), dpi=0)


def test_sequential_is_a_chain_without_its_input():
    model = sequential()
    nodes, edges, count, dot = graph(model, show_shapes=True)
    assert nodes == ["s1", "s2", "s3"]
    assert edges == {("s1", "s2"), ("s2", "s3")}
    assert count == 2
    text = dot.to_string()
    assert "Input shape: <b>(None, 10)</b>" in text and "Output shape: <b>(None, 3)</b>" in text
    with pytest.raises(ValueError, match="not yet been built"):
        keras.utils.model_to_dot(keras.Sequential([layers.Dense(2)]))


def test_nested_model_one_node_or_expanded_cluster():
    model = nested()
    nodes, edges, count, dot = graph(model)
    assert nodes == ["head", "inner", "j"]
    assert edges == {("j", "inner"), ("inner", "head")}
    assert "(Sequential)" in dot.to_string() and "cluster" not in dot.to_string()

    nodes, edges, count, dot = graph(model, expand_nested=True)
    assert nodes == ["head", "ia", "ib", "j"]  # the inner model's node is its cluster
    assert edges == {("j", "ia"), ("ia", "ib"), ("ib", "head")}
    assert count == 3
    (cluster,) = dot.get_subgraphs()
    assert cluster.get_name() == "cluster_inner"
    assert sorted(n.get_name() for n in cluster.get_nodes()) == sorted(
        str(id(model.get_layer("inner").get_layer(n))) for n in ("ia", "ib")
    )


def test_nested_functional_with_two_inputs_expanded():
    model = nested_two_inputs()
    nodes, edges, _, _ = graph(model)
    assert edges == {("x", "dx"), ("y", "dy"), ("dx", "inner_fn"), ("dy", "inner_fn")} | {
        ("inner_fn", "head")
    }
    nodes, edges, count, _ = graph(model, expand_nested=True)
    assert nodes == ["dp", "dq", "dx", "dy", "head", "inner_add", "p", "q", "x", "y"]
    assert edges == {
        ("x", "dx"),
        ("y", "dy"),
        ("dx", "p"),  # each outer tensor goes to the inner input it feeds
        ("dy", "q"),
        ("p", "dp"),
        ("q", "dq"),
        ("dp", "inner_add"),
        ("dq", "inner_add"),
        ("inner_add", "head"),
    }
    assert count == 9


def test_subclassed_model_is_one_node():
    model = Subclassed(name="sub")
    with pytest.raises(ValueError, match="not yet been built"):
        keras.utils.model_to_dot(model)
    model(np.zeros((2, 3), np.float32))
    dot = keras.utils.model_to_dot(model, show_shapes=True)
    assert [n.get_name() for n in dot.get_nodes() if n.get_name() != "node"] == [str(id(model))]
    assert dot.get_edges() == []
    text = dot.to_string()
    assert "<b>sub</b> (Subclassed)" in text
    assert "Output shape: <b>?</b>" in text  # an eager call leaves no graph to read, as in Keras
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((4, 3), np.float32), np.zeros((4, 2), np.float32), epochs=1, verbose=0)
    text = keras.utils.model_to_dot(model, show_shapes=True).to_string()
    assert "Input shape: <b>(None, 3)</b>" in text and "Output shape: <b>(None, 2)</b>" in text


def test_subgraph_returns_a_cluster():
    import pydot

    cluster = keras.utils.model_to_dot(residual(), subgraph=True)
    assert isinstance(cluster, pydot.Cluster) and cluster.get_name() == "cluster_residual"
    assert isinstance(keras.utils.model_to_dot(residual()), pydot.Dot)


# ---- files ----------------------------------------------------------------------------------
def test_png_svg_pdf_dot_files(tmp_path, needs_dot):
    model = residual()
    png = tmp_path / "model.png"
    assert keras.utils.plot_model(model, to_file=png, show_shapes=True) is None  # no IPython
    data = png.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    svg = tmp_path / "model.svg"
    keras.utils.plot_model(model, to_file=str(svg), expand_nested=True)
    text = svg.read_text()
    assert "<svg" in text and "d1" in text and "InputLayer" in text
    pdf = tmp_path / "model.pdf"
    keras.utils.plot_model(nested(), to_file=pdf, expand_nested=True)
    assert pdf.read_bytes().startswith(b"%PDF")
    dot = tmp_path / "model.dot"
    keras.utils.plot_model(sequential(), to_file=dot, rankdir="LR")
    assert dot.read_text().lstrip().startswith("digraph") and "rankdir=LR" in dot.read_text()
    bare = tmp_path / "model"
    keras.utils.plot_model(two_in_two_out(), to_file=bare)  # no extension: PNG, as in Keras
    assert bare.read_bytes().startswith(PNG_MAGIC)


def test_dpi_changes_the_png_size(tmp_path, needs_dot):
    def width(dpi):
        path = tmp_path / f"m{dpi}.png"
        keras.utils.plot_model(sequential(), to_file=path, dpi=dpi)
        return int.from_bytes(path.read_bytes()[16:20], "big")

    assert width(200) > width(50) * 3


def test_unknown_format_is_a_clear_error(tmp_path, needs_dot):
    with pytest.raises(ValueError, match="'xyz'"):
        keras.utils.plot_model(residual(), to_file=tmp_path / "model.xyz")
    assert not (tmp_path / "model.xyz").exists()


def test_returns_an_ipython_image_in_notebooks(tmp_path, needs_dot, monkeypatch):
    display = types.SimpleNamespace(
        Image=lambda filename: ("image", filename), SVG=lambda filename: ("svg", filename)
    )
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(display=display))
    png, svg = str(tmp_path / "m.png"), str(tmp_path / "m.svg")
    assert keras.utils.plot_model(residual(), to_file=png) == ("image", png)
    assert keras.utils.plot_model(residual(), to_file=svg) == ("svg", svg)


# ---- errors ---------------------------------------------------------------------------------
def test_missing_pydot(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pydot", None)  # makes `import pydot` fail
    for fn in (keras.utils.plot_model, keras.utils.model_to_dot):
        kw = {"to_file": tmp_path / "m.png"} if fn is keras.utils.plot_model else {}
        with pytest.raises(ImportError, match=r"install pydot: pip install pydot"):
            fn(residual(), **kw)
    assert not (tmp_path / "m.png").exists()


def test_missing_dot(monkeypatch, tmp_path):
    real_which = shutil.which
    monkeypatch.setattr(
        _plot.shutil, "which", lambda cmd, *a, **k: None if cmd == "dot" else real_which(cmd)
    )
    with pytest.raises(ImportError, match=r"install Graphviz, e\.g\. apt-get install graphviz"):
        keras.utils.plot_model(residual(), to_file=tmp_path / "m.png")
    assert not (tmp_path / "m.png").exists()
    keras.utils.model_to_dot(residual())  # needs pydot only, as in Keras


def test_missing_dot_on_an_empty_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ImportError, match="Graphviz"):
        keras.utils.plot_model(residual(), to_file=tmp_path / "m.svg")


def test_unknown_arguments_raise_type_error(tmp_path):
    with pytest.raises(TypeError, match="show_everything"):
        keras.utils.plot_model(residual(), to_file=tmp_path / "m.png", show_everything=True)
    with pytest.raises(TypeError, match="layer_range"):
        keras.utils.model_to_dot(residual(), layer_range=["d1", "out"])
    with pytest.raises(TypeError, match="keras Model"):
        keras.utils.model_to_dot("not a model")


def test_ortho_router_crash_falls_back_to_curved_edges(tmp_path, needs_dot, monkeypatch):
    real_run = _plot.subprocess.run
    sources = []

    def run(cmd, input, **kw):
        sources.append(input)
        if b"splines=ortho" in input:  # as Graphviz 2.43's maze.c assertion does on some graphs
            return _plot.subprocess.CompletedProcess(cmd, -6, b"", b"Assertion failed")
        return real_run(cmd, input=input, **kw)

    monkeypatch.setattr(_plot.subprocess, "run", run)
    path = tmp_path / "m.png"
    keras.utils.plot_model(residual(), to_file=path)
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert len(sources) == 2 and b"splines=spline" in sources[1]


def test_dot_failure_is_reported_with_its_message(tmp_path, needs_dot, monkeypatch):
    def run(cmd, input, **kw):
        return _plot.subprocess.CompletedProcess(cmd, 1, b"", b"Error: syntax error in line 3")

    monkeypatch.setattr(_plot.subprocess, "run", run)
    with pytest.raises(RuntimeError, match="syntax error in line 3"):
        keras.utils.plot_model(residual(), to_file=tmp_path / "m.png")
    assert not (tmp_path / "m.png").exists()
