"""Keras-named dataset modules: ``rustgrad.keras.datasets.mnist.load_data()`` as in tf.keras."""

from __future__ import annotations

from . import cifar10, cifar100, fashion_mnist, mnist

__all__ = ["cifar10", "cifar100", "fashion_mnist", "mnist"]
