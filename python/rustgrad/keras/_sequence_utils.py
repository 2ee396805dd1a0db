"""Keras' sequence utilities: pad_sequences (ragged lists of ids to one array) and
timeseries_dataset_from_array (sliding windows over a series as a tf.data Dataset whose batches
are gathered lazily, one fancy index per batch, never the whole window array)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from rustgrad import _dataset_nodes as nodes
from rustgrad import _dataset_util as u

__all__ = ["pad_sequences", "timeseries_dataset_from_array"]


def pad_sequences(
    sequences: Any,
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Sequences of different lengths as one (len(sequences), maxlen, ...) array.

    As keras.utils.pad_sequences: longer sequences lose their start ("pre") or end ("post"),
    shorter ones are filled with `value` before ("pre") or after ("post") them.

    Args:
        sequences: a list of sequences (lists or arrays; each element a number or an array of
            one shape).
        maxlen: the length of the output rows; the longest sequence's by default.
        dtype: the output's dtype ("int32").
        padding: "pre" or "post".
        truncating: "pre" or "post".
        value: the padding value.

    Returns:
        numpy.ndarray: the padded array.

    Raises:
        ValueError: for a sequence that is not iterable, an unknown padding or truncating, a
            string value with a numeric dtype, or elements of different shapes.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    lengths, sample_shape = [], ()
    for s in sequences:
        try:
            lengths.append(len(s))
        except TypeError:
            raise ValueError(
                f"`sequences` must be a list of iterables. Found non-iterable: {s!r}"
            ) from None
        if not sample_shape and len(s):
            sample_shape = np.asarray(s).shape[1:]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if isinstance(maxlen, bool) or not isinstance(maxlen, numbers.Integral) or maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be a non-negative int, got {maxlen!r}")
    is_text = np.issubdtype(np.dtype(dtype), np.str_) or np.dtype(dtype) == object
    if isinstance(value, str) and not is_text:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
            "You should set `dtype=object` for variable length strings."
        )
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood')
    out = np.full((len(sequences), int(maxlen), *sample_shape), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(
                f"Shape of sample {kept.shape[1:]} of sequence at position {i} is different "
                f"from expected shape {sample_shape}"
            )
        if padding == "post":
            out[i, : len(kept)] = kept
        else:
            out[i, -len(kept) :] = kept
    return out


class Windows(nodes.Node):
    """The source of timeseries_dataset_from_array: window k is data[start_k + j·rate] for
    j < length, with targets[start_k] beside it (an index plan, so shuffle and batch keep
    gathering whole batches)."""

    def __init__(self, data: np.ndarray, targets: Any, starts: np.ndarray, length: int, rate: int):
        self._data, self._targets, self._starts = data, targets, starts
        self._offsets = np.arange(length, dtype=np.int64) * rate
        self.card = len(starts)

    def source(self) -> Windows:
        return self

    def indices(self) -> np.ndarray:
        return np.arange(self.card, dtype=np.int64)

    def gather(self, idx: np.ndarray) -> Any:
        starts = self._starts[idx]
        x = self._data[starts[:, None] + self._offsets]
        return x if self._targets is None else (x, self._targets[starts])

    def row(self, i: int) -> Any:
        return u.map_leaves(lambda a: a[0], self.gather(np.array([i])))


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value!r}")
    return int(value)


def _bounds(n: int, start_index: Any, end_index: Any) -> tuple[int, int]:
    start = 0 if start_index is None else int(start_index)
    end = n if end_index is None else int(end_index)
    if start < 0 or (start and start >= n):
        raise ValueError(
            f"`start_index` must be 0 or greater and lower than the length of the data. "
            f"Received: start_index={start_index}, for data of length {n}"
        )
    if end_index is not None and not 0 < end < n:
        raise ValueError(
            f"`end_index` must be higher than 0 and lower than the length of the data. "
            f"Received: end_index={end_index}, for data of length {n}"
        )
    if end <= start:
        raise ValueError(
            f"`end_index` must be higher than `start_index`. Received: "
            f"start_index={start_index}, and end_index={end_index}"
        )
    return start, end


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
    format: str = "tf",
) -> Any:
    """A Dataset of sliding windows over `data` (and the target of each window's first step).

    As keras.utils.timeseries_dataset_from_array: window k starts at start_index +
    k·sequence_stride and takes sequence_length steps sampling_rate apart, all inside
    [start_index, end_index); its target is targets[start_index + k·sequence_stride].

    Args:
        data: an array (or list) of timesteps along its first axis.
        targets: an array of one target per timestep, or None (windows only).
        sequence_length: the steps per window.
        sequence_stride: the steps between two windows' starts.
        sampling_rate: the steps between two samples of a window.
        batch_size: windows per batch; None yields single windows.
        shuffle: shuffle the windows (once with `seed`, then within 8 batches per iteration).
        seed: an int for the shuffle.
        start_index: the first timestep used.
        end_index: one past the last timestep used.
        format: only "tf" (a tf.data-style Dataset).

    Returns:
        rustgrad.data.Dataset: (windows, targets) batches, or windows when targets is None.

    Raises:
        ValueError: for non-positive lengths, strides or rates, bounds outside the data, or
            another format.
    """
    from rustgrad.dataset import Dataset

    if format != "tf":
        raise ValueError(f'`format` should be "tf" (a Dataset). Received: format={format!r}')
    data = np.asarray(data)
    if data.ndim == 0:
        raise ValueError("timeseries_dataset_from_array: data needs a time axis")
    length = _positive(sequence_length, "sequence_length")
    stride = _positive(sequence_stride, "sequence_stride")
    rate = _positive(sampling_rate, "sampling_rate")
    if rate >= len(data) or stride >= len(data):
        raise ValueError(
            "`sampling_rate` and `sequence_stride` must be lower than the length of the data. "
            f"Received: sampling_rate={rate}, sequence_stride={stride}, data of length {len(data)}"
        )
    start, end = _bounds(len(data), start_index, end_index)
    count = end - start - (length - 1) * rate
    if targets is not None:
        targets = np.asarray(targets)
        count = min(count, len(targets) - start)
    starts = np.arange(0, max(count, 0), stride, dtype=np.int64)
    if shuffle:
        seed = int(np.random.randint(1e6)) if seed is None else int(seed)
        np.random.RandomState(seed).shuffle(starts)
    ds = Dataset(Windows(data, targets, starts + start, length, rate))
    if batch_size is None:
        return ds.shuffle(1024, seed=seed) if shuffle else ds
    if shuffle:
        ds = ds.shuffle(batch_size * 8, seed=seed)
    return ds.batch(_positive(batch_size, "batch_size"))
