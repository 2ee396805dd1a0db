"""A layer's weights as Variables: the core's tensors wrapped once each, Keras' names for them
(`layer.kernel`, `layer.bias`, ...), and the `*_variables` lists Keras 3 and tf.keras give."""

from __future__ import annotations

from rustgrad import _core


class VariablesMixin:
    # Keras' names of a built-in layer's own weights, in the core's order.
    _param_names: tuple = ()
    _state_names: tuple = ()

    def _variables(self, tensors: list, names: tuple, trainable: bool) -> list:
        """The core's weight tensors as Variables over the same storage, one object per weight
        (so identity, `tape.watch` and optimizer slots see the same variable each time)."""
        cache = self.__dict__.setdefault("_variable_of", {})
        out = []
        for i, t in enumerate(tensors):
            v = cache.get(hash(t))
            if v is None:
                name = names[i] if i < len(names) else f"weight_{i}"
                wo = self.__dict__.get("_weight_options")
                c = wo.constraint_for(name) if wo is not None else None
                v = _core.Variable._share(t, trainable, name, f"{self.name}/{name}", constraint=c)
                cache[hash(t)] = v
            out.append(v)
        return out

    @property
    def trainable_variables(self) -> list:
        """Keras 3's name for `trainable_weights`."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list:
        """Keras 3's name for `non_trainable_weights`."""
        return self.non_trainable_weights

    @property
    def variables(self) -> list:
        """Keras 3's name for `weights`."""
        return self.weights


def named_weight(name: str) -> property:
    """`layer.<name>`: the weight called `name` (e.g. Dense's kernel), once the layer is built."""

    def get(self):
        for w in self.weights:
            if w.name == name:
                return w
        if not self.built:
            raise AttributeError(
                f"{type(self).__name__} '{self.name}' has no {name} yet: it is made when the "
                "layer is built (on its first call, or by model.build)"
            )
        raise AttributeError(f"{type(self).__name__} '{self.name}' has no {name}")

    return property(get, doc=f"The layer's {name} Variable.")
