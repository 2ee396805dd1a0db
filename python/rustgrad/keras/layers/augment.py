"""Keras 3's image augmentation layers, run in Rust: RandomFlip, RandomCrop, RandomContrast,
RandomTranslation, RandomRotation, RandomZoom. They act only in training (inside `fit`, or
`layer(x, training=True)`) and are the identity at inference, except RandomCrop, which centre-crops
there as Keras documents. Each image draws its own transformation (RandomCrop: one window per
batch, as Keras documents). A layer's `seed` fixes its sequence of draws; without one it takes a
seed from NumPy's global generator, so `keras.utils.set_random_seed` makes runs repeatable.
Factors are read and checked as Keras reads them; channels_last (NHWC) only."""

from __future__ import annotations

import math
import numbers
from typing import Any

from rustgrad import _core
from rustgrad.keras.layers.base import Layer
from rustgrad.keras.layers.utility import _seed

__all__ = [
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
]

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


class UnknownOptionError(ValueError, NotImplementedError):
    """An unknown fill_mode or interpolation: Keras raises NotImplementedError for these; it is
    also a ValueError, like every other bad argument here."""


def _number(layer: str, what: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise ValueError(f"{layer}: {what} must be a number, got {v!r}")  # noqa: TRY004 (Keras: ValueError)
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"{layer}: {what} must be finite, got {v!r}")
    return f


def _range(layer: str, what: str, factor: Any, bounds: tuple[float, float]) -> tuple[float, float]:
    """Keras' reading of a factor: a number f means (-``|f|``, ``|f|``), a pair (lower, upper) is sorted;
    every value must lie in `bounds`."""
    lo, hi = bounds
    msg = f"{layer}: {what} must be a number or a pair (lower, upper) in [{lo:g}, {hi:g}], got {factor!r}"
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(msg)
        pair = sorted(_number(layer, what, v) for v in factor)
    else:
        f = abs(_number(layer, what, factor))
        pair = [-f, f]
    if not all(lo <= v <= hi for v in pair):
        raise ValueError(msg)
    return pair[0], pair[1]


def _choice(layer: str, what: str, value: Any, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise UnknownOptionError(f"{layer}: unknown {what} {value!r}; expected one of {valid}")
    return value


class _Augment(Layer):
    """What the augmentation layers share: seed, data_format, the input check, the config.

    Args:
        seed: an int for repeatable draws, or None.
        data_format: None or "channels_last" ("channels_first" is refused).
        **kwargs: Layer's arguments (name, trainable, ...); bounding_box_format is refused.

    Raises:
        NotImplementedError: for channels_first or bounding boxes.
        ValueError: for an unknown data_format.
    """

    def __init__(self, seed: Any = None, data_format: Any = None, **kwargs: Any):
        name = type(self).__name__
        if data_format == "channels_first":
            raise NotImplementedError(
                f"{name}: data_format='channels_first' is not supported; only 'channels_last' "
                "(batch, height, width, channels)"
            )
        if data_format not in (None, "channels_last"):
            raise ValueError(
                f"{name}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}"
            )
        if kwargs.pop("bounding_box_format", None) is not None:
            raise NotImplementedError(
                f"{name}: bounding_box_format (bounding boxes) is not supported"
            )
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"{name}: seed must be an integer or None, got {seed!r}")
        self.seed = _seed(seed) % 2**64

    def _make_core(self, input_shape: tuple) -> Any:
        if len(input_shape) not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' needs 4-D input (batch, height, width, "
                f"channels) or one 3-D image (height, width, channels), got shape {input_shape}"
            )
        return self._core()

    def _core(self) -> Any:
        raise NotImplementedError

    def __call__(self, x: Any, training: Any = None) -> Any:
        if isinstance(x, dict):
            raise NotImplementedError(
                f"{type(self).__name__}: dict inputs (images with labels, bounding boxes or "
                "segmentation masks) are not supported; pass the images alone"
            )
        return super().__call__(x, training=training)

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed, "data_format": "channels_last"}


