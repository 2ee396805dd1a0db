"""rustgrad.viz.draw_graph: the autograd graph behind a Tensor, drawn by Graphviz: one box per
recorded op (its name and output shape), one ellipse per leaf (blue when it requires grad,
grey for a constant), an edge from each input to the op that read it, and, after backward, each
gradient's norm (and its values when there are few).

The graph is walked through `Tensor.graph_inputs()` (PyTorch's `grad_fn.next_functions`). A
backward frees the graph unless it was called with retain_graph=True, so draw the graph before
backward, or after `backward(retain_graph=True)` to see the gradients on it.
"""

from __future__ import annotations

import html
import os
from typing import Any

import numpy as np

__all__ = ["draw_graph", "graph_to_dot"]

_FORMATS = ("svg", "png")
_CALLER = "rustgrad.viz.draw_graph"
_COLORS = {"op": "#f5f5f5", "param": "#cfe2ff", "const": "#e9ecef", "root": "#d1e7dd"}


def _walk(root: Any, max_nodes: int) -> tuple[list, list]:
    """(tensors in the order reached, (input id, output id) edges), iteratively: a deep graph
    must not hit Python's recursion limit."""
    nodes, edges, seen, stack = [], [], {root.node_id}, [root]
    while stack:
        t = stack.pop()
        nodes.append(t)
        if len(nodes) > max_nodes:
            raise ValueError(
                f"{_CALLER}: the graph has more than max_nodes={max_nodes} tensors; raise "
                "max_nodes to draw it anyway (Graphviz gets slow past a few thousand)"
            )
        for inp in t.graph_inputs():
            edges.append((inp.node_id, t.node_id))
            if inp.node_id not in seen:
                seen.add(inp.node_id)
                stack.append(inp)
    return nodes, edges


def _fmt(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{float(v):.4g}" for v in values.ravel()) + "]"


def _label(t: Any, show_values: int) -> str:
    shape = "×".join(map(str, t.shape)) or "scalar"
    op = t.grad_fn
    rows = [f"<b>{html.escape(op)}</b>" if op else ("leaf" if t.requires_grad else "constant")]
    rows.append(f"shape {shape}")
    if op is None and int(np.prod(t.shape)) <= show_values:
        rows.append(f"value {html.escape(_fmt(t.numpy()))}")
    g = t.grad
    if g is not None:
        grad = g.numpy()
        rows.append(f"‖grad‖ {float(np.linalg.norm(grad.astype(np.float64))):.4g}")
        if grad.size <= show_values:
            rows.append(f"grad {html.escape(_fmt(grad))}")
    return "<" + "<br/>".join(rows) + ">"


def graph_to_dot(tensor: Any, show_values: int = 6, rankdir: str = "BT", max_nodes: int = 2000):
    """The autograd graph behind `tensor` as a pydot graph (what draw_graph lays out).

    Args:
        tensor: a rustgrad Tensor (the result of ops on tensors that require grad).
        show_values: leaves and gradients of at most this many elements show their values.
        rankdir: Graphviz's direction: "BT" puts the inputs at the bottom, the output on top.
        max_nodes: refuse graphs with more tensors than this.

    Returns:
        A pydot.Dot.

    Raises:
        TypeError: `tensor` is not a rustgrad Tensor.
        RuntimeError: backward already freed the graph (use retain_graph=True).
        ValueError: a bad rankdir, or more than max_nodes tensors.
        ModuleNotFoundError: pydot is not installed.
    """
    from rustgrad import _core
    from rustgrad.keras._plot import _RANKDIRS, _pydot

    if not isinstance(tensor, _core.Tensor):
        raise TypeError(
            f"{_CALLER} draws the graph behind a rustgrad Tensor, got {type(tensor).__name__}; "
            "with a GradientTape, draw the loss computed inside the tape"
        )
    if rankdir not in _RANKDIRS:
        raise ValueError(f"{_CALLER}: rankdir must be one of {list(_RANKDIRS)}, got {rankdir!r}")
    pydot = _pydot("draw_graph")
    nodes, edges = _walk(tensor, int(max_nodes))
    dot = pydot.Dot(graph_type="digraph", rankdir=rankdir)
    dot.set_node_defaults(fontname="Helvetica", fontsize="10", style="filled")
    for t in nodes:
        kind = "op" if t.grad_fn else ("param" if t.requires_grad else "const")
        kind = "root" if t.node_id == tensor.node_id else kind
        node = pydot.Node(
            str(t.node_id),
            label=_label(t, int(show_values)),
            shape="box" if t.grad_fn else "ellipse",
            fillcolor=_COLORS[kind],
        )
        dot.add_node(node)
    for src, dst in edges:
        dot.add_edge(pydot.Edge(str(src), str(dst)))
    return dot


def draw_graph(
    tensor: Any, path: Any, show_values: int = 6, rankdir: str = "BT", max_nodes: int = 2000
) -> str:
    """Draw the autograd graph behind `tensor` into `path` (SVG or PNG by its suffix).

    Args:
        tensor: a rustgrad Tensor; gradients show once backward(retain_graph=True) ran.
        path: the file to write, ending in .svg or .png.
        show_values: leaves and gradients of at most this many elements show their values.
        rankdir: Graphviz's direction ("BT": inputs at the bottom).
        max_nodes: refuse graphs with more tensors than this.

    Returns:
        The path written, as a string.

    Raises:
        ValueError: a suffix other than .svg or .png (or as graph_to_dot).
        ImportError: Graphviz's `dot` is not on the PATH.
        RuntimeError: backward already freed the graph, or dot failed.
    """
    from rustgrad.keras._plot import _dot_executable, _run_dot

    path = os.fspath(path)
    fmt = os.path.splitext(path)[1][1:].lower()
    if fmt not in _FORMATS:
        raise ValueError(f"{_CALLER} writes .svg or .png files, got {path!r}")
    _dot_executable(_CALLER)  # before any work, so a missing dot is the first thing said
    dot = graph_to_dot(tensor, show_values=show_values, rankdir=rankdir, max_nodes=max_nodes)
    _run_dot(dot, fmt, path, _CALLER)
    return path
