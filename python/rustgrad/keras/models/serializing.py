"""What a model adds to a layer's config: get_config / from_config of Sequential and functional
models (saving/model_config.py), build_config and compile_config for Keras' serialized form,
to_json, and save (the .keras archive)."""

from __future__ import annotations

import json
from typing import Any

from rustgrad.keras import saving
from rustgrad.keras.layers import config as layer_config
from rustgrad.keras.saving import model_config, serialization

__all__ = ["SerializingMixin"]


def _serialized_list(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _serialized_list(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialized_list(v) for v in value]
    if value is None or isinstance(value, str) or hasattr(value, "get_config"):
        return serialization.serialize_keras_object(value)
    if str(getattr(value, "__module__", "")).startswith("rustgrad."):
        # A built-in loss or metric function goes by its Keras name ("mse", "binary_accuracy").
        return serialization.serialize_keras_object(getattr(value, "__name__", value))
    # A user's function: written as one, so that loading finds it again in custom_objects.
    return serialization.serialize_keras_object(value)


class SerializingMixin:
    """Mixed into keras.Model."""

    def _kind(self) -> str:
        from rustgrad.keras.models.functional import Functional
        from rustgrad.keras.models.sequential import Sequential

        if isinstance(self, Sequential) and type(self).get_config is SerializingMixin.get_config:
            return "sequential"
        if isinstance(self, Functional) and type(self).get_config is SerializingMixin.get_config:
            return "functional"
        return "subclassed"

    def get_config(self) -> dict:
        """Keras 3's model config: the layers (and, for a functional model, the graph).

        Returns:
            dict: a config from_config accepts (a subclass's holds only name and trainable).
        """
        kind = self._kind()
        if kind == "sequential":
            return model_config.sequential_config(self)
        if kind == "functional":
            return model_config.functional_config(self)
        return {**layer_config.base_config(self)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Any:
        """A model from get_config's dict (or one Keras wrote).

        Args:
            config: a Sequential or functional config, or a subclass's constructor arguments.
            custom_objects: custom layers and functions by name.

        Returns:
            Model: the new, unbuilt or built model.

        Raises:
            TypeError: for an unknown layer class (register it or pass custom_objects).
        """
        from rustgrad.keras.models.functional import Functional
        from rustgrad.keras.models.sequential import Sequential

        with saving.custom_object_scope(custom_objects):
            if issubclass(cls, Sequential):
                return model_config.sequential_from_config(cls, config)
            if "layers" in config and "input_layers" in config:
                target = Functional if cls.__name__ in ("Model", "Functional") else cls
                return model_config.functional_from_config(target, config)
            config = {k: v for k, v in config.items() if k != "dtype"}
            return cls(**config)

    def to_json(self, **kwargs: Any) -> str:
        """The serialized model as a JSON string (keras.models.model_from_json reads it).

        Args:
            **kwargs: passed to json.dumps (indent, ...).

        Returns:
            str: the JSON.
        """
        return json.dumps(serialization.serialize_keras_object(self), **kwargs)

    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Keras 3's `.keras` archive: architecture, weights, compile config, optimizer state.

        Args:
            filepath: a path ending in `.keras` (the legacy `.h5` format is read-only).
            overwrite: replace an existing file.
            **kwargs: include_optimizer (True); zipped=False is refused.

        Raises:
            ValueError: for another suffix.
            NotImplementedError: for `.h5`, zipped=False or other keywords.
            FileExistsError: when the file exists and overwrite is False.
        """
        saving.save_model(self, filepath, overwrite=overwrite, **kwargs)

    # ---- the extra keys of the serialized form -------------------------------------------
    def _build_config(self) -> dict | None:
        kind = self._kind()
        if kind == "functional":
            return {"input_shape": None}
        if not self.built:
            return None
        try:
            shapes = self._input_shapes()
        except (AttributeError, NotImplementedError, ValueError):
            return None
        if not shapes:
            return None
        return {"input_shape": list(shapes[0]) if len(shapes) == 1 else [list(s) for s in shapes]}

    def _build_from_config(self, build: dict) -> None:
        shape = build.get("input_shape")
        if shape is None or self.built:
            return
        if self._kind() == "sequential":
            self.build(tuple(shape))
        else:
            self._ensure_built(tuple(shape))

    def _compile_config(self) -> dict | None:
        if self.optimizer is None or not hasattr(self, "_compile_spec"):
            return None
        loss, loss_weights, metrics = self._compile_spec
        return {
            "optimizer": serialization.serialize_keras_object(self.optimizer),
            "loss": _serialized_list(loss),
            "loss_weights": loss_weights,
            "metrics": _serialized_list(metrics),
            "weighted_metrics": None,
            "run_eagerly": getattr(self, "run_eagerly", False),
            "steps_per_execution": getattr(self, "steps_per_execution", 1),
            "jit_compile": getattr(self, "jit_compile", None) or False,
        }

    def _compile_from_config(self, config: dict, custom_objects: dict | None = None) -> None:
        def load(value: Any) -> Any:
            return serialization.deserialize_keras_object(value, custom_objects)

        for key in ("weighted_metrics",):
            if config.get(key):
                raise NotImplementedError(f"compile_config: {key} is not supported")
        self.compile(
            optimizer=load(config.get("optimizer", "rmsprop")),
            loss=load(config.get("loss")),
            metrics=load(config.get("metrics")),
            loss_weights=config.get("loss_weights"),
            run_eagerly=config.get("run_eagerly"),
            steps_per_execution=config.get("steps_per_execution"),
            jit_compile=config.get("jit_compile"),
        )
