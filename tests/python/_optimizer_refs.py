"""NumPy float64 references of Keras 3's optimizer update rules (keras/src/optimizers/*.py)."""

from __future__ import annotations

import numpy as np


class Ref:
    """One update rule over a list of float64 arrays; `t` is the 1-based step."""

    def __init__(self, **kw):
        self.kw, self.state = kw, {}

    def slot(self, name, i, w, init=0.0):
        return self.state.setdefault((name, i), np.full_like(w, init))

    def apply(self, ws, gs, lr, t):
        self.begin(t)
        for i, (w, g) in enumerate(zip(ws, gs)):
            self.update(i, w, g, lr, t)

    def begin(self, t):
        pass


class Adadelta(Ref):
    def update(self, i, w, g, lr, t):
        rho, eps = self.kw.get("rho", 0.95), self.kw.get("epsilon", 1e-7)
        a, d = self.slot("a", i, w), self.slot("d", i, w)
        a[:] = rho * a + (1 - rho) * g * g
        delta = -np.sqrt(d + eps) / np.sqrt(a + eps) * g
        d[:] = rho * d + (1 - rho) * delta * delta
        w += lr * delta


class Adamax(Ref):
    def update(self, i, w, g, lr, t):
        b1, b2, eps = 0.9, 0.999, 1e-7
        m, u = self.slot("m", i, w), self.slot("u", i, w)
        m += (g - m) * (1 - b1)
        u[:] = np.maximum(b2 * u, np.abs(g))
        w -= lr * m / ((1 - b1**t) * (u + eps))


class Nadam(Ref):
    prod = 1.0

    def mu(self, t):
        return 0.9 * (1 - 0.5 * 0.96**t)

    def begin(self, t):
        self.prod *= self.mu(t)

    def update(self, i, w, g, lr, t):
        b1, b2, eps = 0.9, 0.999, 1e-7
        m, v = self.slot("m", i, w), self.slot("v", i, w)
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        nxt = self.mu(t + 1)
        m_hat = nxt * m / (1 - self.prod * nxt) + (1 - self.mu(t)) * g / (1 - self.prod)
        w -= lr * m_hat / (np.sqrt(v / (1 - b2**t)) + eps)


class Ftrl(Ref):
    def update(self, i, w, g, lr, t):
        k = self.kw
        p, l1 = k.get("learning_rate_power", -0.5), k.get("l1_regularization_strength", 0.0)
        l2 = k.get("l2_regularization_strength", 0.0) + k.get("beta", 0.0) / (2 * lr)
        shrink = k.get("l2_shrinkage_regularization_strength", 0.0)
        n = self.slot("n", i, w, k.get("initial_accumulator_value", 0.1))
        z = self.slot("z", i, w)
        gs = g + 2 * shrink * w
        n_new = n + g * g
        z += gs - (n_new ** (-p) - n ** (-p)) / lr * w
        w[:] = (np.clip(z, -l1, l1) - z) / (n_new ** (-p) / lr + 2 * l2)
        n[:] = n_new


class Lion(Ref):
    def update(self, i, w, g, lr, t):
        b1, b2 = 0.9, 0.99
        m = self.slot("m", i, w)
        w -= lr * np.sign(b1 * m + (1 - b1) * g)
        m[:] = b2 * m + (1 - b2) * g


class Lamb(Ref):
    def update(self, i, w, g, lr, t):
        b1, b2, eps = 0.9, 0.999, 1e-7
        m, v = self.slot("m", i, w), self.slot("v", i, w)
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        r = m / (1 - b1**t) / (np.sqrt(v / (1 - b2**t)) + eps)
        wn, rn = np.linalg.norm(w), np.linalg.norm(r)
        ratio = wn / rn if wn > 0 and rn > 0 else 1.0
        w -= lr * ratio * r


class SGD(Ref):
    def update(self, i, w, g, lr, t):
        w -= lr * g


REFS = {
    "adadelta": Adadelta,
    "adamax": Adamax,
    "nadam": Nadam,
    "ftrl": Ftrl,
    "lion": Lion,
    "lamb": Lamb,
}


def dense_mse_grads(x, y, w, b):
    """Gradients of Keras' mse (mean over every element) for y ≈ x·w + b."""
    err = x @ w + b - y
    d = 2.0 * err / err.size
    return [x.T @ d, d.sum(axis=0)]
