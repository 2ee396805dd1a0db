"""Keras-compatible `load_data()` for MNIST, backed by rustgrad.datasets.mnist."""

from __future__ import annotations

from rustgrad.datasets.mnist import load_data

__all__ = ["load_data"]