class RandomFlip(_Augment):
    """Flip each image with probability 1/2: left-right ("horizontal"), top-bottom ("vertical"), or
    both at once ("horizontal_and_vertical", one draw for both as in Keras 3).

    As keras.layers.RandomFlip; the identity at inference.

    Args:
        mode: "horizontal", "vertical" or "horizontal_and_vertical".
        seed: an int for repeatable draws, or None.
        **kwargs: data_format (only channels_last) and Layer's arguments (name, trainable, ...).

    Raises:
        UnknownOptionError: (a ValueError) for another mode.
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed: Any = None, **kwargs: Any):
        if mode not in FLIP_MODES:
            raise UnknownOptionError(
                f"RandomFlip: unknown mode {mode!r}; expected one of {FLIP_MODES}"
            )
        super().__init__(seed=seed, **kwargs)
        self.mode = mode

    def _core(self) -> Any:
        return _core.Layer.random_flip(self.mode, self.seed)

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}


class RandomCrop(_Augment):
    """Crop to height × width: one random window per batch in training (when the images are large
    enough); otherwise the largest centred window of that aspect ratio, resized (bilinear).

    As keras.layers.RandomCrop.

    Args:
        height: the output height (a positive int).
        width: the output width (a positive int).
        seed: an int for repeatable draws, or None.
        **kwargs: data_format (only channels_last) and Layer's arguments (name, trainable, ...).

    Raises:
        ValueError: when height or width is not a positive int.
    """

    def __init__(self, height: int, width: int, seed: Any = None, **kwargs: Any):
        for what, v in (("height", height), ("width", width)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"RandomCrop: {what} must be a positive integer, got {v!r}")
        super().__init__(seed=seed, **kwargs)
        self.height, self.width = int(height), int(width)

    def _core(self) -> Any:
        return _core.Layer.random_crop(self.height, self.width, self.seed)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*tuple(input_shape)[:-3], self.height, self.width, input_shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomContrast(_Augment):
    """Per image a contrast factor from [1 − lower, 1 + upper]; each channel becomes
    (x − mean) · factor + mean, clipped to value_range. `factor=f` means lower = upper = f.

    As keras.layers.RandomContrast; the identity at inference.

    Args:
        factor: a number, or a pair (lower, upper), in [0, 1].
        value_range: (low, high) of the pixel values, for the clipping.
        seed: an int for repeatable draws, or None.
        **kwargs: data_format (only channels_last) and Layer's arguments (name, trainable, ...).

    Raises:
        ValueError: for a factor or value_range outside those forms.
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: Any = None, **kwargs: Any):
        msg = f"RandomContrast: factor must be a number or a pair (lower, upper) in [0, 1], got {factor!r}"
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(msg)
            lower, upper = sorted(_number("RandomContrast", "factor", v) for v in factor)
        else:
            lower = upper = _number("RandomContrast", "factor", factor)
        if not (0.0 <= lower <= 1.0 and 0.0 <= upper <= 1.0):
            raise ValueError(msg)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(
                f"RandomContrast: value_range must be (low, high), got {value_range!r}"
            )
        low, high = (_number("RandomContrast", "value_range", v) for v in value_range)
        if low > high:
            raise ValueError(
                f"RandomContrast: value_range must have low <= high, got {value_range!r}"
            )
        super().__init__(seed=seed, **kwargs)
        self.factor, self.value_range = (lower, upper), (low, high)

    def _core(self) -> Any:
        return _core.Layer.random_contrast(*self.factor, self.value_range, self.seed)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class _Warp(_Augment):
    """The affine layers' fill and interpolation options.

    Args:
        fill_mode: "reflect", "wrap", "constant" or "nearest", for pixels from outside the image.
        interpolation: "bilinear" or "nearest".
        seed: an int for repeatable draws, or None.
        fill_value: the value of outside pixels with fill_mode="constant".
        **kwargs: as _Augment.

    Raises:
        UnknownOptionError: (a ValueError) for an unknown fill_mode or interpolation.
    """

    def __init__(
        self,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: Any = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ):
        name = type(self).__name__
        fill_mode = _choice(name, "fill_mode", fill_mode, FILL_MODES)
        interpolation = _choice(name, "interpolation", interpolation, INTERPOLATIONS)
        fill_value = _number(name, "fill_value", fill_value)
        super().__init__(seed=seed, **kwargs)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def _options(self) -> tuple:
        return (self.fill_mode, self.interpolation, self.fill_value, self.seed)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


