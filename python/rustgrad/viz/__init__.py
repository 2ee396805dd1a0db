"""rustgrad.viz: pictures that show what training does: the autograd graph behind a Tensor
(draw_graph) and the paths optimizers take on a 2-D function (optimizer_paths). The learning-rate
range test is `model.lr_find`, per-layer gradient norms `keras.callbacks.GradientMonitor`."""

from __future__ import annotations

from rustgrad.viz.functions import FUNCTIONS, TestFunction
from rustgrad.viz.graph import draw_graph, graph_to_dot
from rustgrad.viz.paths import OptimizerPaths, optimizer_paths

__all__ = [
    "FUNCTIONS",
    "OptimizerPaths",
    "TestFunction",
    "draw_graph",
    "graph_to_dot",
    "optimizer_paths",
]
