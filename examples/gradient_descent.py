"""Assignment 1: gradient descent, written from scratch and then with rustgrad, on linear regression.

1. A 10-line gradient-descent function in NumPy fits y = X·w + b by minimising the mean squared error.
2. The same fit with rustgrad's autograd, in both dialects learners meet:
   PyTorch's (`loss.backward()`, then `with no_grad(): w -= lr * w.grad`) and
   TensorFlow's (`tf.GradientTape`, `tf.Variable`, `optimizer.apply_gradients`).
3. All three are compared with the closed-form least-squares solution (they agree to < 1e-3).
4. The learning rate decides everything: too small crawls, a good one converges, one above 2/λmax
   (λmax = largest curvature of the loss) diverges. Plot: loss against step for the three.

Run:  python examples/gradient_descent.py [--quick] [--out DIR]
"""

from __future__ import annotations

import numpy as np
import rustgrad as tf
from _common import parse_args, print_table, pyplot, save

# ---- 1. The data and the answer we expect -------------------------------------------------------


def make_data(n: int, seed: int = 0):
    """y = 3·x1 − 2·x2 + 0.5 + noise, with x1 and x2 mildly correlated (as real features are)."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = 0.5 * x1 + rng.normal(size=n)
    X = np.stack([x1, x2], axis=1)
    y = 3.0 * x1 - 2.0 * x2 + 0.5 + 0.3 * rng.normal(size=n)
    return X, y


def closed_form(X, y):
    """Least squares solved directly: the w, b that gradient descent should arrive at."""
    A = np.hstack([X, np.ones((len(X), 1))])
    sol, *_ = np.linalg.lstsq(A, y, rcond=None)
    return sol[:-1], sol[-1]


# ---- 2. Gradient descent from scratch (NumPy) ---------------------------------------------------


def mse_and_grad(X, y, w, b):
    """L = mean((X·w + b − y)²);  dL/dw = 2/n · Xᵀ·r,  dL/db = 2/n · Σr  with r the residual."""
    r = X @ w + b - y
    return np.mean(r**2), 2.0 * X.T @ r / len(y), 2.0 * np.mean(r)


def gradient_descent(X, y, lr: float, steps: int):
    """Plain gradient descent from w = 0, b = 0; returns w, b and the loss before every step."""
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(steps):
        loss, dw, db = mse_and_grad(X, y, w, b)
        losses.append(loss)
        if not np.isfinite(loss):  # diverged: the numbers only get bigger from here
            break
        w, b = w - lr * dw, b - lr * db  # step against the gradient, scaled by the learning rate
    return w, b, losses


# ---- 3. The same fit with rustgrad's autograd, in both dialects --------------------------------


def fit_pytorch_style(X, y, lr: float, steps: int):
    """Autograd fills w.grad and b.grad; the update is written by hand, in place, under no_grad
    (so it is not itself recorded), and the gradients are zeroed for the next step."""
    Xt = tf.tensor(X.astype(np.float32))
    yt = tf.tensor(y.astype(np.float32).reshape(-1, 1))
    w = tf.zeros((X.shape[1], 1), requires_grad=True)
    b = tf.zeros((1,), requires_grad=True)
    for _ in range(steps):
        loss = ((Xt @ w + b - yt) ** 2).mean()
        loss.backward()
        with tf.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w.numpy().reshape(-1).astype(np.float64), float(b.item())


def fit_tensorflow_style(X, y, lr: float, steps: int):
    """A GradientTape records the forward pass; tape.gradient returns the gradients and
    SGD.apply_gradients updates the Variables in place (as in TensorFlow)."""
    Xt = tf.constant(X.astype(np.float32))
    yt = tf.constant(y.astype(np.float32).reshape(-1, 1))
    w = tf.Variable(tf.zeros((X.shape[1], 1)), name="w")
    b = tf.Variable(tf.zeros((1,)), name="b")
    opt = tf.keras.optimizers.SGD(learning_rate=lr)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(Xt, w) + b - yt))
        grads = tape.gradient(loss, [w, b])
        opt.apply_gradients(zip(grads, [w, b]))
    return w.numpy().reshape(-1).astype(np.float64), float(b.numpy().item())


# ---- 4. Run everything ---------------------------------------------------------------------------


def main() -> int:
    args = parse_args(__doc__, "gradient_descent")
    X, y = make_data(100 if args.quick else 1000)
    w_star, b_star = closed_form(X, y)

    # The loss is a quadratic whose curvature (Hessian) is 2/n·AᵀA; steps larger than 2/λmax
    # overshoot the minimum by more than they gain and the loss grows without bound.
    A = np.hstack([X, np.ones((len(X), 1))])
    lam = np.linalg.eigvalsh(2.0 * A.T @ A / len(y))
    good = 1.0 / lam.max()
    print(f"curvature of the loss: λmin {lam.min():.3f}, λmax {lam.max():.3f}")
    print(f"stable learning rates: below 2/λmax = {2 / lam.max():.3f}; we use {good:.3f}")

    steps = 300
    w_np, b_np, _ = gradient_descent(X, y, good, steps)
    w_pt, b_pt = fit_pytorch_style(X, y, good, steps)
    w_tf, b_tf = fit_tensorflow_style(X, y, good, steps)

    def diff(w, b):
        return max(np.abs(w - w_star).max(), abs(b - b_star))

    print_table(
        ["method", "steps", "w1", "w2", "b", "max |diff| vs closed form"],
        [
            ["closed form (lstsq)", "-", w_star[0], w_star[1], b_star, 0.0],
            ["NumPy gradient descent", steps, w_np[0], w_np[1], b_np, diff(w_np, b_np)],
            ["rustgrad, PyTorch style", steps, w_pt[0], w_pt[1], b_pt, diff(w_pt, b_pt)],
            ["rustgrad, TensorFlow style", steps, w_tf[0], w_tf[1], b_tf, diff(w_tf, b_tf)],
        ],
        title="Linear regression: gradient descent against the closed-form solution",
        out=args.out,
    )
    worst = max(diff(w_np, b_np), diff(w_pt, b_pt), diff(w_tf, b_tf))
    print(f"closed-form match: largest difference {worst:.2e}")

    # ---- 5. Learning rate: too small, good, too large -------------------------------------------
    rates = {
        "too small (0.02/λmax)": 0.02 / lam.max(),
        "good (1/λmax)": good,
        "too large (2.2/λmax)": 2.2 / lam.max(),
    }
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    rows = []
    for label, lr in rates.items():
        _, _, losses = gradient_descent(X, y, lr, 60)
        ax.plot(range(len(losses)), losses, label=f"{label}: lr={lr:.3f}")
        rows.append([label, lr, losses[0], losses[-1]])
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("mean squared error")
    ax.set_title("Gradient descent on linear regression: the learning rate")
    ax.legend()
    print_table(["learning rate", "value", "loss at step 0", "loss at step 60"], rows, out=args.out)
    save(fig, args.out, "learning_rates")
    return 0 if worst < 1e-3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
