"""rustgrad.viz.draw_graph: the nodes and edges of the autograd graph (ops, shapes, leaves that
require grad, gradients after backward), SVG and PNG output, and clear errors (no dot on the
PATH, a freed graph, a bad suffix, not a Tensor)."""

import shutil

import numpy as np
import pytest
import rustgrad as rg
from rustgrad import viz

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot not installed")


def _small():
    w = rg.tensor(np.array([1.0, -2.0, 3.0], np.float32), requires_grad=True)
    x = rg.tensor(np.array([0.5, 0.25, 2.0], np.float32))
    return w, x, (w * x).sum()


def _nodes(dot):
    return {n.get_name(): n.get("label") for n in dot.get_nodes() if n.get_name() != "node"}


def test_graph_inputs_walk_the_recorded_ops():
    w, x, loss = _small()
    (prod,) = loss.graph_inputs()
    assert loss.grad_fn == "sum" and prod.grad_fn == "mul"
    ids = {t.node_id for t in prod.graph_inputs()}
    assert ids == {w.node_id, x.node_id}
    assert w.graph_inputs() == [] and w.node_id == w.node_id


def test_nodes_name_ops_shapes_and_leaves():
    w, x, loss = _small()
    dot = viz.graph_to_dot(loss)
    labels = _nodes(dot)
    assert len(labels) == 4 and len(dot.get_edges()) == 3
    assert "<b>sum</b>" in labels[str(loss.node_id)] and "scalar" in labels[str(loss.node_id)]
    assert "leaf" in labels[str(w.node_id)] and "shape 3" in labels[str(w.node_id)]
    assert "constant" in labels[str(x.node_id)]
    assert "grad" not in labels[str(w.node_id)]  # no backward yet


def test_gradients_show_after_backward_with_retain_graph():
    w, x, loss = _small()
    loss.backward(retain_graph=True)
    label = _nodes(viz.graph_to_dot(loss))[str(w.node_id)]
    norm = float(np.linalg.norm(x.numpy()))
    assert f"‖grad‖ {norm:.4g}" in label
    assert "grad [0.5, 0.25, 2]" in label  # d(sum(w*x))/dw = x


def test_a_reused_tensor_is_one_node_with_two_edges():
    a = rg.tensor(np.array([1.0], np.float32), requires_grad=True)
    c = (a + a) * a
    dot = viz.graph_to_dot(c)
    assert len(_nodes(dot)) == 3  # a, add, mul
    edges = [(e.get_source(), e.get_destination()) for e in dot.get_edges()]
    assert edges.count((str(a.node_id), str(c.graph_inputs()[0].node_id))) == 2


def test_a_freed_graph_says_retain_graph():
    _, _, loss = _small()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        viz.graph_to_dot(loss)


def test_a_deep_graph_needs_no_recursion_and_max_nodes_is_enforced():
    t = rg.tensor(np.ones(2, np.float32), requires_grad=True)
    for _ in range(3000):
        t = t * 1.0
    assert len(_nodes(viz.graph_to_dot(t, max_nodes=10_000))) > 3000
    with pytest.raises(ValueError, match="max_nodes"):
        viz.graph_to_dot(t, max_nodes=100)


def test_a_tape_loss_draws():
    v = rg.Variable(np.array([2.0, 1.0], np.float32))
    with rg.GradientTape():
        loss = (v * v).sum()
    assert "<b>mul</b>" in " ".join(_nodes(viz.graph_to_dot(loss)).values())


@needs_dot
def test_svg_and_png_by_suffix(tmp_path):
    _, _, loss = _small()
    svg = viz.draw_graph(loss, tmp_path / "g.svg")
    with open(svg) as f:
        text = f.read()
    assert "<svg" in text and "mul" in text and "sum" in text
    viz.draw_graph(loss, tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_missing_dot_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a folder without Graphviz in it
    _, _, loss = _small()
    with pytest.raises(ImportError, match="Graphviz"):
        viz.draw_graph(loss, tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()


def test_bad_inputs_are_refused(tmp_path):
    _, _, loss = _small()
    with pytest.raises(ValueError, match=r"\.svg or \.png"):
        viz.draw_graph(loss, tmp_path / "g.pdf")
    with pytest.raises(TypeError, match="rustgrad Tensor"):
        viz.graph_to_dot(np.ones(3))
    with pytest.raises(ValueError, match="rankdir"):
        viz.graph_to_dot(loss, rankdir="XX")
