"""model.summary(): Keras' table of layers, output shapes and parameter counts, and the totals."""

from __future__ import annotations

from typing import Any


def _size(n: int) -> str:
    b = n * 4  # float32
    for unit in ("Byte", "KB", "MB", "GB"):
        if b < 1024 or unit == "GB":
            return f"{b:.2f} {unit}"
        b /= 1024
    return ""


def summary(model: Any, line_length: int | None = None, print_fn: Any = None) -> None:
    print_fn = print_fn or print
    width = line_length or 65
    cols = [int(width * f) for f in (0.45, 0.85, 1.0)]

    def row(fields: list[str]) -> str:
        # Keras' print_row: each field cut at its column's end, one space kept between columns.
        line = ""
        for i, (text, stop) in enumerate(zip([" " + fields[0], *fields[1:]], cols)):
            if i > 0:
                line = line[:-1] + " "
            line = (line + text)[:stop]
            line += " " * (stop - len(line))
        return line

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * width)
    print_fn(row(["Layer (type)", "Output Shape", "Param #"]))
    print_fn("=" * width)
    for i, layer in enumerate(model.layers):
        shape = str(layer.output_shape) if layer.output_shape is not None else "(unbuilt)"
        count = str(layer.count_params()) if layer.built else "0 (unbuilt)"
        print_fn(row([f"{layer.name} ({type(layer).__name__})", shape, count]))
        print_fn("=" * width if i == len(model.layers) - 1 else " " * width)
    total = model.count_params()
    frozen = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    print_fn(f"Total params: {total} ({_size(total)})")
    print_fn(f"Trainable params: {total - frozen} ({_size(total - frozen)})")
    print_fn(f"Non-trainable params: {frozen} ({_size(frozen)})")
    print_fn("_" * width)
