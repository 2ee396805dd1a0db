"""keras.initializers: every Keras 3 initializer as a class (with `seed`), their snake_case names, and
`get`, the one table that Dense, Conv2D, PReLU and add_weight resolve initializers through."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "get",
    "serialize",
]


def _fans(shape: tuple) -> tuple[int, int]:
    """Keras' fan-in and fan-out: a kernel's last two axes, times the receptive field."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    field = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return shape[-2] * field, shape[-1] * field


class Initializer:
    """Base class: `init(shape)` -> float32 array. With an int `seed` every call gives the same
    values (Keras 3); without one, draws come from NumPy's global state (np.random.seed repeats).

    Calling an initializer takes `shape` (an int or a sequence of ints) and an optional `dtype`
    (unused: the values are float32) and returns a NumPy array of that shape.
    """

    seed: Any = None

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape = tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,)))
        rng = np.random if self.seed is None else np.random.default_rng(int(self.seed))
        return np.asarray(self._draw(shape, rng), dtype=np.float32).reshape(shape)

    def _draw(self, shape: tuple, rng: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define _draw(shape, rng)")

    def get_config(self) -> dict:
        """The constructor arguments, as Keras saves them.

        Returns:
            dict: arguments that from_config accepts.
        """
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        """An initializer from get_config's dict.

        Args:
            config: the constructor arguments.

        Returns:
            Initializer: the new instance.
        """
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


def _check_seed(cls: str, seed: Any) -> Any:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(f"{cls}: seed must be an int or None, got {seed!r}")
    return seed


class Constant(Initializer):
    """Every value equal to `value`, as keras.initializers.Constant.

    Args:
        value: the constant (a number).
    """

    def __init__(self, value: float = 0.0):
        self.value = float(value)

    def _draw(self, shape: tuple, rng: Any) -> np.ndarray:
        return np.full(shape, self.value)


class Zeros(Constant):
    """All zeros, as keras.initializers.Zeros."""

    def __init__(self):
        super().__init__(0.0)

    def get_config(self) -> dict:
        return {}


class Ones(Constant):
    """All ones, as keras.initializers.Ones."""

    def __init__(self):
        super().__init__(1.0)

    def get_config(self) -> dict:
        return {}


class RandomNormal(Initializer):
    """Normal draws, as keras.initializers.RandomNormal.

    Args:
        mean: the mean.
        stddev: the standard deviation.
        seed: None (draws from NumPy's global state) or an int (every call gives the same values).

    Raises:
        ValueError: when `seed` is neither None nor an int.
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None):
        self.mean, self.stddev = float(mean), float(stddev)
        self.seed = _check_seed(type(self).__name__, seed)

    def _draw(self, shape: tuple, rng: Any) -> np.ndarray:
        return rng.normal(self.mean, self.stddev, shape)


class RandomUniform(Initializer):
    """Uniform draws in [minval, maxval), as keras.initializers.RandomUniform.

    Args:
        minval: the lower bound.
        maxval: the upper bound.
        seed: None (draws from NumPy's global state) or an int (every call gives the same values).

    Raises:
        ValueError: when `seed` is neither None nor an int.
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Any = None):
        self.minval, self.maxval = float(minval), float(maxval)
        self.seed = _check_seed("RandomUniform", seed)

    def _draw(self, shape: tuple, rng: Any) -> np.ndarray:
        return rng.uniform(self.minval, self.maxval, shape)


def _truncated(rng: Any, mean: float, stddev: float, shape: tuple) -> np.ndarray:
    # Keras' truncated normal: values beyond two standard deviations are redrawn.
    v = rng.normal(0.0, stddev, shape)
    bad = np.abs(v) > 2 * stddev
    while bad.any():
        v[bad] = rng.normal(0.0, stddev, int(bad.sum()))
        bad = np.abs(v) > 2 * stddev
    return v + mean


class TruncatedNormal(RandomNormal):
    """Normal draws redrawn beyond two standard deviations, as keras.initializers.TruncatedNormal.

    Takes RandomNormal's arguments (mean, stddev, seed).
    """

    def _draw(self, shape: tuple, rng: Any) -> np.ndarray:
        return _truncated(rng, self.mean, self.stddev, shape)


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(Initializer):
    """Variance scale / n (n the fan of `mode`): uniform in ±sqrt(3·scale/n), or a normal of that
    variance (the truncated one widened by 1/0.8796, as Keras, so its variance stays scale/n).

    Args:
        scale: the variance factor (> 0).
        mode: "fan_in", "fan_out" or "fan_avg".
        distribution: "truncated_normal" (or "normal"), "untruncated_normal" or "uniform".
        seed: None (draws from NumPy's global state) or an int (every call gives the same values).

    Raises:
        ValueError: when an argument is outside those values.
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: Any = None,
    ):
        name = type(self).__name__
        if not float(scale) > 0.0:
            raise ValueError(f"{name}: scale must be positive, got {scale!r}")
        if mode not in _MODES:
            raise ValueError(f"{name}: mode must be one of {list(_MODES)}, got {mode!r}")
        distribution = "truncated_normal" if distribution == "normal" else distribution
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"{name}: distribution must be one of {list(_DISTRIBUTIONS)}, got {distribution!r}"
            )
        self.scale, self.mode, self.distribution = float(scale), mode, distribution
        self.seed = _check_seed(name, seed)

    def _draw(self, shape: tuple, rng: Any) -> np.ndarray:
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            return rng.uniform(-limit, limit, shape)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(var), shape)
        return _truncated(rng, 0.0, math.sqrt(var) / 0.87962566103423978, shape)


def _preset(name: str, scale: float, mode: str, distribution: str) -> type:
    def __init__(self, seed: Any = None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self) -> dict:
        """Keras 3's config of the preset: its seed and the default fan axes."""
        return {"seed": self.seed, "input_axes": None, "output_axes": None}  # Keras 3.15's keys

    doc = (
        f"VarianceScaling(scale={scale}, mode='{mode}', distribution='{distribution}'), as "
        f"keras.initializers.{name}.\n\n    Args:\n        seed: None (NumPy's global state) or an "
        "int (every call gives the same values).\n"
    )
    attrs = {"__init__": __init__, "get_config": get_config, "__doc__": doc}
    return type(name, (VarianceScaling,), {**attrs, "__module__": __name__})


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    """An orthogonal matrix (QR of a normal draw, signs fixed) over the last axis, times `gain`.

    Args:
        gain: the factor applied to the matrix.
        seed: None (draws from NumPy's global state) or an int (every call gives the same values).

    Raises:
        ValueError: when `seed` is not an int or None; on call, for a shape of rank < 2.
    """

    def __init__(self, gain: float = 1.0, seed: Any = None):
        self.gain = float(gain)
        self.seed = _check_seed("Orthogonal", seed)

    def _draw(self, shape: tuple, rng: Any) -> np.ndarray:
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: needs a shape of rank >= 2, got {shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = rng.normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only), as keras.initializers.Identity.

    Args:
        gain: the factor on the diagonal.
    """

    def __init__(self, gain: float = 1.0):
        self.gain = float(gain)

    def _draw(self, shape: tuple, rng: Any) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(f"Identity: needs a 2-D shape, got {shape}")
        return self.gain * np.eye(*shape)


_BY_NAME: dict[str, type] = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
    "identity": Identity,
}
NAMES = tuple(_BY_NAME)
_BY_CLASS = {cls.__name__: cls for cls in _BY_NAME.values()}


class _Callable(Initializer):
    """A plain function `f(shape[, dtype])` used as an initializer."""

    def __init__(self, fn: Any):
        self._fn = fn

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape = tuple(int(d) for d in shape)
        return np.asarray(self._fn(shape), dtype=np.float32).reshape(shape)


def get(identifier: Any) -> Initializer:
    """An initializer from a name ('he_normal', 'HeNormal'), a config dict, an instance or a function.

    Args:
        identifier: a name, a Keras config dict, an Initializer instance or class, or a function
            `f(shape)` returning the values.

    Returns:
        Initializer: the initializer.

    Raises:
        ValueError: for an unknown name or class (the message lists the valid names).
        NotImplementedError: for Keras' input_axes/output_axes options.
    """
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = _BY_CLASS.get(identifier["class_name"]) or _BY_NAME.get(identifier["class_name"])
        if cls is None:
            raise ValueError(f"unknown initializer {identifier['class_name']!r}")
        config = dict(identifier.get("config") or {})
        for key in ("input_axes", "output_axes"):  # Keras 3.15's fan axes: only the default
            if config.pop(key, None) is not None:
                raise NotImplementedError(f"{identifier['class_name']}: {key} is not supported")
        return cls.from_config(config)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _BY_CLASS.get(identifier)
        if cls is None:
            raise ValueError(f"unknown initializer {identifier!r}; valid names: {list(NAMES)}")
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return _Callable(identifier)
    raise ValueError(f"unknown initializer {identifier!r}; valid names: {list(NAMES)}")


def serialize(initializer: Initializer) -> dict:
    """Keras 3's form: {"module", "class_name", "config", "registered_name"}.

    Args:
        initializer: an Initializer.

    Returns:
        dict: the serialized form.
    """
    return {
        "module": "keras.initializers",
        "class_name": type(initializer).__name__,
        "config": initializer.get_config(),
        "registered_name": None,
    }


def is_default(value: Any, default: str) -> bool:
    """Whether `value` (a name, a config dict or an instance) is the initializer `default` with
    its default arguments, e.g. is_default({"class_name": "Zeros", ...}, "zeros")."""
    try:
        got, want = get(value), get(default)
    except (ValueError, NotImplementedError):
        return False
    return type(got) is type(want) and got.get_config() == want.get_config()


def deserialize(config: dict, custom_objects: Any = None) -> Initializer:
    """An initializer from serialize's form (or Keras' config dict), as keras.initializers.deserialize.

    Args:
        config: {"class_name": ..., "config": {...}} as serialize writes it.
        custom_objects: None, or a dict of names to user initializer classes.

    Returns:
        Initializer: the initializer.

    Raises:
        ValueError: for an unknown class name, or a config that is not such a dict.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"initializers.deserialize: expected a dict with a class_name, got {config!r}"
        )
    cls = (custom_objects or {}).get(config["class_name"])
    if cls is not None:
        return cls.from_config(dict(config.get("config") or {}))
    return get(config)


# Keras' snake_case names for the same classes (`initializers.glorot_uniform is GlorotUniform`),
# and Keras 3's long names of two of them.
constant = Constant
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
identity = IdentityInitializer = Identity
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
ones = Ones
orthogonal = OrthogonalInitializer = Orthogonal
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
zeros = Zeros

__all__ += [
    "IdentityInitializer",
    "OrthogonalInitializer",
    "constant",
    "deserialize",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]
