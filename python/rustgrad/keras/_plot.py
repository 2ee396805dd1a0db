"""keras.utils.model_to_dot and plot_model: a model's graph as Keras draws it (one node per layer,
an HTML-like table label, one edge per connection), built with pydot and laid out by Graphviz's
`dot` (Debian package `graphviz`)."""

from __future__ import annotations

import html
import os
import shutil
import subprocess
from typing import Any

__all__ = ["model_to_dot", "plot_model"]

_RANKDIRS = ("TB", "LR", "BT", "RL")
_PYDOT_HELP = "install pydot: pip install pydot"
_DOT_HELP = "install Graphviz, e.g. apt-get install graphviz (brew install graphviz on macOS)"


def _pydot(caller: str) -> Any:
    try:
        import pydot
    except ImportError as exc:
        raise ModuleNotFoundError(
            f"keras.utils.{caller} needs the Python package pydot, which is not installed: "
            f"{_PYDOT_HELP}",
            name="pydot",
        ) from exc
    return pydot


def _dot_executable(caller: str = "keras.utils.plot_model") -> str:
    path = shutil.which("dot")
    if path is None:
        raise ImportError(
            f"{caller} needs Graphviz's `dot` program, which was not found on the PATH: {_DOT_HELP}"
        )
    return path


def _check_options(model: Any, rankdir: Any, dpi: Any) -> None:
    from rustgrad.keras.layers.base import Layer

    if not isinstance(model, Layer):
        raise TypeError(f"expected a keras Model, got {model!r} of type {type(model).__name__}")
    if not model.built:
        raise ValueError(
            f"model '{model.name}' has not yet been built. Build the model first by calling "
            "`build()` or by calling the model on a batch of data."
        )
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {list(_RANKDIRS)}, got {rankdir!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise ValueError(f"dpi must be a positive number, got {dpi!r}")


# ---- labels ---------------------------------------------------------------------------------
def _is_graph(layer: Any) -> bool:
    """A functional model or Sequential (drawable as its own graph), not a subclassed model."""
    from rustgrad.keras.models.functional import Functional

    return isinstance(layer, Functional) and not layer._is_custom()


def _is_sequential(model: Any) -> bool:
    from rustgrad.keras.models.sequential import Sequential

    return isinstance(model, Sequential)


def _one_or_list(values: list) -> str:
    if not values:
        return "?"
    return str(values[0]) if len(values) == 1 else "[" + ", ".join(map(str, values)) + "]"


def _io(layer: Any, node: Any) -> tuple[str, str, str]:
    """(input shapes, output shapes, output dtypes) of one call of `layer` (Keras' format)."""
    if node is not None:
        ins, outs = node.input_tensors, node.output_tensors
        return (
            _one_or_list([tuple(t.shape) for t in ins]),
            _one_or_list([tuple(t.shape) for t in outs]),
            _one_or_list([t.dtype for t in outs]),
        )
    try:  # a subclassed model drawn as one node: the shapes it was built for, if any
        shapes_in = [tuple(s) for s in layer._input_shapes()]
        shapes_out = [tuple(s) for s in layer._output_shapes()]
    except (AttributeError, ValueError):  # not built from data yet: Keras shows "?"
        return "?", "?", "?"
    return _one_or_list(shapes_in), _one_or_list(shapes_out), _one_or_list(["float32"])


def _activation_name(layer: Any) -> str | None:
    act = getattr(layer, "activation", None)
    if act is None:
        return None
    if isinstance(act, str):
        return act
    return getattr(act, "name", None) or getattr(act, "__name__", None) or str(act)


def _has_weights(layer: Any) -> bool:
    try:
        return bool(layer.weights)
    except (AttributeError, ValueError, RuntimeError):
        return False


def _label(layer: Any, node: Any, opts: dict) -> str:
    """Keras' HTML-like table: name (class); activation; input/output shape, dtype, trainable."""
    cls = html.escape(type(layer).__name__)
    head = (
        f"<b>{html.escape(layer.name)}</b> ({cls})" if opts["show_layer_names"] else f"<b>{cls}</b>"
    )
    cells = []
    if opts["show_shapes"] or opts["show_dtype"]:
        shape_in, shape_out, dtype = _io(layer, node)
    if opts["show_shapes"]:
        if not getattr(layer, "is_input_layer", False):
            cells.append(("white", "black", f"Input shape: <b>{html.escape(shape_in)}</b>"))
        cells.append(("white", "black", f"Output shape: <b>{html.escape(shape_out)}</b>"))
    if opts["show_dtype"]:
        cells.append(("white", "black", f"Output dtype: <b>{html.escape(dtype)}</b>"))
    if opts["show_trainable"] and _has_weights(layer):
        if layer.trainable:
            cells.append(("forestgreen", "white", "<b>Trainable</b>"))
        else:
            cells.append(("firebrick", "white", "<b>Non-trainable</b>"))
    span = max(1, len(cells))
    title = (
        f'<tr><td colspan="{span}" bgcolor="black">'
        f'<font point-size="16" color="white">{head}</font></td></tr>'
    )
    rows = [title]
    act = _activation_name(layer) if opts["show_layer_activations"] else None
    if act is not None:
        rows.append(
            f'<tr><td colspan="{span}" bgcolor="white"><font point-size="14">'
            f"Activation: <b>{html.escape(act)}</b></font></td></tr>"
        )
    if cells:
        rows.append(
            "<tr>"
            + "".join(
                f'<td bgcolor="{bg}"><font point-size="14" color="{fg}">{text}</font></td>'
                for bg, fg, text in cells
            )
            + "</tr>"
        )
    table = '<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    return "<" + table + "".join(rows) + "</table>>"


# ---- the graph ------------------------------------------------------------------------------
class _Drawer:
    """Adds a model's layers as nodes (nested models as clusters when expanded) and one edge
    per connection; edges all go in the top graph, so no node is pulled into a cluster."""

    def __init__(self, pydot: Any, top: Any, opts: dict, expand_nested: bool):
        self.pydot, self.top, self.opts, self.expand = pydot, top, opts, expand_nested
        self.nodes: set[str] = set()
        self.edges: set[tuple[str, str]] = set()

    def node(self, graph: Any, layer: Any, node: Any) -> str:
        key = str(id(layer))
        if key not in self.nodes:  # a shared layer is one node, as in Keras
            self.nodes.add(key)
            dot_node = self.pydot.Node(key, label=_label(layer, node, self.opts))
            dot_node.set("fontname", "Helvetica")
            dot_node.set("border", "0")
            dot_node.set("margin", "0")
            graph.add_node(dot_node)
        return key

    def edges_to(self, sources: list[str], dst: str) -> None:
        for src in sources:
            if (src, dst) not in self.edges:
                self.edges.add((src, dst))
                edge = self.pydot.Edge(src, dst)
                edge.set("penwidth", "2")
                self.top.add_edge(edge)

    def draw(self, model: Any, graph: Any, feeds: list[list[str]] | None) -> list[list[str]]:
        """Draw `model` into `graph`; `feeds[k]` are the nodes feeding its input k (outer graph).
        Returns, per output, the nodes that produce it."""
        made: dict[int, list[str]] = {}
        sequential = _is_sequential(model)
        for k, t in enumerate(model._inputs):
            outer = feeds[k] if feeds is not None else []
            if sequential:  # Keras draws a Sequential without its InputLayer
                made[id(t)] = outer
            else:
                key = self.node(graph, t.node.layer, t.node)
                self.edges_to(outer, key)
                made[id(t)] = [key]
        for node in model._nodes:
            layer = node.layer
            ins = [made.get(id(t), []) for t in node.input_tensors]
            if self.expand and _is_graph(layer):
                sub = self.pydot.Cluster(graph_name=layer.name, style="dashed")
                sub.set("label", layer.name)
                sub.set("labeljust", "l")
                graph.add_subgraph(sub)
                outs = self.draw(layer, sub, ins)
            else:
                key = self.node(graph, layer, node)
                for sources in ins:
                    self.edges_to(sources, key)
                outs = [[key]] * len(node.output_tensors)
            for t, sources in zip(node.output_tensors, outs):
                made[id(t)] = sources
        return [made.get(id(t), []) for t in model._outputs]


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: float = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
) -> Any:
    """The model's graph as a `pydot.Dot` (a `pydot.Cluster` with subgraph=True), as Keras draws
    it: a functional model's layers (Input layers included), a Sequential's layers (without its
    Input), a subclassed model as one node; nested models as one node, or their own graphs in
    dashed clusters with expand_nested=True.

    Args:
        model: a keras Model.
        show_shapes: show each layer's output shape.
        show_dtype: show each layer's dtype.
        show_layer_names: show the layers' names.
        rankdir: "TB" (top to bottom) or "LR" (left to right), as Graphviz's rankdir.
        expand_nested: draw nested models' own graphs.
        dpi: the image resolution.
        show_layer_activations: show Dense/Conv activations.
        show_trainable: show whether each layer is trainable.
        subgraph: return a pydot.Cluster to put into another graph.

    Returns:
        pydot.Dot: the graph (a pydot.Cluster with subgraph=True).

    Raises:
        TypeError: when model is not a keras Model.
        ValueError: for a bad rankdir or dpi.
        ImportError: when pydot (or, for plot_model, Graphviz's dot) is missing.
    """
    _check_options(model, rankdir, dpi)
    pydot = _pydot("model_to_dot")
    if subgraph:
        dot = pydot.Cluster(graph_name=model.name, style="dashed")
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", "ortho")
        dot.set_node_defaults(shape="record")
    opts = {
        "show_shapes": bool(show_shapes),
        "show_dtype": bool(show_dtype),
        "show_layer_names": bool(show_layer_names),
        "show_layer_activations": bool(show_layer_activations),
        "show_trainable": bool(show_trainable),
    }
    drawer = _Drawer(pydot, dot, opts, bool(expand_nested))
    if _is_graph(model):
        drawer.draw(model, dot, None)
    else:  # a subclassed model has no graph: Keras draws it as a single node
        drawer.node(dot, model, None)
    return dot


