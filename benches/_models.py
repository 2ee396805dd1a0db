"""The benches' MNIST networks, written once for every library with Keras' API (rustgrad's keras
or tf.keras is passed in): the tutorial's MLP 784-128-10 and the CNN
conv32-pool-conv64-pool-dense128-dense10."""


def mlp_layers(keras):
    layers = keras.layers
    return [layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax")]


def cnn_layers(keras):
    layers = keras.layers
    return [
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]


def mnist_mlp(keras):
    """The MLP as a Sequential model on flat (784,) images."""
    return keras.Sequential([keras.Input((784,)), *mlp_layers(keras)])


def mnist_cnn(keras):
    """The CNN as a Sequential model on (28, 28, 1) images."""
    return keras.Sequential([keras.Input((28, 28, 1)), *cnn_layers(keras)])
