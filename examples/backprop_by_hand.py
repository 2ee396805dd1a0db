"""Assignment 4: backpropagation by hand for a one-hidden-layer network, checked three ways.

The network: h = tanh(x·W1 + b1), z = h·W2 + b2, loss = mean cross-entropy of softmax(z) against
one-hot labels y. Its gradients are derived with the chain rule and written out in NumPy below;
they are then compared with
  - rustgrad's autograd in PyTorch's dialect (the network built from Tensors, then
    loss.backward() fills each .grad),
  - the same autograd in TensorFlow's dialect (Variables, tf.GradientTape, tape.gradient),
  - rustgrad.gradcheck (autograd against central finite differences), and
  - finite differences of the hand-written loss itself (rustgrad.numerical_grad).
It prints the largest difference of each check, and plots the hand gradient of W1 against autograd's.

Run:  python examples/backprop_by_hand.py [--quick] [--out DIR]
"""

from __future__ import annotations

import numpy as np
import rustgrad as tf
from _common import parse_args, print_table, pyplot, save

# ---- 1. Forward pass, keeping what the backward pass needs ---------------------------------------


def forward(x, y, W1, b1, W2, b2):
    a = x @ W1 + b1  # hidden pre-activation
    h = np.tanh(a)
    z = h @ W2 + b2  # logits
    z = z - z.max(axis=1, keepdims=True)  # softmax is shift-invariant; this avoids overflow
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(y * np.log(p), axis=1))
    return loss, (h, p)


# ---- 2. Backward pass: the chain rule, one line per layer ----------------------------------------


def backward(x, y, W1, b1, W2, b2):
    """Gradients of the mean cross-entropy with respect to W1, b1, W2, b2, derived by hand."""
    n = len(x)
    loss, (h, p) = forward(x, y, W1, b1, W2, b2)
    # Softmax followed by cross-entropy has the famously simple derivative p − y (per sample);
    # the mean over the batch divides it by n.
    dz = (p - y) / n
    dW2 = h.T @ dz  # z = h·W2 + b2  →  dL/dW2 = hᵀ·dz
    db2 = dz.sum(axis=0)  # b2 is added to every row, so its gradient sums over rows
    dh = dz @ W2.T  # ... and dL/dh = dz·W2ᵀ, passed back to the hidden layer
    da = dh * (1.0 - h**2)  # tanh'(a) = 1 − tanh(a)²
    dW1 = x.T @ da
    db1 = da.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


# ---- 3. The same network in rustgrad, for autograd and gradcheck ---------------------------------


def rustgrad_loss(x, y):
    """A function of the four parameters (Tensors) giving the same scalar loss."""

    def loss(W1, b1, W2, b2):
        h = tf.tanh(x @ W1 + b1)
        z = h @ W2 + b2
        return -(y * tf.log_softmax(z, axis=1)).sum(axis=1).mean()

    return loss


def main() -> int:
    args = parse_args(__doc__, "backprop_by_hand")
    n, d_in, d_hidden, d_out = (16, 5, 8, 3) if args.quick else (64, 10, 32, 4)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d_in))
    y = np.eye(d_out)[rng.integers(0, d_out, size=n)]
    # float32 values from the start, so NumPy (float64) and rustgrad (float32) see the same numbers.
    params = [
        (rng.normal(size=s) * scale).astype(np.float32).astype(np.float64)
        for s, scale in [
            ((d_in, d_hidden), 1 / np.sqrt(d_in)),
            ((d_hidden,), 0.1),
            ((d_hidden, d_out), 1 / np.sqrt(d_hidden)),
            ((d_out,), 0.1),
        ]
    ]
    names = ["W1", "b1", "W2", "b2"]

    hand_loss, hand = backward(x, y, *params)

    # Autograd: build the graph from leaf Tensors and let loss.backward() fill each .grad.
    fn = rustgrad_loss(tf.tensor(x.astype(np.float32)), tf.tensor(y.astype(np.float32)))
    leaves = [tf.tensor(p.astype(np.float32), requires_grad=True) for p in params]
    loss = fn(*leaves)
    loss.backward()
    auto = [leaf.grad.numpy().astype(np.float64) for leaf in leaves]

    # TensorFlow's dialect: Variables are watched by the tape, tape.gradient returns new tensors.
    variables = [tf.Variable(p.astype(np.float32), name=n) for p, n in zip(params, names)]
    with tf.GradientTape() as tape:
        tape_loss = fn(*variables)
    tape_grads = tape.gradient(tape_loss, variables)
    taped = [g.numpy().astype(np.float64) for g in tape_grads]

    # Finite differences of the hand-written NumPy loss: (L(θ+ε) − L(θ−ε)) / 2ε per element,
    # in float64, so they check the derivation independently of rustgrad.
    def numeric_grad(i, eps=1e-6):
        g = np.zeros_like(params[i])
        for j in np.ndindex(g.shape):
            shifted = [p.copy() for p in params]
            shifted[i][j] += eps
            up = forward(x, y, *shifted)[0]
            shifted[i][j] -= 2 * eps
            g[j] = (up - forward(x, y, *shifted)[0]) / (2 * eps)
        return g

    numeric = [numeric_grad(i) for i in range(4)]

    rows = []
    for name, h_g, a_g, t_g, n_g in zip(names, hand, auto, taped, numeric):
        rows.append(
            [
                name,
                str(h_g.shape),
                np.abs(h_g - a_g).max(),
                np.abs(h_g - t_g).max(),
                np.abs(h_g - n_g).max(),
            ]
        )
    print_table(
        [
            "parameter",
            "shape",
            "max |hand − backward()|",
            "max |hand − GradientTape|",
            "max |hand − finite diff|",
        ],
        rows,
        title=f"Hand-written gradients (loss {hand_loss:.5f}; rustgrad's loss {loss.item():.5f})",
        out=args.out,
    )
    max_auto = max(r[2] for r in rows)
    max_tape = max(r[3] for r in rows)
    max_numeric = max(r[4] for r in rows)

    # rustgrad.gradcheck: autograd against its own central differences (float32, eps 1e-3).
    ok = tf.gradcheck(fn, leaves, raise_exception=False)
    num = tf.numerical_grad(fn, [p.astype(np.float32) for p in params])
    max_gc = max(np.abs(a - g).max() for a, g in zip(auto, num))
    print(f"largest difference, hand vs autograd:        {max_auto:.3e}")
    print(f"largest difference, hand vs GradientTape:    {max_tape:.3e}")
    print(f"largest difference, hand vs finite diff:     {max_numeric:.3e}")
    print(f"largest difference, autograd vs gradcheck:   {max_gc:.3e}  (gradcheck passed: {ok})")

    # One picture of agreement: every gradient element, hand against autograd, on the diagonal.
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    for name, h_g, a_g in zip(names, hand, auto):
        ax.scatter(a_g.ravel(), h_g.ravel(), s=10, label=name)
    lim = max(np.abs(g).max() for g in hand) * 1.1
    ax.plot([-lim, lim], [-lim, lim], color="grey", lw=0.8, zorder=0)
    ax.set_xlabel("rustgrad autograd")
    ax.set_ylabel("by hand (NumPy)")
    ax.set_title("Each gradient element: hand vs autograd")
    ax.legend()
    fig.tight_layout()
    save(fig, args.out, "hand_vs_autograd")
    return 0 if ok and max(max_auto, max_tape) < 1e-4 and max_numeric < 1e-6 else 1


if __name__ == "__main__":
    raise SystemExit(main())
