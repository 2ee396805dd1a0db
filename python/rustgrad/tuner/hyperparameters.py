"""HyperParameters: the define-by-run search space a hypermodel reads its values from.

`hp.Int("units", 32, 512, step=32)` registers the hyperparameter the first time it is called and
returns the value the current trial chose (its default outside a search), as KerasTuner does.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

from rustgrad.tuner import hp_types


class HyperParameters:
    """A search space (`space`, the hyperparameters in the order they were declared) and the values
    of one point in it (`values`, a dict name -> value).

    Args:
        allow_new_entries: Whether a hyperparameter not yet in the space may be declared.
        tune_new_entries: Whether a newly declared hyperparameter is searched (else it keeps its
            default, recorded as Fixed).
    """

    def __init__(self, allow_new_entries: bool = True, tune_new_entries: bool = True) -> None:
        self.space: list[hp_types.HyperParameter] = []
        self.values: dict[str, Any] = {}
        self._by_name: dict[str, hp_types.HyperParameter] = {}
        self._scopes: list[tuple[str, list]] = []
        self.allow_new_entries = allow_new_entries
        self.tune_new_entries = tune_new_entries

    # -- declaring ---------------------------------------------------------------------------
    def Int(self, name, min_value, max_value, step=None, sampling="linear", default=None,
            parent_name=None, parent_values=None):  # fmt: skip
        """Declare (once) and read an integer hyperparameter; see `hp_types.Int`.

        Args:
            name: Unique name.
            min_value: Smallest value.
            max_value: Largest value (included).
            step: Distance (linear) or factor (log) between values.
            sampling: "linear", "log" or "reverse_log".
            default: Default (None: min_value).
            parent_name: With parent_values, the condition activating it (as a conditional scope).
            parent_values: Values of parent_name that activate it.

        Returns:
            The current value, or None while its conditions do not hold.
        """
        cond = self._conditions(parent_name, parent_values)
        return self._declare(
            hp_types.Int(name, min_value, max_value, step, sampling, default, cond)
        )

    def Float(self, name, min_value, max_value, step=None, sampling="linear", default=None,
              parent_name=None, parent_values=None):  # fmt: skip
        """Declare (once) and read a float hyperparameter; see `hp_types.Float`.

        Args:
            name: Unique name.
            min_value: Smallest value.
            max_value: Largest value.
            step: Distance (linear) or factor (log) between values; None: continuous.
            sampling: "linear", "log" or "reverse_log".
            default: Default (None: min_value).
            parent_name: With parent_values, the condition activating it.
            parent_values: Values of parent_name that activate it.

        Returns:
            The current value, or None while its conditions do not hold.
        """
        cond = self._conditions(parent_name, parent_values)
        return self._declare(
            hp_types.Float(name, min_value, max_value, step, sampling, default, cond)
        )

    def Choice(self, name, values, ordered=None, default=None, parent_name=None,
               parent_values=None):  # fmt: skip
        """Declare (once) and read a choice among `values`; see `hp_types.Choice`.

        Args:
            name: Unique name.
            values: Candidates, all numbers, all str or all bool.
            ordered: Whether the values are ordered (default: True for numbers).
            default: Default (None: the first value).
            parent_name: With parent_values, the condition activating it.
            parent_values: Values of parent_name that activate it.

        Returns:
            The current value, or None while its conditions do not hold.
        """
        return self._declare(
            hp_types.Choice(
                name, values, ordered, default, self._conditions(parent_name, parent_values)
            )
        )

    def Boolean(self, name, default=False, parent_name=None, parent_values=None):
        """Declare (once) and read a boolean hyperparameter.

        Args:
            name: Unique name.
            default: Default value.
            parent_name: With parent_values, the condition activating it.
            parent_values: Values of parent_name that activate it.

        Returns:
            The current value, or None while its conditions do not hold.
        """
        conditions = self._conditions(parent_name, parent_values)
        return self._declare(hp_types.Boolean(name, default, conditions))

    def Fixed(self, name, value, parent_name=None, parent_values=None):
        """Declare a value that is not searched but recorded with every trial.

        Args:
            name: Unique name.
            value: The value.
            parent_name: With parent_values, the condition activating it.
            parent_values: Values of parent_name that activate it.

        Returns:
            The value, or None while its conditions do not hold.
        """
        conditions = self._conditions(parent_name, parent_values)
        return self._declare(hp_types.Fixed(name, value, conditions))

    @contextlib.contextmanager
    def conditional_scope(self, parent_name: str, parent_values: Any) -> Iterator[None]:
        """Hyperparameters declared inside are active only while `parent_name` is one of
        `parent_values` (KerasTuner's conditional scope; scopes nest).

        Args:
            parent_name: A hyperparameter declared before.
            parent_values: A value or a list of values of it.

        Yields:
            Nothing; declare the dependent hyperparameters in the block.

        Raises:
            ValueError: parent_name is not declared yet.
        """
        if parent_name not in self._by_name:
            raise ValueError(
                f"conditional_scope: '{parent_name}' must be declared (hp.Choice, hp.Boolean, "
                "...) before a scope can depend on it"
            )
        values = parent_values if isinstance(parent_values, (list, tuple)) else [parent_values]
        self._scopes.append((parent_name, list(values)))
        try:
            yield
        finally:
            self._scopes.pop()

    def _conditions(self, parent_name, parent_values) -> list:
        conditions = list(self._scopes)
        if (parent_name is None) != (parent_values is None):
            raise ValueError("parent_name and parent_values must be given together")
        if parent_name is not None:
            values = parent_values if isinstance(parent_values, (list, tuple)) else [parent_values]
            conditions.append((parent_name, list(values)))
        return conditions

    def _declare(self, hp: hp_types.HyperParameter) -> Any:
        known = self._by_name.get(hp.name)
        if known is None:
            if not self.allow_new_entries:
                raise RuntimeError(
                    f"hyperparameter '{hp.name}' is not in the search space and "
                    "allow_new_entries=False; declare it in the tuner's `hyperparameters`"
                )
            if not self.tune_new_entries and not isinstance(hp, hp_types.Fixed):
                hp = hp_types.Fixed(hp.name, hp.default, hp.conditions)
            self._register(hp)
            known = hp
        if not self.is_active(known):
            return None
        if known.name not in self.values:
            self.values[known.name] = known.default
        return self.values[known.name]

    def _register(self, hp: hp_types.HyperParameter) -> None:
        self.space.append(hp)
        self._by_name[hp.name] = hp

    # -- reading -----------------------------------------------------------------------------
    def is_active(self, hp: Any) -> bool:
        """Whether every condition of `hp` (a hyperparameter or its name) holds for `values`.

        Args:
            hp: A HyperParameter or a name in the space.

        Returns:
            True when active.
        """
        hp = self._by_name[hp] if isinstance(hp, str) else hp
        for parent, allowed in hp.conditions:
            parent_hp = self._by_name.get(parent)
            if parent_hp is None or not self.is_active(parent_hp):
                return False
            if self.values.get(parent, parent_hp.default) not in allowed:
                return False
        return True

    def get(self, name: str) -> Any:
        """The current value of `name`.

        Args:
            name: A hyperparameter name (or a tuner's own entry such as "tuner/epochs").

        Returns:
            Its value (None when declared but inactive).

        Raises:
            KeyError: `name` is unknown.
        """
        if name in self.values:
            return self.values[name]
        if name in self._by_name:
            hp = self._by_name[name]
            return hp.default if self.is_active(hp) else None
        raise KeyError(f"unknown hyperparameter '{name}'; known: {', '.join(self.names())}")

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self.values or name in self._by_name

    def names(self) -> list[str]:
        """Names in the space, in declaration order.

        Returns:
            A list of str.
        """
        return [hp.name for hp in self.space]

    def active_values(self) -> dict:
        """Values of the active hyperparameters plus any tuner entries, defaults filled in.

        Returns:
            A dict name -> value.
        """
        out = {hp.name: self.values.get(hp.name, hp.default) for hp in self.space
               if self.is_active(hp)}  # fmt: skip
        out.update({k: v for k, v in self.values.items() if k not in self._by_name})
        return out

    def copy(self) -> HyperParameters:
        """An independent copy (space and values).

        Returns:
            A HyperParameters.
        """
        return copy.deepcopy(self)

    def merge(self, other: HyperParameters) -> None:
        """Add the hyperparameters of `other` that this space lacks (a trial declared new ones).

        Args:
            other: Another HyperParameters.
        """
        for hp in other.space:
            if hp.name not in self._by_name:
                self._register(copy.deepcopy(hp))

    def get_config(self) -> dict:
        """The JSON-ready space and values.

        Returns:
            A dict, `from_config`'s input.
        """
        return {
            "space": [
                {"class_name": hp.kind, "name": hp.name, "config": hp.get_config()}
                for hp in self.space
            ],
            "values": dict(self.values),
        }

    @classmethod
    def from_config(cls, config: dict) -> HyperParameters:
        """Rebuild from `get_config()` output.

        Args:
            config: The dict.

        Returns:
            A HyperParameters.
        """
        hps = cls()
        for entry in config["space"]:
            hps._register(hp_types.from_config(entry["class_name"], entry["name"], entry["config"]))
        hps.values = dict(config["values"])
        return hps

    def __repr__(self) -> str:
        return f"HyperParameters({self.active_values()})"
