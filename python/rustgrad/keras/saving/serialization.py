"""Keras 3's serialized form of objects: `serialize_keras_object` gives {"module", "class_name",
"config", "registered_name"} (plus "build_config" / "compile_config" for layers and models) and
`deserialize_keras_object` rebuilds the object from it. Nothing is unpickled; a Python lambda
(Keras' "__lambda__" entry) is turned back into code only with safe_mode=False, as in Keras."""

from __future__ import annotations

import base64
import marshal
import threading
import types
from typing import Any

import numpy as np

from rustgrad.keras.saving import registry

__all__ = ["deserialize_keras_object", "serialize_keras_object"]

_SAFE = threading.local()  # the safe_mode of the load in progress (Lambda.from_config reads it)


_UNSAFE = {"everywhere": False}  # set by keras.config.enable_unsafe_deserialization


def allow_unsafe() -> None:
    """Every load from now on may turn saved lambdas into code (keras.config's switch)."""
    _UNSAFE["everywhere"] = True


def in_safe_mode() -> bool:
    return getattr(_SAFE, "value", True) and not _UNSAFE["everywhere"]


def _model_keys(obj: Any) -> tuple[str, str | None]:
    from rustgrad.keras.models import Functional, Sequential

    if type(obj) is Sequential:
        return "keras", None
    if type(obj) is Functional:
        return "keras.src.models.functional", "Functional"
    return registry.keras_module(obj), None


def serialize_keras_object(obj: Any) -> Any:
    """The JSON-ready form of `obj` (a layer, model, optimizer, loss, metric, initializer, ...).

    As keras.saving.serialize_keras_object.

    Args:
        obj: the object; plain values are returned as they are.

    Returns:
        The serialized form (dicts, lists and plain values).

    Raises:
        TypeError: for an object without get_config.
    """
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return {
            "class_name": "__numpy__",
            "config": {"value": obj.tolist(), "dtype": str(obj.dtype)},
        }
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        code = base64.b64encode(marshal.dumps(obj.__code__)).decode("ascii")
        closure = [c.cell_contents for c in obj.__closure__] if obj.__closure__ else None
        return {"class_name": "__lambda__", "config": {"value": [code, obj.__defaults__, closure]}}
    if isinstance(obj, type) or (callable(obj) and not hasattr(obj, "get_config")):
        name = registry.get_registered_name(obj)
        return {
            "module": getattr(obj, "__module__", None),
            "class_name": "function",
            "config": getattr(obj, "__name__", name),
            "registered_name": name,
        }
    if not hasattr(obj, "get_config"):
        raise TypeError(f"cannot serialize {obj!r}: it has no get_config()")
    module, registered = _model_keys(obj)
    cls = type(obj)
    if not cls.__module__.startswith("rustgrad."):
        registered = registry.get_registered_name(cls)
    out = {
        "module": module,
        "class_name": cls.__name__,
        "config": serialize_keras_object(obj.get_config()),
        "registered_name": registered,
    }
    build = getattr(obj, "_build_config", None)
    if callable(build) and build() is not None:
        out["build_config"] = build()
    compile_config = getattr(obj, "_compile_config", None)
    if callable(compile_config) and compile_config() is not None:
        out["compile_config"] = compile_config()
    return out


def _find(config: dict, custom_objects: dict | None) -> Any:
    name, registered = config.get("class_name"), config.get("registered_name")
    for key in (registered, name):
        found = registry.get_registered_object(key, custom_objects)
        if found is not None:
            return found
    module = config.get("module") or ""
    if module.startswith(("keras", "rustgrad")) or not module:
        found = registry.builtin(module, str(name))
        if found is not None:
            return found
    raise TypeError(
        f"Could not locate class '{name}' (module {module!r}, registered name {registered!r}). "
        "Make sure custom classes are decorated with "
        "`@keras.saving.register_keras_serializable()` or passed in `custom_objects=`, e.g. "
        f"load_model(path, custom_objects={{'{name}': {name}}})"
    )


def load_lambda(config: dict) -> Any:
    """The function of a '__lambda__' entry; refused unless safe_mode=False."""
    if in_safe_mode():
        raise ValueError(
            "Requested the deserialization of a Python lambda (a Lambda layer's function). This "
            "carries a potential risk of arbitrary code execution and thus it is disallowed by "
            "default. If you trust the source of the file, pass `safe_mode=False` to the loading "
            "function."
        )
    value = config["config"]["value"]
    code, defaults, closure = value if isinstance(value, (list, tuple)) else (value, None, None)
    code_obj = marshal.loads(base64.b64decode(code.encode("ascii")))
    cells = tuple(types.CellType(v) for v in closure) if closure else None
    fn = types.FunctionType(code_obj, globals(), None, tuple(defaults or ()) or None, cells)
    return fn


def deserialize_keras_object(
    config: Any, custom_objects: dict | None = None, safe_mode: bool = True, **kwargs: Any
) -> Any:
    """The object of a serialized form (see serialize_keras_object); plain values as they are.

    Args:
        config: a serialized form (dict with class_name and config), a list of them, or a value.
        custom_objects: classes and functions by name, for custom objects.
        safe_mode: refuse a serialized Python lambda (as Keras); False loads its code.

    Returns:
        The object.

    Raises:
        TypeError: when a class or function cannot be found.
        ValueError: for a lambda in safe mode.
        NotImplementedError: for other keyword arguments.
    """
    if kwargs:
        raise NotImplementedError(f"deserialize_keras_object: {sorted(kwargs)} not supported")
    if isinstance(config, list):
        return [deserialize_keras_object(v, custom_objects, safe_mode) for v in config]
    if not isinstance(config, dict) or "class_name" not in config:
        return config
    previous = in_safe_mode()
    _SAFE.value = bool(safe_mode) and previous
    try:
        with registry.CustomObjectScope(custom_objects):
            return _deserialize(config, custom_objects)
    finally:
        _SAFE.value = previous


def _deserialize(config: dict, custom_objects: dict | None) -> Any:
    kind = config["class_name"]
    if kind == "__numpy__" or kind == "__tensor__":
        inner = config["config"]
        return np.asarray(inner["value"], dtype=inner.get("dtype", "float32"))
    if kind == "__lambda__":
        return load_lambda(config)
    if kind == "function":
        fn = registry.get_registered_object(config.get("registered_name"), custom_objects)
        if fn is None:
            fn = registry.builtin(config.get("module"), str(config["config"]))
        if fn is None:
            raise TypeError(f"Could not locate function '{config['config']}'")
        return fn
    cls = _find(config, custom_objects)
    inner = config.get("config", {})
    if not hasattr(cls, "from_config"):
        raise TypeError(f"{cls!r} has no from_config; cannot rebuild '{kind}'")
    obj = cls.from_config(inner)
    build = config.get("build_config")
    if build and hasattr(obj, "_build_from_config"):
        obj._build_from_config(build)
    compile_config = config.get("compile_config")
    if compile_config and hasattr(obj, "_compile_from_config"):
        obj._compile_from_config(compile_config, custom_objects)
    return obj
