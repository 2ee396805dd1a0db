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


def summary(model: Any, line_length: int | None = None, print_fn: Any = None) -> None:
    print_fn = print_fn or print
    chain = _is_chain(model)
    width = line_length or (65 if chain else 98)
    fractions = (0.45, 0.85, 1.0) if chain else (0.33, 0.55, 0.67, 1.0)
    cols = [int(width * f) for f in fractions]
    header = ["Layer (type)", "Output Shape", "Param #"] + ([] if chain else ["Connected to"])

    def emit(fields: list[str]) -> None:
        for line in [_cut_row(fields, cols)] if chain else _wrapped_rows(fields, cols):
            print_fn(line)

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * width)
    emit(header)
    print_fn("=" * width)
    for i, layer in enumerate(model.layers):
        count = str(layer.count_params()) if layer.built else "0 (unbuilt)"
        fields = [f"{layer.name} ({type(layer).__name__})", _shape_text(layer), count]
        if not chain:
            fields.append(str(_connections(model, layer)))
        emit(fields)
        print_fn("=" * width if i == len(model.layers) - 1 else " " * width)
    total = model.count_params()
    frozen = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    print_fn(f"Total params: {total} ({_size(total)})")
    print_fn(f"Trainable params: {total - frozen} ({_size(total - frozen)})")
    print_fn(f"Non-trainable params: {frozen} ({_size(frozen)})")
    print_fn("_" * width)
