"""Keras' automatic names: dense, dense_1, dense_2, ... per kind, for the life of the process."""

from __future__ import annotations

import re

_name_counts: dict[str, int] = {}


def auto_name(base: str) -> str:
    """Keras' naming: dense, dense_1, dense_2, ... per class, for the life of the process."""
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


# Keras 3's to_snake_case, in three passes: drop what is not a word character; split before each
# capitalised word (a capital and lower-case letters) that follows any character; split between a
# lower-case letter and a capital. So PReLU -> p_re_lu, Conv2DTranspose -> conv2d_transpose,
# MaxPooling2D -> max_pooling2d (a digit followed by a lone capital stays joined).
_NON_WORD = re.compile(r"\W+")
_WORD_AFTER_ANY = re.compile(r"(.)([A-Z][a-z]+)")
_LOWER_UPPER = re.compile(r"([a-z])([A-Z])")


def snake(cls_name: str) -> str:
    """A class name as Keras 3 turns it into a default name (keras.src.utils.naming)."""
    name = _NON_WORD.sub("", cls_name)
    name = _WORD_AFTER_ANY.sub(r"\1_\2", name)
    return _LOWER_UPPER.sub(r"\1_\2", name).lower()
