"""Grad-mode switches (`no_grad`, `enable_grad` as context managers and decorators) and
`grad`, PyTorch's `torch.autograd.grad`."""

import functools

from rustgrad import _core


class _GradMode:
    """Sets grad mode on entry and restores the previous mode on exit (per thread)."""

    _mode = True

    def __enter__(self):
        self._prev = _core.set_grad_enabled(self._mode)
        return self

    def __exit__(self, *exc):
        _core.set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Record no graph inside: results have requires_grad False and cannot be backpropagated."""

    _mode = False


class enable_grad(_GradMode):
    """Record the graph again inside a no_grad block."""

    _mode = True


class set_grad_enabled(_GradMode):
    """`set_grad_enabled(False)` turns recording off now; as a context manager it restores on exit.

    As torch.set_grad_enabled; also usable as a decorator.

    Args:
        mode: whether ops record a graph.
    """

    def __init__(self, mode: bool):
        self._prev = _core.set_grad_enabled(bool(mode))
        self._mode = bool(mode)

    def __enter__(self):
        return self


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    materialize_grads=False,
):
    """d(outputs)/d(inputs) as a tuple of new tensors, like `torch.autograd.grad`; `.grad` of every
    tensor is left alone. An input `outputs` does not depend on raises, unless
    `allow_unused=True` (then None, or zeros with `materialize_grads=True`).

    Args:
        outputs: the Tensor to differentiate (or a one-element list of it).
        inputs: a Tensor or a sequence of Tensors that require grad.
        grad_outputs: None (for a scalar output), or the output's gradient to start from.
        retain_graph: keep the graph for another backward.
        create_graph: only False (no higher-order derivatives).
        allow_unused: return None for an input the output does not depend on.
        materialize_grads: return zeros instead of None for such an input.

    Returns:
        tuple: one gradient Tensor (or None) per input.

    Raises:
        NotImplementedError: for create_graph=True.
        ValueError: for several outputs.
        GraphError: when an input does not require grad or is unused (without allow_unused).
    """
    if create_graph:
        raise NotImplementedError(
            "grad(create_graph=True): rustgrad's backward does not record a graph of the "
            "gradients, so higher-order derivatives are not available"
        )
    if isinstance(outputs, (list, tuple)):
        if len(outputs) != 1:
            raise ValueError("grad: rustgrad differentiates one output at a time")
        outputs = outputs[0]
        if isinstance(grad_outputs, (list, tuple)):
            grad_outputs = grad_outputs[0]
    one = isinstance(inputs, _core.Tensor)
    xs = [inputs] if one else list(inputs)
    for i, x in enumerate(xs):
        if not x.requires_grad:
            raise _core.GraphError(
                f"grad: input {i} does not require grad (as torch.autograd.grad)"
            )
    gs = _core.grad(outputs, xs, grad_outputs, bool(retain_graph))
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, (x, g) in enumerate(zip(xs, gs)):
        if g is None and not allow_unused:
            raise _core.GraphError(
                f"grad: input {i} (shape {tuple(x.shape)}) was not used to compute the output; "
                "pass allow_unused=True to get None for it"
            )
    if materialize_grads:
        gs = [_core.zeros(*x.shape) if g is None else g for x, g in zip(xs, gs)]
    return tuple(gs)
