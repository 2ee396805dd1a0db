"""Dense's and Conv2D's weight options: kernel/bias initializers (keras.initializers' table) and
regularizers (l1/l2 penalties the Rust train step adds to the loss); constraints are refused."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad.keras import initializers, regularizers

_DEFAULTS = {"kernel_initializer": "glorot_uniform", "bias_initializer": "zeros"}


def _l1l2(layer: str, key: str, reg: Any) -> tuple[float, float] | None:
    try:
        reg = regularizers.get(reg)
    except ValueError as e:
        raise ValueError(f"{layer}: {key}: {e}") from None
    if reg is None:
        return None
    if not isinstance(reg, regularizers.L1L2):
        raise NotImplementedError(
            f"{layer}: {key}={reg!r} is not supported; use keras.regularizers.l1, l2 or l1_l2"
        )
    return reg.factors()


class WeightOptions:
    """The options popped from a layer's keyword arguments, checked once at construction."""

    def __init__(self, layer: str, kwargs: dict):
        self.inits: dict[str, Any] = {}
        for key, default in _DEFAULTS.items():
            value = kwargs.pop(key, default)
            try:
                self.inits[key] = initializers.get(default if value is None else value)
            except ValueError as e:
                raise ValueError(f"{layer}: {key}: {e}") from None
            # The defaults by name keep the core's own (seeded-by-rustgrad) initialisation.
            if value in (None, default):
                self.inits[key] = None
        keys = ("kernel_regularizer", "bias_regularizer")
        self.factors = {k: _l1l2(layer, k, kwargs.get(k)) for k in keys}
        self.regs = {k: regularizers.get(kwargs.pop(k, None)) for k in keys}
        for key in ("activity_regularizer", "kernel_constraint", "bias_constraint"):
            if kwargs.pop(key, None) is not None:
                raise NotImplementedError(f"{layer}: {key} is not supported yet")

    def apply(self, core: Any) -> Any:
        """Write the initial values into the core layer's weights; wrap it with its regularizers."""
        params = core.params()
        for key, w in zip(("kernel_initializer", "bias_initializer"), params):
            init = self.inits[key]
            if init is not None:
                values = w.numpy()
                np.copyto(values, init(values.shape))
        k, b = self.factors["kernel_regularizer"], self.factors["bias_regularizer"]
        if k is None and b is None:
            return core
        return core.regularized(kernel=k, bias=b if len(params) > 1 else None)

    def config(self) -> dict:
        out = {
            k: initializers.serialize(initializers.get(_DEFAULTS[k] if v is None else v))
            for k, v in self.inits.items()
        }
        out.update({k: regularizers.serialize(v) for k, v in self.regs.items()})
        return out