# A layout of a model's graph takes milliseconds; a dot that hangs must not hang the caller.
DOT_TIMEOUT = 120


def _run_dot(dot: Any, fmt: str, to_file: str, caller: str = "keras.utils.plot_model") -> None:
    """Lay out `dot` with Graphviz's dot into `to_file` (written only when dot succeeds)."""
    exe = _dot_executable(caller)

    def run() -> subprocess.CompletedProcess:
        source = dot.to_string().encode("utf-8")
        try:
            return subprocess.run(
                [exe, f"-T{fmt}"],
                input=source,
                capture_output=True,
                check=False,
                timeout=DOT_TIMEOUT,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"Graphviz's dot did not finish within {DOT_TIMEOUT} s") from exc
        except OSError as exc:
            raise ImportError(f"could not run Graphviz's dot ({exe}): {exc}; {_DOT_HELP}") from exc

    done = run()
    failed = done.returncode != 0 or not done.stdout
    if failed and dot.get("splines") == "ortho" and b"not recognized" not in done.stderr:
        # Graphviz's orthogonal edge router aborts on some graphs (an assertion in maze.c in
        # Graphviz 2.43, Debian 11/12's): draw those with its default curved edges instead.
        dot.set("splines", "spline")
        done = run()
        failed = done.returncode != 0 or not done.stdout
    if failed:
        err = done.stderr.decode("utf-8", "replace").strip()
        if "not recognized" in err:
            raise ValueError(
                f"{caller} writes the format given by the file's extension, and Graphviz's dot "
                f"does not know the format {fmt!r} (of {to_file!r}): {err}"
            )
        raise RuntimeError(f"Graphviz's dot failed (exit code {done.returncode}): {err}")
    with open(to_file, "wb") as f:
        f.write(done.stdout)


