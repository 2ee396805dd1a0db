"""A built-in layer's weight options, Keras' `<weight>_initializer / _regularizer / _constraint` for
each of its weights (kernel and bias by default; embeddings; gamma and beta; alpha), initializers
of its state (BatchNormalization's moving statistics) and its `activity_regularizer`. Initial
values are written into the core's weights; regularizers (l1/l2), built-in constraints and the
activity regularizer are carried by the Rust layer (`core.weighted`), so the train step adds the
penalties and projects the weights after each update. A Python Constraint subclass is kept on the
weight's Variable and applied by the eager engine and `optimizer.apply_gradients`."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad.keras import constraints, initializers, regularizers

KERNEL_BIAS = (("kernel", "glorot_uniform"), ("bias", "zeros"))
# Keras' short names of the two plain random initializers (Embedding's default is "uniform").
_ALIASES = {"uniform": "random_uniform", "normal": "random_normal"}


def l1l2(layer: str, key: str, reg: Any) -> tuple[float, float] | None:
    """An l1/l2 regularizer's (l1, l2) for the core; other regularizers are refused."""
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


def _initializer(layer: str, key: str, value: Any) -> Any:
    try:
        return initializers.get(_ALIASES.get(value, value) if isinstance(value, str) else value)
    except ValueError as e:
        raise ValueError(f"{layer}: {key}: {e}") from None


def _constraint(layer: str, key: str, value: Any) -> Any:
    try:
        c = constraints.get(value)
    except ValueError as e:
        raise ValueError(f"{layer}: {key}: {e}") from None
    if c is not None and not callable(c):
        raise ValueError(f"{layer}: {key} must be a Constraint or a callable, got {value!r}")
    return c


class WeightOptions:
    """The options popped from a layer's keyword arguments, checked once at construction.

    `weights`: (name, default initializer) of each trainable weight in the core's order; `state`:
    the same for non-trainable weights that only take an initializer."""

    def __init__(
        self,
        layer: str,
        kwargs: dict,
        weights: tuple | None = None,
        state: tuple | None = None,
        activity: bool = True,
    ):
        self.layer = layer
        weights = KERNEL_BIAS if weights is None else weights
        state = () if state is None else state
        self.names = tuple(n for n, _ in weights)
        self.state_names = tuple(n for n, _ in state)
        self._defaults = {f"{n}_initializer": d for n, d in (*weights, *state)}
        self.inits: dict[str, Any] = {}
        for key, default in self._defaults.items():
            value = kwargs.pop(key, default)
            init = _initializer(layer, key, default if value is None else value)
            # The defaults by name keep the core's own (seeded-by-rustgrad) initialisation.
            self.inits[key] = None if value in (None, default) else init
        # Keyed by option name ("kernel_regularizer"), as before the options were generalised.
        keys = [f"{n}_regularizer" for n in self.names]
        self.factors = {k: l1l2(layer, k, kwargs.get(k)) for k in keys}
        self.regs = {k: regularizers.get(kwargs.pop(k, None)) for k in keys}
        self.constraints = {
            n: _constraint(layer, f"{n}_constraint", kwargs.pop(f"{n}_constraint", None))
            for n in self.names
        }
        self.has_activity = activity
        act = kwargs.pop("activity_regularizer", None) if activity else None
        self.activity_factors = l1l2(layer, "activity_regularizer", act)
        self.activity = regularizers.get(act)

    def initializer(self, name: str) -> Any:
        """The initializer of weight `name`, its default resolved."""
        key = f"{name}_initializer"
        return self.inits[key] or _initializer(self.layer, key, self._defaults[key])

    def constraint_for(self, name: str) -> Any:
        # A recurrent layer's recurrent_kernel takes Keras' `recurrent_constraint`.
        return self.constraints.get(name, self.constraints.get(name.removesuffix("_kernel")))

    def python_constraints(self) -> list[str]:
        """The weights whose constraint is Python code (not one of keras.constraints' own)."""
        return [n for n, c in self.constraints.items() if constraints.runs_in_python(c)]

    def apply(self, core: Any, names: Any = None) -> Any:
        """Write the initial values into the core layer's weights (`names`: the Keras names of
        `core.params()`, by default this layer's weight names in order); wrap it with its
        regularizers, constraints and activity regularizer."""
        params = core.params()
        names = self.names[: len(params)] if names is None else tuple(names)
        for key, w in [(f"{n}_initializer", w) for n, w in zip(names, params)] + [
            (f"{n}_initializer", w) for n, w in zip(self.state_names, core.state())
        ]:
            init = self.inits[key]
            if init is not None:
                values = w.numpy()
                np.copyto(values, init(values.shape))
        regs = [self.factors[f"{n}_regularizer"] for n in names]
        cons = [constraints.core_spec(self.constraints[n]) for n in names]
        act = self.activity_factors
        if all(r is None for r in regs) and all(c is None for c in cons) and act is None:
            return core
        return core.weighted(regularizers=regs, constraints=cons, activity=act)

    def config(self, activity_key: bool = True) -> dict:
        """The options in Keras 3's config form. `activity_key=False` for the layers whose Keras
        config has no activity_regularizer key (Dense, the normalizations, PReLU): it is then
        written only when one is set, so a rustgrad config still rebuilds the layer."""
        out = {
            k: initializers.serialize(v or _initializer(self.layer, k, self._defaults[k]))
            for k, v in self.inits.items()
        }
        out.update({k: regularizers.serialize(v) for k, v in self.regs.items()})
        if self.has_activity and (activity_key or self.activity is not None):
            out["activity_regularizer"] = regularizers.serialize(self.activity)
        out.update(
            {f"{n}_constraint": constraints.serialize(c) for n, c in self.constraints.items()}
        )
        return out
