"""model.export(format='onnx') for Conv2DTranspose, DepthwiseConv2D, SeparableConv2D and the image
augmentation layers: each geometry exported with random weights, run by onnxruntime and matched to
model.predict (atol 1e-5) at batch 1 and batch 7, as in test_onnx_export.py."""

from __future__ import annotations

import os

import numpy as np
import onnx
import pytest
from onnx_helpers import check_matches, export, randomise, run_both
from rustgrad import keras

L = keras.layers


def seq(shape, *layers):
    return keras.Sequential([keras.Input(shape), *layers])


def _convt(*args, **kwargs):
    return L.Conv2DTranspose(*args, **kwargs)


# id -> (input shape, layers); every model gets random weights before export.
CASES = {
    # Conv2DTranspose: the core's output lengths and left pad (src/ops/window.rs transpose_len).
    "convt_valid": ((4, 5, 2), [_convt(3, 3)]),
    "convt_valid_stride2": ((4, 5, 2), [_convt(3, 3, strides=2)]),
    "convt_valid_stride_above_kernel": ((3, 4, 2), [_convt(2, (1, 2), strides=(3, 3))]),
    "convt_valid_output_padding": ((4, 3, 2), [_convt(3, 3, strides=3, output_padding=(2, 1))]),
    "convt_same": ((4, 5, 2), [_convt(3, 3, padding="same", activation="relu")]),
    "convt_same_stride2": ((4, 5, 2), [_convt(3, 3, strides=2, padding="same")]),
    "convt_same_even_kernel": ((4, 4, 2), [_convt(2, 4, strides=2, padding="same")]),
    "convt_same_stride_above_kernel": ((3, 3, 2), [_convt(2, 2, strides=3, padding="same")]),
    "convt_same_output_padding": (
        (4, 5, 3),
        [_convt(2, (3, 4), strides=(2, 3), padding="same", output_padding=(1, 2))],
    ),
    "convt_same_output_padding_zero": (
        (4, 4, 2),
        [_convt(2, 3, strides=2, padding="same", output_padding=0)],
    ),
    "convt_dilated_valid": ((5, 4, 2), [_convt(3, 3, dilation_rate=2)]),
    "convt_dilated_same": ((5, 4, 2), [_convt(3, (3, 2), dilation_rate=(2, 3), padding="same")]),
    "convt_asym_strides_nobias": ((3, 5, 2), [_convt(4, (2, 3), strides=(1, 2), use_bias=False)]),
    "convt_one_pixel": ((1, 1, 3), [_convt(2, 3, strides=2, padding="same")]),
    "convt_then_conv": ((3, 3, 2), [_convt(4, 3, strides=2), L.Conv2D(2, 3, activation="tanh")]),
    # DepthwiseConv2D: one group per channel, output channel c·dm + m.
    "depthwise_valid": ((6, 5, 3), [L.DepthwiseConv2D(3)]),
    "depthwise_multiplier": ((6, 5, 3), [L.DepthwiseConv2D((3, 2), depth_multiplier=3)]),
    "depthwise_same_stride2": (
        (7, 6, 2),
        [L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)],
    ),
    "depthwise_same_even_kernel": ((6, 6, 2), [L.DepthwiseConv2D(4, padding="same")]),
    "depthwise_dilated": (
        (9, 8, 2),
        [L.DepthwiseConv2D(3, dilation_rate=2, padding="same", activation="relu")],
    ),
    "depthwise_nobias": ((5, 5, 4), [L.DepthwiseConv2D(2, use_bias=False, depth_multiplier=2)]),
    # SeparableConv2D: depthwise (no bias), then 1x1 Conv with bias.
    "separable_valid": ((6, 5, 3), [L.SeparableConv2D(4, 3)]),
    "separable_multiplier": ((6, 5, 3), [L.SeparableConv2D(2, (2, 3), depth_multiplier=2)]),
    "separable_same_stride2": (
        (7, 8, 2),
        [L.SeparableConv2D(3, 3, strides=(2, 1), padding="same", activation="elu")],
    ),
    "separable_dilated": ((9, 9, 2), [L.SeparableConv2D(3, 3, dilation_rate=2)]),
    "separable_nobias": ((5, 5, 3), [L.SeparableConv2D(5, 3, use_bias=False, padding="same")]),
    # Augmentation layers: the identity at inference.
    "random_flip": ((5, 4, 2), [L.RandomFlip()]),
    "random_flip_horizontal": ((5, 4, 2), [L.RandomFlip("horizontal"), L.Conv2D(2, 3)]),
    "random_translation": ((5, 4, 2), [L.RandomTranslation(0.3, 0.2)]),
    "random_rotation": ((5, 4, 2), [L.RandomRotation(0.2, fill_mode="constant")]),
    "random_zoom": ((5, 4, 2), [L.RandomZoom(0.3, 0.2, interpolation="nearest")]),
    "random_contrast": ((5, 4, 2), [L.RandomContrast(0.5, value_range=(0, 1))]),
    # RandomCrop: centred window of the target aspect ratio, resized bilinearly when it differs.
    "random_crop_exact": ((6, 7, 2), [L.RandomCrop(4, 3)]),
    "random_crop_same_size": ((4, 3, 2), [L.RandomCrop(4, 3)]),
    "random_crop_resize_down": ((9, 9, 2), [L.RandomCrop(4, 2)]),
    "random_crop_resize_up": ((3, 4, 2), [L.RandomCrop(6, 5)]),
    "random_crop_tall_image": ((10, 4, 3), [L.RandomCrop(3, 3)]),
    "random_crop_wide_target": ((5, 6, 1), [L.RandomCrop(2, 7)]),
    "random_crop_one_pixel": ((1, 1, 2), [L.RandomCrop(3, 2)]),
    "random_crop_then_dense": ((8, 6, 2), [L.RandomCrop(5, 5), L.Flatten(), L.Dense(3)]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_matches_predict(case, tmp_path):
    shape, layers = CASES[case]
    model = seq(shape, *layers)
    randomise(model)
    check_matches(model, tmp_path)


def test_augmented_cnn_matches_predict(tmp_path):
    """An augmenting front (identity at inference) before the layers a classifier trains."""
    x = keras.Input((12, 10, 3), name="image")
    y = L.RandomFlip("horizontal")(x)
    y = L.RandomRotation(0.1)(y)
    y = L.RandomZoom(0.2)(y)
    y = L.RandomCrop(8, 8)(y)
    y = L.SeparableConv2D(6, 3, padding="same", activation="relu")(y)
    y = L.DepthwiseConv2D(3, strides=2, depth_multiplier=2)(y)
    y = L.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")(y)
    y = L.GlobalAveragePooling2D()(y)
    model = keras.Model(x, L.Dense(3, activation="softmax")(y))
    randomise(model, seed=4)
    check_matches(model, tmp_path, seed=4)


def test_shared_conv2d_transpose_keeps_one_kernel(tmp_path):
    layer = L.Conv2DTranspose(2, 3, strides=2, padding="same")
    a, b = keras.Input((3, 3, 2), name="a"), keras.Input((3, 3, 2), name="b")
    model = keras.Model([a, b], L.Add()([layer(a), layer(b)]))
    randomise(model)
    path = export(model, tmp_path)
    kernels = [i for i in onnx.load(str(path)).graph.initializer if i.name.endswith("kernel")]
    assert len(kernels) == 1
    rng = np.random.default_rng(1)
    xs = [rng.normal(size=(7, 3, 3, 2)).astype(np.float32) for _ in range(2)]
    got, want = run_both(model, path, xs)
    np.testing.assert_allclose(got[0], want[0], atol=1e-5, rtol=1e-5)


def test_random_crop_on_3d_input_is_refused(tmp_path):
    """3-D input is one image to RandomCrop (its batch axis the height): no ONNX form."""
    model = seq((5, 3), L.RandomCrop(2, 2))
    path = tmp_path / "m.onnx"
    with pytest.raises(NotImplementedError, match=r"'random_crop.*' \(RandomCrop\).*4-D input"):
        model.export(path, format="onnx", verbose=False)
    assert os.listdir(tmp_path) == []
