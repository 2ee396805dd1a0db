"""Keras-compatible `load_data()` for CIFAR-10, backed by rustgrad.datasets.cifar10."""

from __future__ import annotations

from rustgrad.datasets.cifar10 import load_data

__all__ = ["load_data"]
