"""Exception classes raised by the dataset loaders."""

from __future__ import annotations


class DatasetNotFoundError(FileNotFoundError):
    """No usable copy of a dataset was found and none could be downloaded.

    The message lists every place that was searched and how to provide the files.
    """


class DatasetCorruptError(ValueError):
    """A dataset file exists but is truncated, empty, corrupted or of the wrong format.

    The message names the file and, where one is pinned, the expected checksum.
    No arrays are ever returned from such a file.
    """


class UnsafePickleError(DatasetCorruptError):
    """A CIFAR "python version" batch references something other than plain numpy arrays."""


class DatasetDownloadError(OSError):
    """One download attempt failed (network error, HTTP error, truncated or wrong bytes)."""
