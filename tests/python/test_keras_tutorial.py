"""The tutorial's tf.keras listings (sections 1.1, 2.1, 2.2, 4.2) run unchanged with `import rustgrad as tf`."""

from __future__ import annotations

import numpy as np

# Each listing is the tutorial's text with only the import line changed.
LISTING_1_1 = """
import rustgrad as tf

# Define a simple linear model
model = tf.keras.models.Sequential([
  tf.keras.layers.Dense(units=1, input_shape=[1])
])

# Compile the model with SGD optimizer and mean squared error loss
model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.01),
              loss='mse')

# Train the model (using sample data)
model.fit(x_train, y_train, epochs=10)
"""

LISTING_2_1 = """
import rustgrad as tf

# Define a simple model for regression
model = tf.keras.models.Sequential([
  tf.keras.layers.Dense(units=1, input_shape=[1])
])

# Compile the model with MSE loss
model.compile(loss='mse')

# Train the model
model.fit(x_train, y_train, epochs=10)
"""

LISTING_2_2 = """
import rustgrad as tf

# Define a simple model for binary classification
model = tf.keras.models.Sequential([
  tf.keras.layers.Dense(units=1, activation='sigmoid', input_shape=[1])
])

# Compile the model with binary cross-entropy loss
model.compile(loss='binary_crossentropy')

# Train the model
model.fit(x_train, y_train, epochs=10)
"""

LISTING_4_2 = """
import rustgrad as tf

# Load MNIST dataset
(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()

# Preprocess data
x_train = x_train.astype('float32') / 255.0
x_test = x_test.astype('float32') / 255.0
y_train = tf.keras.utils.to_categorical(y_train, num_classes=10)
y_test = tf.keras.utils.to_categorical(y_test, num_classes=10)

# Define the model
model = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(28, 28)),
  tf.keras.layers.Dense(units=128, activation='relu'),
  tf.keras.layers.Dense(units=10, activation='softmax')
])

# Compile the model
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])

# Train the model
model.fit(x_train, y_train, epochs=10, batch_size=32)

# Evaluate the model
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print('Test Loss:', loss)
print('Test Accuracy:', accuracy)
"""


def run(listing: str, **names) -> dict:
    ns = dict(names)
    exec(compile(listing, "<listing>", "exec"), ns)  # noqa: S102 - the tutorial's own code
    return ns


def regression_data(n=1024):
    x_train = np.linspace(-2, 2, n).astype(np.float32)
    return x_train, 2.0 * x_train + 1.0


def test_listing_1_1_sgd_mse_learns_a_line(capsys):
    x_train, y_train = regression_data()
    ns = run(LISTING_1_1, x_train=x_train, y_train=y_train)
    losses = ns["model"].history.history["loss"]
    assert len(losses) == 10
    assert losses[-1] < 0.05 * losses[0]
    (kernel, bias) = ns["model"].get_weights()
    assert kernel.shape == (1, 1) and bias.shape == (1,)
    assert abs(kernel[0, 0] - 2.0) < 0.2 and abs(bias[0] - 1.0) < 0.2
    assert "Epoch 10/10" in capsys.readouterr().out


def test_listing_2_1_default_rmsprop_reduces_mse():
    x_train, y_train = regression_data()
    ns = run(LISTING_2_1, x_train=x_train, y_train=y_train)
    losses = ns["model"].history.history["loss"]
    assert len(losses) == 10 and losses[-1] < losses[0]
    assert ns["model"].optimizer.core_name == "rmsprop"


def test_listing_2_2_binary_crossentropy_reduces_loss():
    x_train = np.linspace(-3, 3, 512).astype(np.float32)
    y_train = (x_train > 0).astype(np.float32)
    ns = run(LISTING_2_2, x_train=x_train, y_train=y_train)
    losses = ns["model"].history.history["loss"]
    assert len(losses) == 10 and losses[-1] < losses[0]
    p = ns["model"].predict(x_train)
    assert p.shape == (512, 1) and np.all((p > 0) & (p < 1))


def test_listing_4_2_one_epoch_on_real_mnist(real_dataset_dir, capsys):
    real_dataset_dir("mnist")
    ns = run(LISTING_4_2.replace("epochs=10", "epochs=1"))
    assert ns["accuracy"] >= 0.95
    assert list(ns["model"].history.history) == ["loss", "accuracy"]
    assert "Test Accuracy:" in capsys.readouterr().out


def test_listing_4_2_unchanged_ten_epochs_on_real_mnist(real_dataset_dir):
    real_dataset_dir("mnist")
    ns = run(LISTING_4_2)
    assert len(ns["model"].history.history["loss"]) == 10
    assert ns["accuracy"] >= 0.97
