"""Keras' automatic names: dense, dense_1, dense_2, ... per kind, for the life of the process."""

from __future__ import annotations

_name_counts: dict[str, int] = {}


def auto_name(base: str) -> str:
    """Keras' naming: dense, dense_1, dense_2, ... per class, for the life of the process."""
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def snake(cls_name: str) -> str:
    out = []
    for i, ch in enumerate(cls_name):
        # Keras: MaxPooling2D -> max_pooling2d (no break after a digit or another capital).
        if ch.isupper() and i and not cls_name[i - 1].isupper() and not cls_name[i - 1].isdigit():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
