"""Which of a Keras name's arguments rustgrad's object accepts: by calling it, else by its signature.

A class (or a function such as Input) is called once with its required arguments only (values
from SAMPLES), then once per argument with that argument added at Keras' default value: the
argument is accepted when that call succeeds and refused when it raises (a TypeError for an
unknown keyword, or the clear error rustgrad gives for a value it does not support). An object
SAMPLES has no values for (functions of tensors, such as relu(x)), and an argument whose Keras
default cannot be carried over as a value, are judged by rustgrad's signature alone: accepted when
it names the argument.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable


def _recurrent_layer() -> Any:
    from rustgrad.keras import layers

    return layers.LSTM(2)


def _cell() -> Any:
    from rustgrad.keras import layers

    return layers.LSTMCell(2)


# Values for arguments Keras requires (it has no default for them), by argument name.
SAMPLES: dict[str, Callable[[], Any]] = {
    "units": lambda: 4,
    "filters": lambda: 4,
    "kernel_size": lambda: 3,
    "rate": lambda: 0.5,
    "stddev": lambda: 0.1,
    "input_dim": lambda: 10,
    "output_dim": lambda: 4,
    "target_shape": lambda: (2, 2),
    "dims": lambda: (2, 1),
    "n": lambda: 2,
    "function": lambda: lambda x: x,
    "activation": lambda: "relu",
    "scale": lambda: 1.0,
    "factor": lambda: 0.1,
    "height_factor": lambda: 0.1,
    "width_factor": lambda: 0.1,
    "height": lambda: 2,
    "width": lambda: 2,
    "filepath": lambda: "probe.weights.h5",
    "backup_dir": lambda: "probe_backup",
    "filename": lambda: "probe.csv",
    "schedule": lambda: lambda epoch, lr: lr,
    "num_classes": lambda: 2,
    "fn": lambda: lambda y_true, y_pred: y_true,
    "pool_size": lambda: 2,
    "learning_rate": lambda: 0.01,
    "layer": _recurrent_layer,  # Bidirectional's
    "cell": _cell,  # RNN's (a new one each call: a cell belongs to one RNN)
}
# Arguments Keras gives a default but still needs one of to build (InputLayer without a shape
# raises in Keras too), by class name.
ALSO_NEEDED: dict[str, dict[str, Any]] = {"InputLayer": {"shape": (4,)}, "Input": {"shape": (4,)}}


@dataclass
class Verdict:
    """What rustgrad makes of one Keras name.

    Attributes:
        present: rustgrad has an object under the name.
        method: "probed" (built with each argument) or "signature" (arguments read from it).
        accepted: Keras' arguments rustgrad takes, in Keras' order.
        refused: Keras' arguments rustgrad does not take, in Keras' order.
    """

    present: bool
    method: str = ""
    accepted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def decode(default: dict | None) -> tuple[bool, Any]:
    """A default as scripts/keras_names.py encoded it, back as a value.

    Args:
        default: the encoded default, or None for a required argument.

    Returns:
        (True, value), or (False, None) for a required argument or a default kept only as repr.
    """
    if default is None or "repr" in default:
        return False, None
    if "value" in default:
        return True, default["value"]
    items = []
    for item in default.get("tuple", default.get("list", [])):
        ok, value = decode(item)
        if not ok:
            return False, None
        items.append(value)
    return True, tuple(items) if "tuple" in default else items


def _names_in_signature(obj: Any) -> set[str] | None:
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in sig.parameters.values() if p.kind in kinds}


def _builds(cls: type, kwargs: dict[str, Any]) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls(**kwargs)
    except Exception:  # noqa: BLE001 - any refusal (TypeError, ValueError, NotImplementedError) counts
        return False
    return True


def _required(name: str, params: list[dict]) -> dict[str, Any] | None:
    """Sample values for the arguments Keras requires, or None when SAMPLES lacks one."""
    out = dict(ALSO_NEEDED.get(name, {}))
    for p in params:
        if p["default"] is None:
            if p["name"] not in SAMPLES:
                return None
            out[p["name"]] = SAMPLES[p["name"]]()
    return out


def judge(name: str, obj: Any, params: list[dict] | None) -> Verdict:
    """The verdict on rustgrad's `obj` (None when absent) for a Keras name.

    Args:
        name: the Keras name.
        obj: rustgrad's object under the name, or None.
        params: Keras' named arguments as scripts/keras_names.py lists them (None: no signature).

    Returns:
        A Verdict; every one of Keras' arguments is in exactly one of accepted and refused.
    """
    if obj is None:
        return Verdict(present=False)
    params = params or []
    named = _names_in_signature(obj) or set()
    base = _required(name, params)
    probing = base is not None and callable(obj) and _builds(obj, base)
    verdict = Verdict(present=True, method="probed" if probing else "signature")
    for p in params:
        known, value = decode(p["default"])
        if probing and p["name"] in base:
            ok = True
        elif probing and known:
            # Fresh sample values for each call (an RNN cell belongs to one RNN only).
            ok = _builds(obj, {**_required(name, params), p["name"]: value})
        else:
            ok = p["name"] in named
        (verdict.accepted if ok else verdict.refused).append(p["name"])
    return verdict
