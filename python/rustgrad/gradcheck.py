"""Numerical gradient checks for learners (assignment 4): central differences against autograd.

The function runs in float32 (rustgrad's storage type), so differences are taken in float64 around
float32 evaluations with eps 1e-3: a smaller step would measure rounding noise, not the slope.
"""

import numpy as np

from rustgrad._core import Tensor, tensor
from rustgrad.autograd import no_grad


class GradcheckError(AssertionError):
    """Autograd and central differences disagree."""


def _scalar(out, weights):
    # A non-scalar output is checked through a fixed random projection <out, w>.
    if out.size == 1:
        return out.sum()
    return (out * weights).sum()


def _projection(fn, inputs, seed=0):
    with no_grad():
        out = fn(*inputs)
    if out.size == 1:
        return None
    return tensor(np.random.default_rng(seed).standard_normal(out.shape).astype(np.float32))


def numerical_grad(fn, inputs, eps=1e-3, weights=None):
    """Central-difference gradients (float64 arrays) of `fn(*inputs)` summed (or projected on `weights`).

    Args:
        fn: a function of Tensors returning a Tensor.
        inputs: the points (arrays or Tensors), one per argument of fn.
        eps: the finite-difference step.
        weights: None (the output is summed), or a Tensor the output is projected on.

    Returns:
        list[numpy.ndarray]: one gradient per input.
    """
    values = [np.asarray(x, dtype=np.float64).copy() for x in inputs]
    grads = []
    for i, v in enumerate(values):
        g = np.zeros_like(v)
        flat, gflat = v.reshape(-1), g.reshape(-1)
        for j in range(flat.size):
            old = flat[j]
            res = []
            for step in (eps, -eps):
                flat[j] = old + step
                args = [tensor(a) for a in values]
                with no_grad():
                    out = fn(*args)
                    res.append(float(_scalar(out, weights).item()))
            flat[j] = old
            gflat[j] = (res[0] - res[1]) / (2 * eps)
        grads.append(g)
        values[i] = v
    return grads


def gradcheck(fn, inputs, eps=1e-3, atol=1e-3, rtol=1e-2, raise_exception=True):
    """True when autograd's gradients of `fn` match central differences at `inputs`.

    `inputs` are Tensors (or arrays); every one is checked. On a mismatch a GradcheckError names the
    input, the element and both values, unless raise_exception=False (then False is returned).

    Args:
        fn: a function of Tensors returning a Tensor.
        inputs: the points (arrays or Tensors), one per argument of fn.
        eps: the finite-difference step.
        atol: the absolute tolerance.
        rtol: the tolerance relative to the numerical gradient.
        raise_exception: raise on a mismatch instead of returning False.

    Returns:
        bool: True when every gradient matches.

    Raises:
        GradcheckError: on a mismatch, when raise_exception is True.
    """
    leaves = [tensor(np.asarray(x, dtype=np.float32), requires_grad=True) for x in inputs]
    weights = _projection(fn, leaves)
    out = _scalar(fn(*leaves), weights)
    out.backward()
    numeric = numerical_grad(fn, [x.numpy() for x in leaves], eps=eps, weights=weights)
    for i, (leaf, num) in enumerate(zip(leaves, numeric)):
        ana = np.zeros_like(num) if leaf.grad is None else np.asarray(leaf.grad, dtype=np.float64)
        bad = np.abs(ana - num) > atol + rtol * np.abs(num)
        if bad.any():
            j = np.unravel_index(np.argmax(np.abs(ana - num)), num.shape) if num.ndim else ()
            msg = (
                f"gradcheck: input {i} element {tuple(int(k) for k in j)}: autograd {ana[j]:.6g} "
                f"vs numerical {num[j]:.6g} (max abs diff {np.abs(ana - num).max():.3g})"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


__all__ = ["GradcheckError", "Tensor", "gradcheck", "numerical_grad"]
