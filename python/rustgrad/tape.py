"""tf.GradientTape on rustgrad's autograd: what runs inside the `with` block is recorded as every
Tensor op is (weights and watched Tensors require gradients), and `gradient` runs the backward pass
for the sources asked, leaving every other `.grad` as it was."""

from __future__ import annotations

from typing import Any

from rustgrad import _core


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


class GradientTape:
    """`with GradientTape() as tape: loss = f(w)`, then `tape.gradient(loss, [w, ...])`.

    A non-persistent tape computes one set of gradients (the graph is freed after it), as in
    TensorFlow; `persistent=True` keeps the graph for several calls. Tensors that are not trainable
    weights must be `watch`ed before they are used."""

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
        """Record operations on `tensor` (a leaf Tensor, or a list of them) from now on."""
        for t in _flatten(tensor):
            if not isinstance(t, _core.Tensor):
                raise TypeError(f"GradientTape.watch expects Tensors, got {type(t).__name__}")
            if t.is_leaf and not t.requires_grad:
                t.requires_grad = True
            self._watched.add(id(t))

    def gradient(self, target: Any, sources: Any, output_gradients: Any = None) -> Any:
        """d(target)/d(source) for each source, in the sources' structure; None for a source the
        target does not depend on (TensorFlow's default)."""
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of gradients "
                "(or jacobians); use GradientTape(persistent=True)"
            )
        if not isinstance(target, _core.Tensor):
            raise TypeError(f"GradientTape.gradient: target must be a Tensor, got {type(target)}")
        flat = _flatten(sources)
        for s in flat:
            if not isinstance(s, _core.Tensor):
                raise TypeError(f"GradientTape.gradient: sources must be Tensors, got {type(s)}")
        # A source nothing recorded (an unwatched constant) gets None, as in TensorFlow; with
        # watch_accessed_variables=False so does every weight that was not watch()ed.
        live = [
            s.requires_grad and (self.watch_accessed_variables or id(s) in self._watched)
            for s in flat
        ]
        if not target.requires_grad:
            self._used = True
            return _rebuild(sources, [None] * len(flat))
        saved = [s.grad for s in flat]
        for s in flat:
            s.grad = None
            if not s.is_leaf:
                s.retain_grad()
        self._used = True
        seed = None if output_gradients is None else output_gradients
        if seed is None and target.shape != ():
            # TensorFlow differentiates the sum of a non-scalar target.
            target = target.sum()
        if seed is None:
            target.backward(retain_graph=self.persistent)
        else:
            target.backward(seed, retain_graph=self.persistent)
        grads = [s.grad if ok else None for s, ok in zip(flat, live)]
        for s, g in zip(flat, saved):
            s.grad = g
        return _rebuild(sources, grads)
