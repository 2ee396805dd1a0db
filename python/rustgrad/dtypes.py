"""rustgrad's dtype names and `rustgrad.device`: tensors are float32 on the CPU, nothing else.

`float32` is NumPy's dtype object, the same thing `Tensor.dtype` returns, so it compares equal to
"float32" and to numpy.float32. The other names exist so that PyTorch code naming them reaches the
creation functions' clear refusal instead of an AttributeError.
"""

import builtins

import numpy as np

float32 = np.dtype("float32")
float64 = np.dtype("float64")
int32 = np.dtype("int32")
int64 = np.dtype("int64")


def _tf_spec(spec):
    """TF's device string ("/GPU:0", "CPU:0", "/device:CPU:0", "/job:localhost/.../device:GPU:1")
    as torch-style "type[:index]" in lower case, or None when `spec` is not one. A spec naming no
    device (only a job or task) is the CPU, where TF would place the ops here."""
    parts = [p for p in spec.split("/") if p]
    if not spec.startswith("/") and not (parts and parts[0].split(":")[0] in ("CPU", "GPU", "TPU")):
        return None
    dev = [p for p in parts if p.split(":")[0].lower() not in ("job", "replica", "task")]
    if not dev:
        return "cpu"
    kind = dev[-1][len("device:") :] if dev[-1].lower().startswith("device:") else dev[-1]
    name, sep, idx = kind.partition(":")
    return name.lower() + (":" + idx if sep and idx != "*" else "")


class device:  # lower case: torch.device's name
    """A device as torch.device names it (`device("cpu")`, `device("cuda", 0)`, `device("cuda:0")`)
    or as TF's `tf.device` does ("/CPU:0", "/GPU:0", "/device:GPU:1"), also as a context manager.

    Any device can be named, as in PyTorch; only the CPU is accepted where a device is used, since
    rustgrad has no GPU code. `with device(...)` runs its block on the CPU: a CPU spec is fine; a
    TF spec of another device follows tf.config's soft placement (on by default, as in TF's eager
    mode: the ops run on the CPU; off: InvalidArgumentError); a torch-style "cuda" is refused.

    Args:
        type: a device string ("cpu", "cuda:0", "/GPU:0") or a device.
        index: the ordinal, when `type` names none.

    Raises:
        TypeError: when type is not a string or a device.
        ValueError: for a malformed string, a negative index, or an index given twice.
    """

    __slots__ = ("_index", "_tf", "_type")

    # `type` shadows the builtin, as in torch.device's signature.
    def __init__(self, type, index=None):
        self._tf = False
        if isinstance(type, device):
            self._tf = type._tf
            type, index = type.type, (type.index if index is None else index)
        if not isinstance(type, str):
            raise TypeError(f"device: expected a device string, got {builtins.type(type).__name__}")
        spec = _tf_spec(type)
        if spec is not None:
            type, self._tf = spec, True
        name, sep, idx = type.partition(":")
        if sep:
            if index is not None:
                raise ValueError(f"device: {type!r} already names an index; do not pass index too")
            if not idx.isdigit():
                raise ValueError(f"device: invalid device string {type!r}")
            index = int(idx)
        if not name or not all(c.isalpha() or c == "_" for c in name):
            raise ValueError(f"device: invalid device string {type!r}")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device: the index must be a non-negative int, got {index!r}")
        self._type = name
        self._index = index

    @property
    def type(self):
        """The device kind ("cpu", "cuda", ...)."""
        return self._type

    @property
    def index(self):
        """The device ordinal, or None."""
        return self._index

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self):
        if self._index is None:
            return f"device(type={self._type!r})"
        return f"device(type={self._type!r}, index={self._index})"

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return (self._type, self._index) == (other._type, other._index)

    def __hash__(self):
        return hash((self._type, self._index))

    def __enter__(self):
        if self._type == "cpu":
            return self
        from rustgrad import config
        from rustgrad._core import InvalidArgumentError

        if self._tf and config.get_soft_device_placement():
            return self  # TF's soft placement: no such device, so the ops run on the CPU
        raise InvalidArgumentError(
            f"device: cannot run on {self}: rustgrad runs on the CPU only"
            + (" (soft device placement is off)" if self._tf else "")
        )

    def __exit__(self, *exc):
        return False
