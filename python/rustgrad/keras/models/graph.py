"""From traced KerasTensors to a model's graph: the nodes between its inputs and outputs (with Keras'
errors), and the flat graph of Rust layers the core runs (nested models opened, shared layers once)."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.layers.node import KerasTensor, Node

__all__ = ["check_inputs", "core_graph", "is_chain", "map_graph"]


def check_inputs(inputs: list) -> None:
    """Model inputs must be distinct tensors made by keras.Input."""
    for t in inputs:
        if not isinstance(t, KerasTensor):
            raise TypeError(
                "Input tensors to a Functional model must come from `keras.Input`. "
                f"Received: {t!r} of type {type(t).__name__}"
            )
        if t.node is None or not t.node.is_input:
            made_by = f" (made by layer '{t.node.layer.name}')" if t.node else ""
            raise ValueError(
                "Input tensors to a Functional model must come from `keras.Input`. "
                f"Received: {t!r}{made_by}, which is not an Input tensor"
            )
    if len({id(t) for t in inputs}) != len(inputs):
        names = [t.name for t in inputs]
        raise ValueError(
            f"The list of inputs passed to the model contains the same input more than once: {names}"
        )


def map_graph(inputs: list, outputs: list) -> tuple[list[Node], list[Any]]:
    """(nodes in topological order, layers: the Input layers then each node's layer once).

    Walks back from the outputs without recursion, so a deep model cannot overflow the stack.
    """
    for t in outputs:
        if not isinstance(t, KerasTensor):
            raise TypeError(
                "Output tensors of a Functional model must be the outputs of keras layers "
                f"called on keras.Input tensors. Received: {t!r} of type {type(t).__name__}"
            )
    given = {id(t) for t in inputs}
    order: list[Node] = []
    done: set[int] = set()
    for out in outputs:
        stack: list[tuple[KerasTensor, bool]] = [(out, False)]
        while stack:
            t, expanded = stack.pop()
            if id(t) in given:
                continue
            node = t.node
            if node is None:
                raise ValueError(f"{t!r} was not made by keras.Input or by calling a layer")
            if node.is_input:
                reached = list(dict.fromkeys(n.layer.name for n in order))
                raise ValueError(
                    f"Graph disconnected: cannot obtain value for tensor {t!r} at layer "
                    f'"{node.layer.name}". The following previous layers were accessed without '
                    f"issue: {reached}. The model's inputs are {[x.name for x in inputs]}; add "
                    f"'{node.layer.name}' to them or compute the outputs from them"
                )
            if id(node) in done:
                continue
            if expanded:
                done.add(id(node))
                order.append(node)
                continue
            stack.append((t, True))
            stack.extend((s, False) for s in reversed(node.input_tensors))
    layers: list[Any] = [t.node.layer for t in inputs]
    for node in order:
        if all(node.layer is not la for la in layers):
            layers.append(node.layer)
    _check_unique_names(layers)
    return order, layers


def _check_unique_names(layers: list) -> None:
    counts: dict[str, int] = {}
    for layer in layers:
        counts[layer.name] = counts.get(layer.name, 0) + 1
    for name, count in counts.items():
        if count > 1:
            raise ValueError(
                f'The name "{name}" is used {count} times in the model. All layer names should '
                "be unique."
            )


def core_graph(model: Any) -> tuple[list, list, list[int], list[int]]:
    """(distinct Rust-backed layers, nodes as (layer index, input node ids), input node ids,
    output node ids) for `_core.Model`; a nested model's nodes are inlined."""
    layers: list = []
    index: dict[int, int] = {}
    graph: list[tuple[int, list[int]]] = []
    ins = []
    for _ in model._inputs:
        ins.append(len(graph))
        graph.append((-1, []))
    outs = _emit(model, ins, layers, index, graph)
    return layers, graph, ins, outs


def _emit(model: Any, in_ids: list[int], layers: list, index: dict, graph: list) -> list[int]:
    ids = {id(t): i for t, i in zip(model._inputs, in_ids)}
    for node in model._nodes:
        args = [ids[id(t)] for t in node.input_tensors]
        layer = node.layer
        if hasattr(layer, "_nodes"):  # a model used as a layer: its graph, on these inputs
            outs = _emit(layer, args, layers, index, graph)
        elif layer.core is None:
            raise NotImplementedError(
                f"layer '{layer.name}' ({type(layer).__name__}) has no Rust layer, so model "
                f"'{model.name}' cannot run as one graph of built-in layers"
            )
        else:
            if id(layer) not in index:
                index[id(layer)] = len(layers)
                layers.append(layer)
            graph.append((index[id(layer)], args))
            outs = [len(graph) - 1]
        for t, o in zip(node.output_tensors, outs):
            ids[id(t)] = o
    return [ids[id(t)] for t in model._outputs]


def is_chain(graph: list, ins: list[int], outs: list[int]) -> bool:
    """Whether the graph is one input through each layer once in order (what graph=None means)."""
    return (
        ins == [0]
        and outs == [len(graph) - 1]
        and all(node == (k - 1, [k - 1]) for k, node in enumerate(graph) if k)
    )
