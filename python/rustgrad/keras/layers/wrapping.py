"""What the layers made of other layers share (Bidirectional's two halves, TimeDistributed's
layer): `trainable` set on the wrapper reaches the parts, the weights are the parts' own (the
same Variables), and weights files keep them in the parts' groups, as Keras 3 does."""

from __future__ import annotations

from typing import Any

from rustgrad.keras.layers.base import Layer


class Wrapping(Layer):
    """A layer whose weights belong to the layers `_parts()` names. `_nested` lists the config
    keys that hold a serialized layer (or cell), rebuilt by from_config."""

    _nested: tuple = ("layer",)

    def _parts(self) -> list[tuple[str, Any]]:
        """(attribute name, layer) of each part, in weight order."""
        raise NotImplementedError

    def _adopt(self) -> None:
        """Call once the parts exist: they follow the wrapper's trainable flag and owner."""
        for _, part in self._parts():
            part._h5_owner = self
        self.trainable = self._trainable

    @property
    def trainable(self) -> bool:
        """Whether fit updates the parts (set on the wrapper, it is set on them too)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for _, part in self._known():
            part.trainable = value

    def _known(self) -> list[tuple[str, Any]]:
        # During Layer.__init__ the parts do not exist yet.
        try:
            return self._parts()
        except (AttributeError, KeyError):
            return []

    def _params(self) -> list:
        return [w for _, part in self._parts() for w in part._params()]

    def _state(self) -> list:
        return [w for _, part in self._parts() for w in part._state()]

    def _h5_children(self, path: str) -> list:
        return [(f"{path}/{name}", part) for name, part in self._parts()]

    def _own_losses(self) -> list:
        # Parts assigned as attributes are tracked sublayers that list their own regularization
        # terms; the wrapper's core would count them a second time.
        tracked = self.__dict__.get("_tracked", [])
        if all(any(p is t for t in tracked) for _, p in self._parts()):
            return list(self._added_losses) + list(self.__dict__.get("_activity_losses", []))
        return super()._own_losses()

    def _nested_config(self) -> dict:
        """The serialized layers under their `_nested` config keys."""
        from rustgrad.keras.saving.serialization import serialize_keras_object

        return {
            key: serialize_keras_object(getattr(self, self._attribute(key))) for key in self._nested
        }

    def _attribute(self, key: str) -> str:
        return key

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Any:
        """The wrapper from get_config's dict (or Keras'), its nested layers rebuilt first.

        Args:
            config: the wrapper's config with its serialized layer(s) (or cell).
            custom_objects: names of user classes, for the nested deserialization.

        Returns:
            The new, unbuilt layer.
        """
        from rustgrad.keras.layers import config as _config
        from rustgrad.keras.saving.serialization import deserialize_keras_object

        config = dict(config)
        for key in cls._nested:
            if config.get(key) is not None:
                config[key] = deserialize_keras_object(config[key], custom_objects)
        return _config.from_config(cls, config)