def _notebook_image(to_file: str, fmt: str) -> Any:
    """What Keras returns: an IPython image to show in a notebook, when IPython is installed."""
    try:
        from IPython import display
    except ImportError:
        return None
    if fmt == "svg":
        return display.SVG(filename=to_file)
    if fmt in ("png", "jpg", "jpeg", "gif"):
        return display.Image(filename=to_file)
    return None


def plot_model(
    model: Any,
    to_file: Any = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: float = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
) -> Any:
    """Draw the model's graph (see model_to_dot) into `to_file`, in the format its extension
    names (png, svg, pdf, dot, ...; png without one), with Graphviz's dot. Returns an IPython
    image for notebooks when IPython is installed, None otherwise.

    Args:
        model: a keras Model.
        to_file: the image file.
        show_shapes: show each layer's output shape.
        show_dtype: show each layer's dtype.
        show_layer_names: show the layers' names.
        rankdir: "TB" (top to bottom) or "LR" (left to right), as Graphviz's rankdir.
        expand_nested: draw nested models' own graphs.
        dpi: the image resolution.
        show_layer_activations: show Dense/Conv activations.
        show_trainable: show whether each layer is trainable.

    Returns:
        An IPython.display.Image, or None.

    Raises:
        TypeError: when model is not a keras Model.
        ValueError: for a bad rankdir or dpi.
        ImportError: when pydot (or, for plot_model, Graphviz's dot) is missing.
    """
    _check_options(model, rankdir, dpi)
    _pydot("plot_model")
    _dot_executable()
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
    )
    to_file = os.fspath(to_file)
    fmt = os.path.splitext(to_file)[1][1:].lower() or "png"
    _run_dot(dot, fmt, to_file)
    return _notebook_image(to_file, fmt)
