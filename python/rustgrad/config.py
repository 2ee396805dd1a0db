"""tf.config: the devices rustgrad has (one CPU, no GPU), the thread settings (mapped onto
rustgrad's pool), soft device placement, and the flags scripts set before they train.

Scripts meet these first: `len(tf.config.list_physical_devices('GPU'))` is 0 here, so the usual
`for gpu in gpus: tf.config.experimental.set_memory_growth(gpu, True)` runs no iteration, and
`tf.config.set_visible_devices([], 'GPU')` hides what is already absent."""

from __future__ import annotations

from collections import namedtuple
from types import SimpleNamespace
from typing import Any

from rustgrad import _core

__all__ = [
    "LogicalDevice",
    "PhysicalDevice",
    "experimental",
    "functions_run_eagerly",
    "get_logical_device_configuration",
    "get_soft_device_placement",
    "get_visible_devices",
    "list_logical_devices",
    "list_physical_devices",
    "run_functions_eagerly",
    "set_soft_device_placement",
    "set_visible_devices",
    "threading",
]

PhysicalDevice = namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = namedtuple("LogicalDevice", ["name", "device_type"])

_CPU = PhysicalDevice("/physical_device:CPU:0", "CPU")
_state = {"visible": True, "soft_placement": True, "eager": False, "inter_op": 0, "intra_op": 0}


def _of_type(devices: list, device_type: Any) -> list:
    if device_type is None:
        return list(devices)
    if not isinstance(device_type, str):
        raise TypeError(f"device_type must be a string such as 'CPU' or 'GPU', got {device_type!r}")
    return [d for d in devices if d.device_type == device_type.upper()]


def list_physical_devices(device_type: str | None = None) -> list:
    """The machine's devices rustgrad can run on: one CPU (rustgrad has no GPU code).

    Args:
        device_type: 'CPU', 'GPU', ... or None for all.

    Returns:
        list[PhysicalDevice]: [PhysicalDevice('/physical_device:CPU:0', 'CPU')] for None or 'CPU',
        [] for any other type.

    Raises:
        TypeError: when device_type is not a string.
    """
    return _of_type([_CPU], device_type)


def list_logical_devices(device_type: str | None = None) -> list:
    """The devices ops run on: the CPU, as LogicalDevice('/device:CPU:0', 'CPU').

    Args:
        device_type: 'CPU', 'GPU', ... or None for all.

    Returns:
        list[LogicalDevice]: the CPU for None or 'CPU', [] for any other type.

    Raises:
        TypeError: when device_type is not a string.
    """
    return _of_type([LogicalDevice("/device:CPU:0", "CPU")], device_type)


def get_visible_devices(device_type: str | None = None) -> list:
    """The physical devices ops may use (all of list_physical_devices: the CPU).

    Args:
        device_type: 'CPU', 'GPU', ... or None for all.

    Returns:
        list[PhysicalDevice]: the visible devices of that type.

    Raises:
        TypeError: when device_type is not a string.
    """
    return list_physical_devices(device_type)


def set_visible_devices(devices: Any, device_type: str | None = None) -> None:
    """Choose the visible devices, as TF does before it starts: `set_visible_devices([], 'GPU')`
    (run on the CPU) is what rustgrad always does; the CPU cannot be hidden, as in TF.

    Args:
        devices: a PhysicalDevice or a list of them, from list_physical_devices.
        device_type: only devices of this type are changed; None means all.

    Raises:
        TypeError: when an entry is not a PhysicalDevice.
        ValueError: for a device this machine does not have, one not of `device_type`, or a list
            that leaves the CPU out.
    """
    chosen = [devices] if isinstance(devices, PhysicalDevice) else list(devices)
    for d in chosen:
        if not isinstance(d, PhysicalDevice):
            raise TypeError(f"set_visible_devices: expected PhysicalDevice objects, got {d!r}")
        if d not in list_physical_devices():
            raise ValueError(f"set_visible_devices: unknown device {d.name!r}")
        if device_type is not None and d.device_type != str(device_type).upper():
            raise ValueError(f"set_visible_devices: {d.name!r} is not of type {device_type!r}")
    if _CPU in _of_type([_CPU], device_type) and _CPU not in chosen:
        raise ValueError("set_visible_devices: the CPU must remain visible")


def get_logical_device_configuration(device: Any) -> None:
    """The virtual devices configured on `device`: none (rustgrad does not split devices).

    Args:
        device: a PhysicalDevice from list_physical_devices.

    Returns:
        None, as TF returns when nothing was configured.

    Raises:
        ValueError: for a device this machine does not have.
    """
    _known(device, "get_logical_device_configuration")


