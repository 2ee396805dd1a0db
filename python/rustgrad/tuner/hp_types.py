"""The hyperparameter kinds: Int and Float (hp_numerical), Choice, Boolean and Fixed, and the
table that rebuilds any of them from its config."""

from __future__ import annotations

from typing import Any

from rustgrad.tuner.hp_base import HyperParameter, index_to_prob, prob_to_index
from rustgrad.tuner.hp_numerical import SAMPLINGS, Float, Int

__all__ = [
    "SAMPLINGS",
    "Boolean",
    "Choice",
    "Fixed",
    "Float",
    "HyperParameter",
    "Int",
    "from_config",
]


class Choice(HyperParameter):
    """One of a list of values of one type: int, float, str or bool (KerasTuner's `hp.Choice`).

    Args:
        name: Unique name.
        values: The non-empty list of candidates.
        ordered: Whether the values are ordered (default: True for numbers).
        default: Default value (None: the first value).
        conditions: Activation conditions (see HyperParameter).

    Raises:
        ValueError: empty values, mixed types, or a default that is not among them.
    """

    kind = "Choice"

    def __init__(self, name, values, ordered=None, default=None, conditions=None) -> None:
        super().__init__(name, default, conditions)
        values = list(values) if values is not None else []
        if not values:
            raise ValueError(f"Choice '{name}': values must be a non-empty list")
        kinds = {type(v) for v in values}
        if not (kinds <= {int, float} or len(kinds) == 1) or not kinds <= {int, float, str, bool}:
            raise ValueError(
                f"Choice '{name}': values must all be int/float, all str or all bool, got "
                f"{sorted(k.__name__ for k in kinds)}"
            )
        if kinds == {int, float}:
            values = [float(v) for v in values]
        if default is not None and default not in values:
            raise ValueError(f"Choice '{name}': default {default!r} is not one of {values}")
        self.values = values
        numeric = kinds <= {int, float} and bool not in kinds
        self.ordered = numeric if ordered is None else bool(ordered)

    @property
    def default(self) -> Any:
        """The given default, else the first value."""
        return self.values[0] if self._default is None else self._default

    def prob_to_value(self, prob: float) -> Any:
        """The value whose bucket holds `prob`.

        Args:
            prob: A float in [0, 1).

        Returns:
            One of `values`.
        """
        return self.values[prob_to_index(prob, len(self.values))]

    def value_to_prob(self, value: Any) -> float:
        """The middle of `value`'s bucket.

        Args:
            value: One of `values`.

        Returns:
            A float in (0, 1).
        """
        return index_to_prob(self.values.index(value), len(self.values))

    def get_config(self) -> dict:
        """The JSON-ready description (values, ordered, default, conditions).

        Returns:
            A dict, `from_config`'s input.
        """
        return {**super().get_config(), "values": list(self.values), "ordered": self.ordered}


class Boolean(Choice):
    """True or False (KerasTuner's `hp.Boolean`).

    Args:
        name: Unique name.
        default: Default value (False unless given).
        conditions: Activation conditions (see HyperParameter).

    Raises:
        ValueError: a default that is not a bool.
    """

    kind = "Boolean"

    def __init__(self, name, default=False, conditions=None) -> None:
        if not isinstance(default, bool):
            raise TypeError(f"Boolean '{name}': default must be True or False, got {default!r}")
        super().__init__(name, [False, True], ordered=False, default=default,
                         conditions=conditions)  # fmt: skip

    def get_config(self) -> dict:
        """The JSON-ready description (default, conditions).

        Returns:
            A dict, `from_config`'s input.
        """
        return HyperParameter.get_config(self)


class Fixed(HyperParameter):
    """A value that is not searched, recorded with the trial (KerasTuner's `hp.Fixed`).

    Args:
        name: Unique name.
        value: The value (int, float, str or bool).
        conditions: Activation conditions (see HyperParameter).

    Raises:
        ValueError: a value of another type.
    """

    kind = "Fixed"

    def __init__(self, name, value, conditions=None) -> None:
        if not isinstance(value, (int, float, str, bool)):
            raise TypeError(
                f"Fixed '{name}': value must be an int, float, str or bool, got {value!r}"
            )
        super().__init__(name, value, conditions)
        self.value = value
        self.values = [value]

    def prob_to_value(self, prob: float) -> Any:
        """The value, whatever `prob`.

        Args:
            prob: Ignored by design: a Fixed hyperparameter has one value.

        Returns:
            The value.
        """
        return self.value

    def value_to_prob(self, value: Any) -> float:
        """0.5, the middle of the single bucket.

        Args:
            value: The value.

        Returns:
            0.5.
        """
        return 0.5

    def get_config(self) -> dict:
        """The JSON-ready description (value, conditions).

        Returns:
            A dict, `from_config`'s input.
        """
        return {"value": self.value, "conditions": [list(c) for c in self.conditions]}


KINDS = {k.kind: k for k in (Int, Float, Choice, Boolean, Fixed)}


def from_config(kind: str, name: str, config: dict) -> HyperParameter:
    """Rebuild a hyperparameter from `get_config()` output.

    Args:
        kind: The class name ("Int", "Float", ...).
        name: Its name.
        config: What its get_config returned.

    Returns:
        The hyperparameter.

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown hyperparameter kind {kind!r}; known: {', '.join(KINDS)}")
    return KINDS[kind](name, **config)
