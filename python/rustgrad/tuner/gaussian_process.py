"""A Gaussian-process regressor in NumPy (Matern 5/2 kernel, unit length scale, targets
normalised), the model KerasTuner's BayesianOptimization fits to past trials."""

from __future__ import annotations

import numpy as np


def matern52(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The Matern kernel with nu = 5/2 between the rows of `a` and `b`.

    Args:
        a: (n, d) points.
        b: (m, d) points.

    Returns:
        The (n, m) kernel matrix.
    """
    d = np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0.0)) * np.sqrt(5.0)
    return (1.0 + d + d**2 / 3.0) * np.exp(-d)


class GaussianProcess:
    """Fit on (x, y), predict the mean and standard deviation elsewhere.

    Args:
        alpha: Added to the kernel's diagonal: the noise expected in observed scores.
    """

    def __init__(self, alpha: float = 1e-4) -> None:
        self.alpha = float(alpha)

    def fit(self, x: np.ndarray, y: np.ndarray) -> GaussianProcess:
        """Condition on observed points.

        Args:
            x: (n, d) points in the unit cube.
            y: (n,) observed values.

        Returns:
            self.
        """
        self.x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        self.mean, self.std = y.mean(), y.std() or 1.0
        k = matern52(self.x, self.x) + self.alpha * np.eye(len(self.x))
        self.chol = np.linalg.cholesky(k)
        z = np.linalg.solve(self.chol, (y - self.mean) / self.std)
        self.weights = np.linalg.solve(self.chol.T, z)
        return self

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation.

        Args:
            x: (m, d) points.

        Returns:
            (mean, std), each of shape (m,).
        """
        ks = matern52(np.asarray(x, dtype=float), self.x)
        mu = ks @ self.weights
        v = np.linalg.solve(self.chol, ks.T)
        var = np.maximum(1.0 - (v**2).sum(0), 0.0)  # the kernel's diagonal is 1
        return mu * self.std + self.mean, np.sqrt(var) * self.std
