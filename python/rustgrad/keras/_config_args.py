"""get_config / from_config for classes whose config is their constructor's arguments (losses,
metrics): the arguments read back from same-named attributes, and a Keras config's keys the
constructor does not take accepted only at Keras' default value."""

from __future__ import annotations

import inspect
from typing import Any

# Keys Keras writes that some rustgrad constructors do not take, with their only accepted value.
KERAS_DEFAULTS: dict[str, Any] = {"axis": -1, "dtype": None, "ignore_class": None}


def _params(cls: type, stop: type | None = None) -> list[str]:
    """The constructor's argument names, following **kwargs up the class chain (to `stop`,
    whose own arguments are left out)."""
    out: list[str] = []
    for klass in cls.__mro__:
        if klass is stop:
            break
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        out += [
            p.name
            for p in params
            if p.name != "self"
            and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
            and p.name not in out
        ]
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return out


def init_config(obj: Any, first: dict, base: type) -> dict:
    """`first`, then every argument of the constructors below `base` that `obj` keeps as an
    attribute of the same name (less the class's `_config_skip`)."""
    out = dict(first)
    skip = set(getattr(obj, "_config_skip", ()))
    for name in _params(type(obj), stop=base):
        if name not in out and name != "dtype" and name not in skip and hasattr(obj, name):
            value = getattr(obj, name)
            out[name] = list(value) if isinstance(value, tuple) else value
    return out


def from_init_config(cls: type, config: dict) -> Any:
    cfg = dict(config)
    takes = set(_params(cls))
    for key in [k for k in cfg if k not in takes]:
        value = cfg.pop(key)
        if key == "dtype" and value in (None, "float32"):
            continue
        if key not in KERAS_DEFAULTS or value != KERAS_DEFAULTS[key]:
            raise NotImplementedError(f"{cls.__name__}: {key}={value!r} is not supported")
    return cls(**cfg)
