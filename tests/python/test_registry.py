"""One name table per kind lives in the core (src/registry.rs); the Python classes behind each name
cover exactly the core's names, so a name resolvable on one side is resolvable on the other."""

from __future__ import annotations

import pytest
from rustgrad import _core
from rustgrad.keras import activations, losses, metrics, optimizers


def test_python_losses_and_metrics_are_the_cores():
    assert set(losses._CLASSES) == set(_core.registry_names("loss"))
    assert set(metrics._CLASSES) == set(_core.registry_names("metric"))


def test_every_core_activation_and_optimizer_name_resolves_in_python():
    assert set(_core.registry_names("activation")) <= set(activations.NAMES)
    for name in _core.registry_names("optimizer"):
        assert optimizers.get(name).core_name == name


def test_an_unknown_kind_or_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="loss, metric, optimizer"):
        _core.registry_names("lossses")
    with pytest.raises(ValueError, match="rmsprop"):
        _core.Optimizer("adamm")
