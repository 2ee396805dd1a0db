"""The ONNX converters of the image augmentation layers at inference (keras/layers/augment.py,
src/layers/augment*.rs): RandomFlip, RandomTranslation, RandomRotation, RandomZoom and
RandomContrast return their input there; RandomCrop centre-crops the largest window of its target
aspect ratio and resizes it bilinearly (half-pixel centres, edges clamped), as the core does."""

from __future__ import annotations

from typing import Any

from rustgrad.keras import layers as L
from rustgrad.keras.export.onnx_layers import converts

__all__: list[str] = []


@converts(L.RandomFlip, L.RandomTranslation, L.RandomRotation, L.RandomZoom, L.RandomContrast)
def augment_identity(b: Any, layer: Any, xs: list) -> str:
    """The identity: these layers transform images only in training."""
    return b.op("Identity", [xs[0]])


def _refuse(layer: Any, why: str) -> NotImplementedError:
    return NotImplementedError(
        f"layer '{layer.name}' (RandomCrop) cannot be exported to ONNX: {why}"
    )


@converts(L.RandomCrop)
def random_crop(b: Any, layer: Any, xs: list) -> str:
    shape = tuple(layer.input_shape)
    if len(shape) != 4:
        # 3-D input is one image to the core, its batch axis the image's height.
        raise _refuse(layer, f"it needs 4-D input (batch, height, width, channels), got {shape}")
    h, w = (int(n) for n in shape[1:3])
    th, tw = layer.height, layer.width
    # The core's centred window (RandomCrop::centre): integer arithmetic, clamped to the image.
    rows = min(max(w * th // tw, 1), h)
    cols = min(max(h * tw // th, 1), w)
    y0, x0 = (h - rows) // 2, (w - cols) // 2
    y = xs[0]
    if (rows, cols) != (h, w):
        starts, ends = b.ints([y0, x0], "starts"), b.ints([y0 + rows, x0 + cols], "ends")
        y = b.op("Slice", [y, starts, ends, b.ints([1, 2], "axes")])
    if (rows, cols) == (th, tw):
        return y if y != xs[0] else b.op("Identity", [y])
    return b.op(
        "Resize",
        [y, "", "", b.ints([th, tw], "sizes")],
        axes=[1, 2],
        mode="linear",
        coordinate_transformation_mode="half_pixel",
    )
