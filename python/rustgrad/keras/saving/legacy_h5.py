"""tf.keras 2's legacy `.h5` model files, read only: the `model_config` attribute (JSON) and the
`model_weights` group (one group per layer name, its `weight_names` attribute listing datasets)."""

from __future__ import annotations

from typing import Any

__all__ = ["load_model", "load_weights"]


def load_model(filepath: Any, custom_objects: Any, compile: bool, safe_mode: bool) -> Any:
    raise NotImplementedError(f"load_model('{filepath}'): legacy .h5 files are not read yet")


def load_weights(model: Any, filepath: Any) -> None:
    raise NotImplementedError(f"load_weights('{filepath}'): legacy .h5 files are not read yet")
