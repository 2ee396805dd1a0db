"""Layer configs in Keras 3's form: the base keys every layer shares (name, trainable, the dtype
policy), and `from_config`, which takes a Keras config whose keys rustgrad has no argument for
only when they hold the one value rustgrad implements (Keras' default), refusing others by name."""

from __future__ import annotations

import inspect
from typing import Any

# The dtype policy Keras 3 writes for float32 layers (rustgrad computes in float32 only).
FLOAT32_POLICY = {
    "module": "keras",
    "class_name": "DTypePolicy",
    "config": {"name": "float32"},
    "registered_name": None,
}

# Keras arguments rustgrad's layers do not take, with the only value it implements.
KERAS_ONLY_DEFAULTS: dict[str, Any] = {
    "kernel_regularizer": None,
    "bias_regularizer": None,
    "kernel_constraint": None,
    "bias_constraint": None,
    "activity_regularizer": None,
    "quantization_config": None,
    "lora_rank": None,
    "lora_alpha": None,
    "groups": 1,
    "data_format": "channels_last",
    "noise_shape": None,
    "synchronized": False,
    "renorm": False,
    "renorm_clipping": None,
    "renorm_momentum": 0.99,
    "beta_regularizer": None,
    "gamma_regularizer": None,
    "beta_constraint": None,
    "gamma_constraint": None,
    "embeddings_regularizer": None,
    "embeddings_constraint": None,
    "mask_zero": False,
    "rms_scaling": False,
    "keepdims": False,
    "autocast": True,
}


_WEIGHT_OPTIONS = (
    "kernel_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "bias_constraint",
)
# Options layers take through **kwargs and check themselves (weight_options.py, _only_default).
_CHECKED_BY_LAYER = {
    "Dense": _WEIGHT_OPTIONS,
    "Conv2D": _WEIGHT_OPTIONS,
    "Conv1D": ("kernel_initializer", "bias_initializer"),
    "Embedding": ("embeddings_regularizer", "embeddings_constraint", "activity_regularizer"),
    "LayerNormalization": (
        "beta_initializer",
        "gamma_initializer",
        "beta_regularizer",
        "gamma_regularizer",
        "beta_constraint",
        "gamma_constraint",
    ),
}


def dtype_name(dtype: Any) -> str:
    """'float32' from a dtype given as None, a name or Keras' DTypePolicy dict."""
    if dtype is None:
        return "float32"
    if isinstance(dtype, dict):
        name = (dtype.get("config") or {}).get("name", "float32")
    else:
        name = getattr(dtype, "name", dtype)
    return str(name)


def base_config(layer: Any) -> dict:
    return {"name": layer.name, "trainable": layer.trainable, "dtype": dict(FLOAT32_POLICY)}


def _parameters(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break  # this __init__ does not pass unknown keywords up the chain
    for klass in cls.__mro__:
        names |= set(_CHECKED_BY_LAYER.get(klass.__name__, ()))
    return names


def from_config(cls: type, config: dict) -> Any:
    """cls(**config) for a config in Keras 3's form (see the module docstring)."""
    cfg = dict(config)
    if dtype_name(cfg.get("dtype")) not in ("float32", "float64", "float16"):
        raise NotImplementedError(
            f"{cls.__name__}: dtype {dtype_name(cfg.get('dtype'))!r} is not supported "
            "(rustgrad computes in float32)"
        )
    cfg.pop("dtype", None)
    takes = _parameters(cls)
    for key in [k for k in cfg if k not in takes and k in KERAS_ONLY_DEFAULTS]:
        value = cfg.pop(key)
        if value != KERAS_ONLY_DEFAULTS[key]:
            raise NotImplementedError(
                f"{cls.__name__}: {key}={value!r} is not supported (only "
                f"{KERAS_ONLY_DEFAULTS[key]!r})"
            )
    return cls(**cfg)
