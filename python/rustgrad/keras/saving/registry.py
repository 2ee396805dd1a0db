"""Names for custom classes and functions: `register_keras_serializable` (the global table, keyed
'package>name' as in Keras 3), `custom_object_scope` (a per-thread stack of dicts), and the lookup
from a serialized entry's (module, class_name) to a rustgrad class."""

from __future__ import annotations

import importlib
import threading
from typing import Any

from typing_extensions import Self

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
]

_GLOBAL_OBJECTS: dict[str, Any] = {}
_GLOBAL_NAMES: dict[Any, str] = {}
_SCOPES = threading.local()


def get_custom_objects() -> dict[str, Any]:
    """The global table (mutable, as in Keras): registered name -> class or function."""
    return _GLOBAL_OBJECTS


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Decorator registering a class or function under 'package>name' (name: its __name__).

    As keras.saving.register_keras_serializable.

    Args:
        package: the package part of the name (no '>').
        name: the name part; the object's __name__ when None.

    Returns:
        The decorator, which returns the object unchanged.

    Raises:
        ValueError: when package holds '>' or a registered class has no get_config.
    """
    if ">" in str(package):
        raise ValueError(f"package must not contain '>': got {package!r}")

    def decorator(obj: Any) -> Any:
        key = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(f"cannot register {obj.__name__}: the class has no get_config")
        _GLOBAL_OBJECTS[key] = obj
        _GLOBAL_NAMES[obj] = key
        return obj

    return decorator


def get_registered_name(obj: Any) -> str:
    """'package>name' for a registered object, else its __name__.

    Args:
        obj: a class or function.

    Returns:
        str: the name.
    """
    return _GLOBAL_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def _scopes() -> list[dict]:
    if not hasattr(_SCOPES, "stack"):
        _SCOPES.stack = []
    return _SCOPES.stack


def get_registered_object(
    name: Any, custom_objects: dict | None = None, module_objects: dict | None = None
) -> Any:
    """The object for `name`: from the scopes (innermost first), the global table, custom_objects,
    then module_objects; None when none of them has it.

    Args:
        name: the registered or class name.
        custom_objects: a dict of objects by name, searched after the global table.
        module_objects: a dict searched last.

    Returns:
        The object, or None.
    """
    if name is None:
        return None
    for scope in reversed(_scopes()):
        if name in scope:
            return scope[name]
    if name in _GLOBAL_OBJECTS:
        return _GLOBAL_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


class CustomObjectScope:
    """`with custom_object_scope({"MyLayer": MyLayer}):` makes the names known to loading."""

    def __init__(self, *custom_objects: dict | None):
        self.custom_objects: dict = {}
        for objects in custom_objects:
            self.custom_objects.update(objects or {})

    def __enter__(self) -> Self:
        _scopes().append(self.custom_objects)
        return self

    def __exit__(self, *exc: object) -> None:
        _scopes().remove(self.custom_objects)


custom_object_scope = CustomObjectScope

# Keras' module path of a serialized object -> where rustgrad keeps the same names.
_MODULES = {
    "layers": "rustgrad.keras.layers",
    "models": "rustgrad.keras.models",
    "optimizers": "rustgrad.keras.optimizers",
    "losses": "rustgrad.keras.losses",
    "metrics": "rustgrad.keras.metrics",
    "initializers": "rustgrad.keras.initializers",
    "regularizers": "rustgrad.keras.regularizers",
    "activations": "rustgrad.keras.activations",
}
_ANYWHERE = ("layers", "models", "optimizers", "losses", "metrics", "initializers", "regularizers")


def builtin(module: str | None, class_name: str) -> Any:
    """The rustgrad class (or function) Keras calls `class_name` in `module` ('keras.layers',
    'keras.src.models.functional', 'keras', ...), or None."""
    parts = (module or "").split(".")
    parts = [p for p in parts if p not in ("keras", "src", "tf_keras")]
    wanted = [parts[0]] if parts and parts[0] in _MODULES else list(_ANYWHERE)
    if parts and parts[0] == "optimizers" and len(parts) > 1 and parts[1] == "schedules":
        wanted = ["optimizers.schedules"]
    for key in wanted:
        path = _MODULES.get(key, f"rustgrad.keras.{key}")
        mod = importlib.import_module(path)
        obj = getattr(mod, class_name, None)
        if obj is not None:
            return obj
    return None


def keras_module(obj: Any) -> str:
    """The module Keras 3 writes for a rustgrad object: 'keras.layers', 'keras.optimizers', ..."""
    cls = obj if isinstance(obj, type) else type(obj)
    mod = cls.__module__
    if not mod.startswith("rustgrad.keras."):
        return mod
    part = mod.split(".")[2]
    part = {
        "_metrics_more": "metrics",
        "_metric_functions": "metrics",
        "_loss_metrics": "metrics",
        "_losses_more": "losses",
    }.get(part, part)
    if part == "optimizers" and mod.endswith("schedules"):
        return "keras.optimizers.schedules"
    return f"keras.{part}" if part in _MODULES else "keras"
