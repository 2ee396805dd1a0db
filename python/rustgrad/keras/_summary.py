"""model.summary(): Keras' table of layers, output shapes and parameter counts, and the totals; for a
model that is not a chain, a "Connected to" column (layer[node][tensor] of each input)."""

from __future__ import annotations

from typing import Any


def _size(n: int) -> str:
    b = n * 4  # float32
    for unit in ("Byte", "KB", "MB", "GB"):
        if b < 1024 or unit == "GB":
            return f"{b:.2f} {unit}"
        b /= 1024
    return ""


def _is_chain(model: Any) -> bool:
    """Keras' "sequential-like": one input, each node fed by the one before, no layer twice."""
    nodes = getattr(model, "_nodes", None)
    if nodes is None or not model.built:
        return True
    if len(model._inputs) != 1 or len(model._outputs) != 1:
        return False
    prev, seen = model._inputs[0], set()
    for node in nodes:
        if node.input_tensors != [prev] or id(node.layer) in seen:
            return False
        seen.add(id(node.layer))
        prev = node.output_tensors[0]
    return True


def _cut_row(fields: list[str], cols: list[int]) -> str:
    # Keras' print_row for chains: each field cut at its column's end, one space between columns.
    line = ""
    for i, (text, stop) in enumerate(zip([" " + fields[0], *fields[1:]], cols)):
        if i > 0:
            line = line[:-1] + " "
        line = (line + text)[:stop]
        line += " " * (stop - len(line))
    return line


def _wrapped_rows(fields: list[str], cols: list[int]) -> list[str]:
    """Keras' print_row for graphs: a field too long for its column goes on under itself, broken
    after a '),', '],' or "'," where it can."""
    left, lines = [str(f) for f in fields], []
    while any(left):
        line = ""
        for col, text in enumerate(left):
            start = cols[col - 1] if col else 0
            space = 2 if col != len(cols) - 1 else 0
            cutoff = cols[col] - start - space
            fit = text[:cutoff]
            breaks = [fit.find(s) + len(s) for s in ("),", "},", "],", "',") if fit.find(s) >= 0]
            if breaks:
                cutoff = min(breaks)
                fit = fit[:cutoff]
            line += (" " if col == 0 else "") + fit + " " * space
            left[col] = text[cutoff:]
            line += " " * (cols[col] - len(line))
        lines.append(line)
    return lines


def _connections(model: Any, layer: Any) -> list[str]:
    mine = {id(n) for n in model._nodes}
    out = []
    for node in layer._inbound_nodes:
        if id(node) in mine:
            for t in node.input_tensors:
                source = t.node.layer
                out.append(f"{source.name}[{source._inbound_nodes.index(t.node)}][{t.index}]")
    return out


def _shape_text(layer: Any) -> str:
    if getattr(layer, "is_input_layer", False):
        return f"[{layer.output_shape}]"  # Keras prints an InputLayer's shape in a list
    try:
        shape = layer.output_shape
    except AttributeError:
        shape = None
    return str(shape) if shape is not None else "(unbuilt)"


def _layer_slice(layers: list, layer_range: Any) -> list:
    """Keras' layer_range: the layers from the first name through the second, inclusive."""
    if layer_range is None:
        return layers
    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2:
        raise ValueError(f"summary: layer_range must be a pair of layer names, got {layer_range!r}")
    names = [la.name for la in layers]
    for n in layer_range:
        if n not in names:
            raise ValueError(f"summary: layer_range names {n!r}, which is not a layer of the model")
    lo, hi = names.index(layer_range[0]), names.index(layer_range[1])
    if lo > hi:
        raise ValueError(f"summary: layer_range {tuple(layer_range)} is in reverse order")
    return layers[lo : hi + 1]


def _trainable_mark(layer: Any) -> str:
    if not layer.built or not layer.weights:
        return "-"
    return "Y" if layer.trainable else "N"


def _columns(width: int, positions: Any, fractions: tuple) -> list[int]:
    if positions is None:
        return [int(width * f) for f in fractions]
    pos = list(positions)
    if len(pos) != len(fractions) or any(not isinstance(p, (int, float)) for p in pos):
        raise ValueError(
            f"summary: positions must give {len(fractions)} numbers, got {positions!r}"
        )
    cols = [int(width * p) if p <= 1 else int(p) for p in pos]
    if cols != sorted(cols):
        raise ValueError(f"summary: positions must increase, got {positions!r}")
    return cols


def summary(
    model: Any,
    line_length: int | None = None,
    print_fn: Any = None,
    positions: Any = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range: Any = None,
) -> None:
    print_fn = print_fn or print
    chain = _is_chain(model)
    width = line_length or (65 if chain else 98)
    fractions = (0.45, 0.85, 1.0) if chain else (0.33, 0.55, 0.67, 1.0)
    cols = _columns(width, positions, fractions)
    header = ["Layer (type)", "Output Shape", "Param #"] + ([] if chain else ["Connected to"])
    if show_trainable:  # Keras' extra column, 11 characters wide
        cols, width = [*cols, cols[-1] + 11], width + 11
        header.append("Trainable")

    def emit(fields: list[str]) -> None:
        for line in [_cut_row(fields, cols)] if chain else _wrapped_rows(fields, cols):
            print_fn(line)

    def rows(layers: list, depth: int, top: bool) -> None:
        for i, layer in enumerate(layers):
            count = str(layer.count_params()) if layer.built else "0 (unbuilt)"
            name = ("| " * depth) + f"{layer.name} ({type(layer).__name__})"
            fields = [name, _shape_text(layer), count]
            if not chain:
                fields.append(str(_connections(model, layer)) if top else "")
            if show_trainable:
                fields.append(_trainable_mark(layer))
            emit(fields)
            inner = getattr(layer, "layers", None) if expand_nested else None
            if inner:
                rows(
                    [la for la in inner if not getattr(la, "is_input_layer", False)],
                    depth + 1,
                    False,
                )
            if top:
                print_fn("=" * width if i == len(layers) - 1 else " " * width)

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * width)
    emit(header)
    print_fn("=" * width)
    rows(_layer_slice(list(model.layers), layer_range), 0, True)
    total = model.count_params()
    frozen = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    print_fn(f"Total params: {total} ({_size(total)})")
    print_fn(f"Trainable params: {total - frozen} ({_size(total - frozen)})")
    print_fn(f"Non-trainable params: {frozen} ({_size(frozen)})")
    print_fn("_" * width)