def _known(device: Any, op: str) -> None:
    if device not in list_physical_devices():
        raise ValueError(f"{op}: unknown device {device!r}")


def set_soft_device_placement(enabled: bool) -> None:
    """Whether `with tf.device('/GPU:0')` runs its ops on the CPU (True, TF's eager default) or
    raises because no GPU exists (False).

    Args:
        enabled: the new setting.
    """
    _state["soft_placement"] = bool(enabled)


def get_soft_device_placement() -> bool:
    """Whether ops asked for an absent device run on the CPU (see set_soft_device_placement).

    Returns:
        bool: the setting, True unless changed.
    """
    return _state["soft_placement"]


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Record TF's flag; `tf.function` in rustgrad runs eagerly whatever it says, since rustgrad
    has no graph compiler (results are the same, Python side effects run on every call).

    Args:
        run_eagerly: the flag functions_run_eagerly() reports.
    """
    _state["eager"] = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    """The flag set by run_functions_eagerly (False unless set, as in TF).

    Returns:
        bool: the flag.
    """
    return _state["eager"]


def _set_memory_growth(device: Any, enable: bool) -> None:
    """TF's memory growth of a GPU; there is no GPU here, so every device is refused as TF refuses a
    CPU (scripts call it in a loop over list_physical_devices('GPU'), which is empty).

    Args:
        device: a PhysicalDevice.
        enable: the setting TF would apply.

    Raises:
        ValueError: always: memory growth applies to GPUs only.
    """
    raise ValueError(f"Cannot set memory growth on non-GPU devices: {device!r}")


def _get_memory_growth(device: Any) -> bool:
    """TF's memory growth of a GPU; refused for every device here (see set_memory_growth).

    Args:
        device: a PhysicalDevice.

    Raises:
        ValueError: always: memory growth applies to GPUs only.
    """
    raise ValueError(f"Cannot get memory growth on non-GPU devices: {device!r}")


def _enable_op_determinism() -> None:
    """TF's switch to deterministic ops. rustgrad's ops are deterministic already: the same inputs
    and thread count give the same bits (README, "Backward is deterministic"); so this changes
    nothing, and seeds are set with keras.utils.set_random_seed as in TF."""


def _check_threads(n: Any, op: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"{op}: expected a number of threads >= 0 (0: the default), got {n!r}")
    return n


def _set_intra_op(num_threads: int) -> None:
    """Threads inside one op: rustgrad's pool size (rustgrad.set_num_threads); 0 restores the
    default (RUSTGRAD_NUM_THREADS, else one per core, with the busy-machine policy).

    Args:
        num_threads: the thread count, or 0 for the default.

    Raises:
        ValueError: for a negative count or a non-integer.
    """
    n = _check_threads(num_threads, "set_intra_op_parallelism_threads")
    if n == 0:
        _core.use_default_threads()
    else:
        _core.set_num_threads(n)
    _state["intra_op"] = n


def _get_intra_op() -> int:
    """The count set by set_intra_op_parallelism_threads, 0 (the default) unless set.

    Returns:
        int: the setting.
    """
    return _state["intra_op"]


def _set_inter_op(num_threads: int) -> None:
    """How many independent ops may run at once. rustgrad runs one op at a time (each op uses the
    whole pool), which every setting allows, so the value is kept for the getter only.

    Args:
        num_threads: the count, or 0 for the default.

    Raises:
        ValueError: for a negative count or a non-integer.
    """
    _state["inter_op"] = _check_threads(num_threads, "set_inter_op_parallelism_threads")


def _get_inter_op() -> int:
    """The count set by set_inter_op_parallelism_threads, 0 (the default) unless set.

    Returns:
        int: the setting.
    """
    return _state["inter_op"]


threading = SimpleNamespace(
    set_intra_op_parallelism_threads=_set_intra_op,
    get_intra_op_parallelism_threads=_get_intra_op,
    set_inter_op_parallelism_threads=_set_inter_op,
    get_inter_op_parallelism_threads=_get_inter_op,
)

experimental = SimpleNamespace(
    list_physical_devices=list_physical_devices,
    list_logical_devices=list_logical_devices,
    get_visible_devices=get_visible_devices,
    set_visible_devices=set_visible_devices,
    set_memory_growth=_set_memory_growth,
    get_memory_growth=_get_memory_growth,
    enable_op_determinism=_enable_op_determinism,
)
