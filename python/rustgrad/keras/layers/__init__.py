"""keras.layers: every layer class (and Input, the merge functions) under one namespace, as in Keras.

base.py holds Layer, InputLayer/Input; node.py the symbolic KerasTensor; core.py Dense and friends;
conv.py the convolutional family; merge.py the merge layers. Each module imports only the ones
before it, so there is no import cycle.
"""

from __future__ import annotations

# Issue 13, activation and utility layers (one block, for easy merges).
from rustgrad.keras.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from rustgrad.keras.layers.base import Input, InputLayer, Layer
from rustgrad.keras.layers.conv import (
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    GlobalAveragePooling2D,
    MaxPooling2D,
    Reshape,
    SpatialDropout2D,
)

# issue 13, layers B: embedding/normalisation and the extra conv family.
from rustgrad.keras.layers.conv_more import (
    AveragePooling1D,
    Conv1D,
    Cropping2D,
    MaxPooling1D,
    UpSampling2D,
    ZeroPadding2D,
)

# end of issue 13 layers B
# issue 13, transposed convolution.
from rustgrad.keras.layers.conv_transpose import Conv2DTranspose

# end of issue 13 transposed convolution
from rustgrad.keras.layers.core import (
    ACTIVATIONS,
    Activation,
    Dense,
    Dropout,
    Flatten,
    resolve_activation,
)

# issue 13, depthwise convolutions.
from rustgrad.keras.layers.depthwise import DepthwiseConv2D, SeparableConv2D
from rustgrad.keras.layers.embedding_norm import Embedding, LayerNormalization
from rustgrad.keras.layers.merge import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from rustgrad.keras.layers.node import KerasTensor
from rustgrad.keras.layers.utility import (
    ActivityRegularization,
    GaussianDropout,
    GaussianNoise,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    Identity,
    Lambda,
    Permute,
    RepeatVector,
    Rescaling,
)

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Add",
    "Average",
    "AveragePooling2D",
    "BatchNormalization",
    "Concatenate",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "GlobalAveragePooling2D",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Layer",
    "MaxPooling2D",
    "Maximum",
    "Minimum",
    "Multiply",
    "Reshape",
    "SpatialDropout2D",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "maximum",
    "minimum",
    "multiply",
    "resolve_activation",
    "subtract",
]
# Issue 13, activation and utility layers.
__all__ += [
    "ELU",
    "ActivityRegularization",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Identity",
    "Lambda",
    "LeakyReLU",
    "PReLU",
    "Permute",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Softmax",
]

# issue 13, layers B
__all__ += [
    "AveragePooling1D",
    "Conv1D",
    "Cropping2D",
    "Embedding",
    "LayerNormalization",
    "MaxPooling1D",
    "UpSampling2D",
    "ZeroPadding2D",
]

# issue 13, transposed and depthwise convolutions
__all__ += ["Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D"]

# Issue 13, the image augmentation layers.
from rustgrad.keras.layers.augment import (
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)

__all__ += [
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
]

# Keras' other names for the same classes (`layers.MaxPool2D is layers.MaxPooling2D`), which
# tutorials use as often as the long ones.
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose
SeparableConvolution2D = SeparableConv2D

__all__ += [
    "AvgPool1D",
    "AvgPool2D",
    "Convolution1D",
    "Convolution2D",
    "Convolution2DTranspose",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "MaxPool1D",
    "MaxPool2D",
    "SeparableConvolution2D",
]

# Preprocessing: Normalization (adapt to the data, then fit).
from rustgrad.keras.layers.normalization import Normalization

__all__ += ["Normalization"]

# Recurrent layers and their Bidirectional wrapper.
from rustgrad.keras.layers.bidirectional import Bidirectional
from rustgrad.keras.layers.recurrent import GRU, LSTM, SimpleRNN
from rustgrad.keras.layers.rnn_layer import RNN, GRUCell, LSTMCell, SimpleRNNCell
from rustgrad.keras.layers.time_distributed import TimeDistributed

__all__ += ["GRU", "LSTM", "Bidirectional", "SimpleRNN", "TimeDistributed"]
__all__ += ["RNN", "GRUCell", "LSTMCell", "SimpleRNNCell"]
