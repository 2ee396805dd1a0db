"""Default layer and model names: a class name turned into snake case as Keras 3's to_snake_case
does (keras/src/utils/naming.py), then numbered per name."""

from __future__ import annotations

import pytest
from rustgrad import keras
from rustgrad.keras import backend as K
from rustgrad.keras.layers.naming import snake

L = keras.layers

# Class -> the default name Keras 3 gives its first instance.
KERAS_NAMES = {
    "Dense": "dense",
    "PReLU": "p_re_lu",
    "ReLU": "re_lu",
    "LeakyReLU": "leaky_re_lu",
    "ELU": "elu",
    "Conv1D": "conv1d",
    "Conv2D": "conv2d",
    "Conv2DTranspose": "conv2d_transpose",
    "DepthwiseConv2D": "depthwise_conv2d",
    "SeparableConv2D": "separable_conv2d",
    "MaxPooling2D": "max_pooling2d",
    "GlobalAveragePooling2D": "global_average_pooling2d",
    "UpSampling2D": "up_sampling2d",
    "ZeroPadding2D": "zero_padding2d",
    "SpatialDropout2D": "spatial_dropout2d",
    "BatchNormalization": "batch_normalization",
    "ActivityRegularization": "activity_regularization",
    "RandomFlip": "random_flip",
    "RepeatVector": "repeat_vector",
}

ARGS = {
    "Dense": (2,),
    "Conv1D": (2, 3),
    "Conv2D": (2, 3),
    "Conv2DTranspose": (2, 3),
    "DepthwiseConv2D": (3,),
    "SeparableConv2D": (2, 3),
    "SpatialDropout2D": (0.5,),
    "RepeatVector": (2,),
}


@pytest.mark.parametrize("cls", sorted(KERAS_NAMES))
def test_default_layer_name_is_keras(cls):
    K.clear_session()
    layer = getattr(L, cls)(*ARGS.get(cls, ()))
    assert layer.name == KERAS_NAMES[cls]
    assert getattr(L, cls)(*ARGS.get(cls, ())).name == KERAS_NAMES[cls] + "_1"


@pytest.mark.parametrize(
    "cls_name, expected",
    [
        ("HTTPModel", "http_model"),  # a run of capitals, then a capitalised word
        ("MyModel", "my_model"),
        ("Conv3DTranspose", "conv3d_transpose"),
        ("ABCLayer", "abc_layer"),
        ("Block2Ab", "block2_ab"),  # a digit then a capitalised word: split
        ("Block2A", "block2a"),  # a digit then a lone capital: joined
        ("My Layer!", "my_layer"),  # characters that are not word characters are dropped
        ("already_snake", "already_snake"),
    ],
)
def test_snake_follows_keras_to_snake_case(cls_name, expected):
    assert snake(cls_name) == expected


def test_subclassed_model_name():
    class TinyNet(keras.Model):
        def call(self, x):
            return x

    K.clear_session()
    assert TinyNet().name == "tiny_net"
