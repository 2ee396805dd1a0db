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


def weight_option_keys(cls: type) -> set[str]:
    """The `<weight>_initializer / _regularizer / _constraint` keywords a layer class takes, from
    the weights it declares (`_weight_spec`, `_state_spec`; see weight_options.WeightOptions)."""
    keys = {
        f"{n}_{kind}"
        for n, _ in getattr(cls, "_weight_spec", ())
        for kind in ("initializer", "regularizer", "constraint")
    }
    keys |= {f"{n}_initializer" for n, _ in getattr(cls, "_state_spec", ())}
    return keys | {"activity_regularizer"}  # every layer takes one (keras/layers/base.py)


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
    return names | weight_option_keys(cls)


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
