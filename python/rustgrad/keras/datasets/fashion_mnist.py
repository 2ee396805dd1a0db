"""Keras-compatible `load_data()` for Fashion-MNIST, backed by rustgrad.datasets.fashion_mnist."""

from __future__ import annotations

from rustgrad.datasets.fashion_mnist import load_data

__all__ = ["load_data"]
