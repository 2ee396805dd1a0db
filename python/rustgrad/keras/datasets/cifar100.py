"""Keras-compatible `load_data(label_mode="fine")` for CIFAR-100 (rustgrad.datasets.cifar100)."""

from __future__ import annotations

from rustgrad.datasets.cifar100 import load_data

__all__ = ["load_data"]
