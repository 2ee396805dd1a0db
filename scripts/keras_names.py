"""Keras 3's public names and their arguments, as JSON on stdout; run with the real keras installed.

Run by scripts/keras_compat.py under `$RUSTGRAD_KERAS_PYTHON` (KERAS_BACKEND=jax, JAX_PLATFORMS=cpu),
so the list comes from the keras package itself and never from a copy kept in this repository.
"""

from __future__ import annotations

import inspect
import json
import sys

MODULES = (
    "layers",
    "losses",
    "optimizers",
    "metrics",
    "callbacks",
    "activations",
    "initializers",
    "regularizers",
)
_PLAIN = (type(None), bool, int, float, str)


def encode(value: object) -> dict:
    """A default value in JSON: plain values as they are, tuples and lists tagged, else its repr.

    Args:
        value: a parameter's default.

    Returns:
        {"value": v}, {"tuple": [...]}, {"list": [...]} (items encoded alike) or {"repr": text}.
    """
    if isinstance(value, _PLAIN):
        return {"value": value}
    if isinstance(value, (tuple, list)):
        items = [encode(v) for v in value]
        if all("repr" not in v for v in items):
            return {"tuple" if isinstance(value, tuple) else "list": items}
    return {"repr": repr(value)}


def params(fn: object, skip_first: bool) -> list[dict] | None:
    """Named parameters of `fn` with their defaults.

    Args:
        fn: a function, or a class's `__init__`.
        skip_first: leave out the first parameter (`self`).

    Returns:
        [{"name": ..., "default": encoded or None when required}], or None without a signature.
    """
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    out = []
    for i, p in enumerate(sig.parameters.values()):
        if (skip_first and i == 0) or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = None if p.default is p.empty else encode(p.default)
        out.append({"name": p.name, "default": default})
    return out


def has_var_keyword(fn: object) -> bool:
    """Whether `fn` takes `**kwargs` (False when it has no signature)."""
    try:
        return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False


def describe(obj: object, layer_base: type) -> dict:
    """One public name: its kind and arguments; a Layer's **kwargs add Layer's own keywords.

    Args:
        obj: the object keras exports under the name.
        layer_base: `keras.layers.Layer`.

    Returns:
        {"kind": "class" or "function", "params": params(...)}.
    """
    if not inspect.isclass(obj):
        return {"kind": "function", "params": params(obj, skip_first=False)}
    got = params(obj.__init__, skip_first=True)
    if got is not None and issubclass(obj, layer_base) and has_var_keyword(obj.__init__):
        seen = {p["name"] for p in got}
        base = params(layer_base.__init__, skip_first=True) or []
        got += [p for p in base if p["name"] not in seen]
    return {"kind": "class", "params": got}


def main() -> None:
    """Print {"version": ..., "modules": {module: {name: description}}} for the listed modules."""
    import keras

    out: dict = {"version": keras.__version__, "modules": {}}
    for name in MODULES:
        module = getattr(keras, name)
        rows = {}
        for attr in sorted(n for n in dir(module) if not n.startswith("_")):
            obj = getattr(module, attr)
            if inspect.ismodule(obj):
                continue
            rows[attr] = describe(obj, keras.layers.Layer)
        out["modules"][name] = rows
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
