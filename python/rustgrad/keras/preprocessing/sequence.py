"""keras.preprocessing.sequence: pad_sequences, as keras.utils.pad_sequences."""

from __future__ import annotations

from rustgrad.keras._sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
