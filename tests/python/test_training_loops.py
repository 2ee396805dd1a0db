"""Training loops written by hand, in both dialects, through the Tensor API only (no fit): PyTorch's
(`loss.backward()`, `with no_grad(): w -= lr * w.grad`) and TensorFlow's (`GradientTape`,
`Variable`, `optimizer.apply_gradients`). Linear regression must reach the closed-form solution;
the tutorial's MNIST MLP must reach 0.94 test accuracy after one epoch on real MNIST."""

from __future__ import annotations

import numpy as np
import pytest
import rustgrad as tf

# ---- linear regression against least squares ------------------------------------------------------


def regression_data(n=400, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = (X @ np.array([1.5, -2.0, 0.7]) + 0.3 + 0.1 * rng.normal(size=n)).astype(np.float32)
    A = np.hstack([X, np.ones((n, 1))]).astype(np.float64)
    sol, *_ = np.linalg.lstsq(A, y.astype(np.float64), rcond=None)
    return X, y.reshape(-1, 1), sol[:-1], sol[-1]


def test_pytorch_style_sgd_reaches_the_closed_form():
    X, y, w_star, b_star = regression_data()
    Xt, yt = tf.tensor(X), tf.tensor(y)
    w = tf.zeros(3, 1, requires_grad=True)
    b = tf.zeros(1, requires_grad=True)
    w_id = id(w)
    for _ in range(400):
        loss = ((Xt @ w + b - yt) ** 2).mean()
        loss.backward()
        with tf.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad.zero_()
        b.grad.zero_()
    # The in-place update kept the same leaf, still requiring grad (PyTorch's semantics).
    assert id(w) == w_id and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy().ravel(), w_star, atol=1e-4)
    np.testing.assert_allclose(b.item(), b_star, atol=1e-4)


def test_tensorflow_style_tape_reaches_the_closed_form():
    X, y, w_star, b_star = regression_data()
    w = tf.Variable(tf.zeros((3, 1)), name="w")
    b = tf.Variable(tf.zeros((1,)), name="b")
    opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    for _ in range(400):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(tf.constant(X), w) + b - y))
        grads = tape.gradient(loss, [w, b])
        assert w.grad is None  # the tape returns gradients; it leaves .grad alone
        opt.apply_gradients(zip(grads, [w, b]))
    np.testing.assert_allclose(w.numpy().ravel(), w_star, atol=1e-4)
    np.testing.assert_allclose(b.numpy().item(), b_star, atol=1e-4)


def test_variable_assign_sub_loop_matches_numpy_gradient_descent():
    X, y, _, _ = regression_data(n=50)
    w = tf.Variable(np.zeros((3, 1), np.float32))
    w_np = np.zeros((3, 1))
    for _ in range(20):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.constant(X) @ w - y) ** 2)
        (g,) = tape.gradient(loss, [w])
        w.assign_sub(0.05 * g)
        r = X.astype(np.float64) @ w_np - y
        w_np -= 0.05 * 2.0 * X.T @ r / len(y)
    np.testing.assert_allclose(w.numpy(), w_np, rtol=1e-4, atol=1e-5)


# ---- the tutorial's MNIST MLP, one epoch --------------------------------------------------------


@pytest.fixture(scope="module")
def mnist():
    try:
        (x, y), (xt, yt) = tf.keras.datasets.mnist.load_data()
    except Exception as e:  # noqa: BLE001 - no real MNIST on this machine: skip, say why
        pytest.skip(f"real MNIST not found: {e}")
    flat = lambda a: (a.reshape(len(a), -1) / 255.0).astype(np.float32)
    return flat(x), y.astype(np.int64), flat(xt), yt.astype(np.int64)


def glorot(rng, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)


def accuracy(logits, labels):
    return float((np.asarray(logits).argmax(1) == labels).mean())


def test_mnist_mlp_pytorch_style_sgd_one_epoch(mnist):
    x, y, xt, yt = mnist
    rng = np.random.default_rng(0)
    params = [
        tf.tensor(glorot(rng, 784, 128), requires_grad=True),
        tf.zeros(128, requires_grad=True),
        tf.tensor(glorot(rng, 128, 10), requires_grad=True),
        tf.zeros(10, requires_grad=True),
    ]
    W1, b1, W2, b2 = params
    order = rng.permutation(len(x))
    for i in range(0, len(x), 32):
        idx = order[i : i + 32]
        xb, yb = tf.tensor(x[idx]), tf.one_hot(y[idx], 10)
        logits = (xb @ W1 + b1).relu() @ W2 + b2
        loss = -(tf.log_softmax(logits, axis=1) * yb).sum(axis=1).mean()
        loss.backward()
        with tf.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad.zero_()
    with tf.no_grad():
        test_logits = (tf.tensor(xt) @ W1 + b1).relu() @ W2 + b2
    assert accuracy(test_logits, yt) >= 0.94


def test_mnist_mlp_tensorflow_style_tape_one_epoch(mnist):
    x, y, xt, yt = mnist
    tf.manual_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.layers.Dense(128, activation="relu", input_shape=(784,)),
            tf.keras.layers.Dense(10),
        ]
    )
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(10_000, seed=0).batch(32)
    steps = 0
    for xb, yb in dataset:
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            loss = loss_fn(yb, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        steps += 1
    assert steps == 1875
    assert accuracy(model(xt), yt) >= 0.94
    # The hand loop trained the same weights predict uses.
    np.testing.assert_allclose(model.predict(xt[:64], verbose=0), model(xt[:64]).numpy(), atol=1e-5)
