"""tf.GradientTape on rustgrad's autograd: what runs inside the `with` block is recorded as every
Tensor op is (trainable Variables and watched Tensors require gradients), and `gradient` walks
the graph back from the target to the sources asked, through the core's `grad`, which returns new
tensors and leaves every `.grad` as it was."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.autograd import no_grad


def _flatten(structure: Any) -> list:
    if isinstance(structure, dict):
        return [t for v in structure.values() for t in _flatten(v)]
    if isinstance(structure, (list, tuple)):
        return [t for v in structure for t in _flatten(v)]
    return [structure]


def _rebuild(structure: Any, values: list) -> Any:
    """`values` in the shape of `structure` (list, tuple, dict or one item), consumed in order."""
    if isinstance(structure, dict):
        return {k: _rebuild(v, values) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_rebuild(v, values) for v in structure)
    return values.pop(0)


class UnconnectedGradients:
    """What `gradient` returns for a source the target does not depend on (TensorFlow's enum)."""

    NONE = "none"
    ZERO = "zero"


class GradientTape:
    """`with GradientTape() as tape: loss = f(w)`, then `tape.gradient(loss, [w, ...])`.

    A non-persistent tape computes one set of gradients (the graph is freed after it), as in
    TensorFlow; `persistent=True` keeps the graph for several calls. Tensors that are not trainable
    Variables (or Tensors with requires_grad) must be passed to `watch` before they are used. Unlike
    TensorFlow's tape, rustgrad records every op on tensors that require gradients, inside the
    block or not: the tape chooses what to differentiate, not what is recorded.

    Args:
        persistent: keep the graph so gradient can be called more than once.
        watch_accessed_variables: differentiate with respect to every trainable source; when
            False only the tensors passed to `watch` count.
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._used = False
        self._watched: set[int] = set()

    def __enter__(self) -> GradientTape:  # noqa: PYI034 - Python 3.9 has no typing.Self
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def watch(self, tensor: Any) -> None:
        """Record operations on `tensor` (a Tensor, or a structure of them) from now on.

        Args:
            tensor: a Tensor, or a list, tuple or dict of them; a leaf starts requiring grad.

        Raises:
            TypeError: when something other than Tensors is given.
        """
        for t in _flatten(tensor):
            if not isinstance(t, _core.Tensor):
                raise TypeError(f"GradientTape.watch expects Tensors, got {type(t).__name__}")
            if t.is_leaf and not t.requires_grad:
                t.requires_grad = True
            self._watched.add(hash(t))  # the tensor's identity, whichever wrapper holds it

    def stop_recording(self) -> no_grad:
        """`with tape.stop_recording():` runs its block without recording gradients."""
        return no_grad()

    def reset(self) -> None:
        """Forget the watched tensors and allow a new set of gradients (TensorFlow's reset)."""
        self._watched.clear()
        self._used = False

    def gradient(
        self,
        target: Any,
        sources: Any,
        output_gradients: Any = None,
        unconnected_gradients: Any = UnconnectedGradients.NONE,
    ) -> Any:
        """d(target)/d(source) for each source, in the sources' structure: new Tensors, and None
        (or zeros with `unconnected_gradients="zero"`) for a source the target does not reach.

        Args:
            target: a Tensor (a non-scalar one is summed, as TF), or a list of Tensors (their sum).
            sources: a Tensor or a structure (list, tuple, dict) of them.
            output_gradients: None, or the gradient of the target (its shape) to start from.
            unconnected_gradients: "none" (None) or "zero" for unreached sources.

        Returns:
            The gradients, in the structure of `sources`.

        Raises:
            RuntimeError: on a second call of a non-persistent tape.
            TypeError: when a target or source is not a Tensor.
            ValueError: for another unconnected_gradients, or output_gradients with a list.
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of gradients "
                "(or jacobians); use GradientTape(persistent=True)"
            )
        mode = getattr(unconnected_gradients, "value", unconnected_gradients)
        if mode not in (UnconnectedGradients.NONE, UnconnectedGradients.ZERO):
            raise ValueError(f"unconnected_gradients must be 'none' or 'zero', got {mode!r}")
        target = self._one_target(target, output_gradients)
        flat = _flatten(sources)
        for s in flat:
            if not isinstance(s, _core.Tensor):
                raise TypeError(f"GradientTape.gradient: sources must be Tensors, got {type(s)}")
        # With watch_accessed_variables=False only watch()ed tensors are sources.
        live = [
            s.requires_grad and (self.watch_accessed_variables or hash(s) in self._watched)
            for s in flat
        ]
        self._used = True
        grads: list = [None] * len(flat)
        if target.requires_grad and any(live):
            picked = [s for s, ok in zip(flat, live) if ok]
            seed = None
            if output_gradients is not None or target.shape != ():
                # TensorFlow differentiates the sum of a non-scalar target (a seed of ones).
                seed = _core.ones(*target.shape) if output_gradients is None else output_gradients
            found = iter(_core.grad(target, picked, seed, self.persistent))
            grads = [next(found) if ok else None for ok in live]
        if mode == UnconnectedGradients.ZERO:
            grads = [_core.zeros(*s.shape) if g is None else g for s, g in zip(flat, grads)]
        return _rebuild(sources, grads)

    def jacobian(
        self,
        target: Any,
        sources: Any,
        unconnected_gradients: Any = UnconnectedGradients.NONE,
        parallel_iterations: Any = None,
        experimental_use_pfor: bool = True,
    ) -> Any:
        """d(target[i])/d(source) for every element i: per source a Tensor of shape
        target.shape + source.shape (None, or zeros with unconnected_gradients="zero", for a
        source the target does not reach). One backward pass per element of the target.

        Args:
            target: a Tensor.
            sources: a Tensor or a structure (list, tuple, dict) of them.
            unconnected_gradients: "none" or "zero".
            parallel_iterations: TF's bound on parallel passes; rustgrad runs them one by one.
            experimental_use_pfor: TF's choice of vectorisation; the passes are the same either way.

        Returns:
            The jacobians, in the structure of `sources`.

        Raises:
            RuntimeError: on a second use of a non-persistent tape.
            TypeError: when the target or a source is not a Tensor.
        """
        if not isinstance(target, _core.Tensor):
            raise TypeError(f"GradientTape.jacobian: target must be a Tensor, got {type(target)}")
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of gradients "
                "(or jacobians); use GradientTape(persistent=True)"
            )
        flat = _flatten(sources)
        n = int(target.size)
        rows: list = [[] for _ in flat]
        persistent = self.persistent
        try:
            self.persistent = True  # the graph is kept for every row but freed by the last
            for i in range(n):
                if i == n - 1:
                    self.persistent, self._used = persistent, False
                seed = np.zeros(n, np.float32)
                seed[i] = 1.0
                grads = self.gradient(
                    target, flat, _core.tensor(seed.reshape(target.shape)), unconnected_gradients
                )
                for r, g in zip(rows, grads):
                    r.append(g)
        finally:
            self.persistent = persistent
        if n == 0:
            self._used = True
        out = []
        for s, r in zip(flat, rows):
            if n and all(g is None for g in r):
                out.append(None)
                continue
            parts = [(_core.zeros(*s.shape) if g is None else g).reshape(-1) for g in r]
            full = _core.stack(parts) if parts else _core.zeros(0, int(s.size))
            out.append(full.reshape(*target.shape, *s.shape))
        return _rebuild(sources, out)

    def batch_jacobian(
        self,
        target: Any,
        source: Any,
        unconnected_gradients: Any = UnconnectedGradients.NONE,
        parallel_iterations: Any = None,
        experimental_use_pfor: bool = True,
    ) -> Any:
        """Per example b, d(target[b])/d(source[b]): shape (batch,) + target.shape[1:] +
        source.shape[1:], for targets whose example b depends on source example b only.

        Args:
            target: a Tensor of shape (batch, ...).
            source: a Tensor of shape (batch, ...).
            unconnected_gradients: "none" or "zero".
            parallel_iterations: TF's bound on parallel passes; rustgrad runs them one by one.
            experimental_use_pfor: TF's choice of vectorisation; the passes are the same either way.

        Returns:
            Tensor: the per-example jacobians (None when unconnected and "none").

        Raises:
            ValueError: when target and source disagree on the batch size or are scalars.
        """
        if target.ndim < 1 or source.ndim < 1 or target.shape[0] != source.shape[0]:
            raise ValueError(
                f"batch_jacobian: target {tuple(target.shape)} and source {tuple(source.shape)} "
                "need the same first (batch) axis"
            )
        full = self.jacobian(target, source, unconnected_gradients)
        if full is None:
            return None
        b = target.shape[0]
        t, s = int(np.prod(target.shape[1:])), int(np.prod(source.shape[1:]))
        flat = full.reshape(b, t, b, s)
        picked = [flat[i, :, i, :] for i in range(b)]
        return _core.stack(picked).reshape(b, *target.shape[1:], *source.shape[1:])

    @staticmethod
    def _one_target(target: Any, output_gradients: Any) -> Any:
        """A list of targets differentiates their sum, as TensorFlow does."""
        if isinstance(target, (list, tuple)):
            if output_gradients is not None:
                raise ValueError("output_gradients with a list of targets is not supported")
            parts = _flatten(target)
            if not all(isinstance(t, _core.Tensor) for t in parts) or not parts:
                raise TypeError("GradientTape.gradient: targets must be Tensors")
            total = parts[0].sum()
            for t in parts[1:]:
                total = total + t.sum()
            return total
        if not isinstance(target, _core.Tensor):
            raise TypeError(f"GradientTape.gradient: target must be a Tensor, got {type(target)}")
        return target
