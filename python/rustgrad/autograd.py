"""Grad-mode switches: `no_grad` and `enable_grad` as context managers and decorators."""

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
    """`set_grad_enabled(False)` turns recording off now; as a context manager it restores on exit."""

    def __init__(self, mode: bool):
        self._prev = _core.set_grad_enabled(bool(mode))
        self._mode = bool(mode)

    def __enter__(self):
        return self
