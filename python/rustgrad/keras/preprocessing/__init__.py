"""keras.preprocessing: where tf.keras 2 scripts find pad_sequences (`preprocessing.sequence`)
and timeseries_dataset_from_array; the same functions as keras.utils'."""

from __future__ import annotations

from rustgrad.keras._sequence_utils import timeseries_dataset_from_array
from rustgrad.keras.preprocessing import sequence

__all__ = ["sequence", "timeseries_dataset_from_array"]
