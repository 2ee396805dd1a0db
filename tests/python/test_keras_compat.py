"""docs/keras_compat.md is current, the README states its counts, and the probe judges arguments right.

The freshness check needs the real keras (`$RUSTGRAD_KERAS_PYTHON`, which `make test` creates) and
is skipped without it; the probe's own tests use small stand-in classes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import compat_probe as probe

COMPAT = ROOT / "docs" / "keras_compat.md"
KERAS_PYTHON = os.environ.get("RUSTGRAD_KERAS_PYTHON", "")


@pytest.mark.skipif(
    not Path(KERAS_PYTHON).is_file(), reason="no keras env ($RUSTGRAD_KERAS_PYTHON); make test has"
)
def test_the_committed_table_equals_a_fresh_generation():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "keras_compat.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_readme_links_the_table_and_states_its_counts():
    summary = re.search(
        r"^In total rustgrad has .*$", COMPAT.read_text(encoding="utf-8"), re.MULTILINE
    )
    assert summary, "docs/keras_compat.md lost its summary line"
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "docs/keras_compat.md" in readme
    counts = re.findall(r"\d+", summary.group(0))
    stated = "rustgrad has {} of Keras' {} names and accepts {} of those names' {} arguments"
    assert stated.format(*counts) in readme


def param(name: str, default: object = "no default") -> dict:
    return {"name": name, "default": None if default == "no default" else {"value": default}}


class Strict:
    """Takes units and use_bias; **kwargs accepts name and refuses anything else."""

    def __init__(self, units, use_bias=True, **kwargs):
        kwargs.pop("name", None)
        if kwargs:
            raise TypeError(f"unexpected {sorted(kwargs)}")


class RefusesAValue:
    """Names `groups` but supports only 2 of it, so Keras' default 1 is refused."""

    def __init__(self, units, groups=2):
        if groups != 2:
            raise NotImplementedError("groups")


def test_a_class_is_built_once_per_argument_at_keras_default():
    params = [param("units"), param("use_bias", True), param("name", None), param("autocast", True)]
    v = probe.judge("Dense", Strict, params)
    assert (v.present, v.method) == (True, "probed")
    assert v.accepted == ["units", "use_bias", "name"] and v.refused == ["autocast"]


def test_a_named_argument_whose_keras_default_raises_is_refused():
    v = probe.judge("X", RefusesAValue, [param("units"), param("groups", 1)])
    assert v.refused == ["groups"]


def test_without_sample_values_the_signature_decides():
    params = [param("no_sample_for_this"), param("use_bias", True), param("name", None)]
    v = probe.judge("X", Strict, params)
    assert v.method == "signature"
    # Strict's signature names use_bias; name only reaches **kwargs, so the signature cannot tell.
    assert v.accepted == ["use_bias"] and v.refused == ["no_sample_for_this", "name"]


def test_functions_are_judged_by_signature_and_absent_names_are_absent():
    def relu(x, negative_slope=0.0):
        return x

    v = probe.judge("relu", relu, [param("x"), param("max_value", None)])
    assert (v.method, v.accepted, v.refused) == ("signature", ["x"], ["max_value"])
    assert probe.judge("celu", None, [param("x")]) == probe.Verdict(present=False)


def test_defaults_decode_to_the_values_keras_has():
    assert probe.decode({"value": 1.5}) == (True, 1.5)
    nested = {"tuple": [{"tuple": [{"value": 1}, {"value": 1}]}, {"value": "a"}]}
    assert probe.decode(nested) == (True, ((1, 1), "a"))
    assert probe.decode({"list": [{"value": None}]}) == (True, [None])
    assert probe.decode({"repr": "<object>"}) == (False, None)
    assert probe.decode(None) == (False, None)


def test_a_function_with_sample_values_is_called_like_a_class_is_built():
    def make(units, **kwargs):
        if "bad" in kwargs:
            raise TypeError("make() got an unexpected keyword argument 'bad'")

    v = probe.judge("make", make, [param("units"), param("ok", 1), param("bad", 2)])
    assert (v.method, v.accepted, v.refused) == ("probed", ["units", "ok"], ["bad"])