class RandomTranslation(_Warp):
    """Shift each image by a random fraction of its height and width (positive: down / right).

    As keras.layers.RandomTranslation; the identity at inference.

    Args:
        height_factor: a fraction, or a pair (lower, upper), in [-1, 1]: the shift as a fraction of the height.
        width_factor: a fraction, or a pair (lower, upper), in [-1, 1]: the shift as a fraction of the width.
        fill_mode: "reflect", "wrap", "constant" or "nearest", for pixels from outside the image.
        interpolation: "bilinear" or "nearest".
        seed: an int for repeatable draws, or None.
        fill_value: the value of outside pixels with fill_mode="constant".
        **kwargs: data_format (only channels_last) and Layer's arguments (name, trainable, ...).

    Raises:
        ValueError: for a factor outside [-1, 1].
        UnknownOptionError: (a ValueError) for an unknown fill_mode or interpolation.
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: Any = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ):
        h = _range("RandomTranslation", "height_factor", height_factor, (-1.0, 1.0))
        w = _range("RandomTranslation", "width_factor", width_factor, (-1.0, 1.0))
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self._h, self._w = h, w
        self.height_factor, self.width_factor = height_factor, width_factor

    def _core(self) -> Any:
        return _core.Layer.random_translation(self._h, self._w, *self._options())

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }


class RandomRotation(_Warp):
    """Rotate each image about its centre by a random fraction of a full turn (positive:
    counter-clockwise); factor=0.1 means up to ±36°.

    As keras.layers.RandomRotation; the identity at inference.

    Args:
        factor: a fraction, or a pair (lower, upper), in [-1, 1]: the angle as a fraction of a full turn.
        fill_mode: "reflect", "wrap", "constant" or "nearest", for pixels from outside the image.
        interpolation: "bilinear" or "nearest".
        seed: an int for repeatable draws, or None.
        fill_value: the value of outside pixels with fill_mode="constant".
        **kwargs: data_format (only channels_last) and Layer's arguments (name, trainable, ...).

    Raises:
        ValueError: for a factor outside [-1, 1].
        UnknownOptionError: (a ValueError) for an unknown fill_mode or interpolation.
    """

    def __init__(
        self,
        factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: Any = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ):
        f = _range("RandomRotation", "factor", factor, (-1.0, 1.0))
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor = f

    def _core(self) -> Any:
        return _core.Layer.random_rotation(self.factor, *self._options())

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_Warp):
    """Zoom each image about its centre: each axis scales by 1 + factor (negative zooms in,
    positive out); width_factor=None zooms both axes alike, keeping the aspect ratio.

    As keras.layers.RandomZoom; the identity at inference.

    Args:
        height_factor: a fraction, or a pair (lower, upper), in [-1, 1]: the vertical zoom.
        width_factor: a fraction, or a pair (lower, upper), in [-1, 1], or None to zoom both axes by the height's draw.
        fill_mode: "reflect", "wrap", "constant" or "nearest", for pixels from outside the image.
        interpolation: "bilinear" or "nearest".
        seed: an int for repeatable draws, or None.
        fill_value: the value of outside pixels with fill_mode="constant".
        **kwargs: data_format (only channels_last) and Layer's arguments (name, trainable, ...).

    Raises:
        ValueError: for a factor outside [-1, 1].
        UnknownOptionError: (a ValueError) for an unknown fill_mode or interpolation.
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: Any = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ):
        h = _range("RandomZoom", "height_factor", height_factor, (-1.0, 1.0))
        w = (
            None
            if width_factor is None
            else _range("RandomZoom", "width_factor", width_factor, (-1.0, 1.0))
        )
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self._h, self._w = h, w
        self.height_factor, self.width_factor = height_factor, width_factor

    def _core(self) -> Any:
        return _core.Layer.random_zoom(self._h, self._w, *self._options())

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }
