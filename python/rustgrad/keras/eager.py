"""The eager engine: the `_core.Model` interface (compile, train_batch(es), eval_batch,
predict_batch, forward, params) for models with Python code in them (a subclass's `call`, a custom
layer). Each batch runs on the Tensor autograd path: built-in layers are still Rust calls that
record the graph, custom code composes Tensor ops, the losses and metrics are the core's
(`_core.loss`, `_core.metric_batch`) and the update is the same Rust optimizer kernel `fit` uses on
the graph engine. Semantics match the graph engine; only speed differs.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from rustgrad import _core
from rustgrad.autograd import no_grad
from rustgrad.distribute._flat import pack, unpack


def _listed(v: Any, n: int, default: Any) -> list:
    if v is None:
        return [default] * n
    return list(v) if isinstance(v, (list, tuple)) else [v] * n


def _metric_list(ms: Any) -> list[tuple[str, float]]:
    return [(m, 0.5) if isinstance(m, str) else (str(m[0]), float(m[1])) for m in ms]


class _Head:
    """One output's loss (core name and arguments), weight and metrics."""

    def __init__(self, loss: str, from_logits: bool, delta: float, smoothing: float, weight: float):
        self.loss, self.weight = loss, float(weight)
        self.args = {"from_logits": bool(from_logits), "delta": float(delta)}
        self.args["label_smoothing"] = float(smoothing)
        self.metrics: list[tuple[str, float]] = []


class EagerEngine:
    """`forward(tensors, training) -> list of Tensors` is the model's Python forward pass;
    `trainable()` the Tensors fit updates; `weights()` every weight; `added_losses()` collects
    (and clears) the losses layers added with add_loss during the last forward pass."""

    def __init__(
        self,
        forward: Callable[[list, bool], list],
        trainable: Callable[[], list],
        weights: Callable[[], list],
        added_losses: Callable[[], list],
    ):
        self._forward, self._trainable, self._weights = forward, trainable, weights
        self._added = added_losses
        self._heads: list[_Head] = []
        self._opt: Any = None
        self._params: list = []
        self._grad_hook: Callable[[np.ndarray], None] | None = None
        self._monitor: Any = None  # a GradientMonitor's EagerProbe while one is installed

    # ---- the _core.Model interface -----------------------------------------------------------
    def compile(
        self,
        loss: Any,
        metrics: Any,
        optimizer: str,
        from_logits: Any = None,
        delta: Any = None,
        label_smoothing: Any = None,
        loss_weights: Any = None,
        frozen: Any = None,  # the model's trainable() already leaves frozen layers out
        focal: Any = None,
        **kwargs: Any,
    ) -> None:
        names = list(loss) if isinstance(loss, (list, tuple)) else [loss]
        n = len(names)
        flags, deltas = _listed(from_logits, n, False), _listed(delta, n, 1.0)
        smooth, weights = _listed(label_smoothing, n, 0.0), _listed(loss_weights, n, 1.0)
        heads = [_Head(*args) for args in zip(names, flags, deltas, smooth, weights)]
        for h, (alpha, gamma, balance) in zip(heads, focal or [(0.25, 2.0, False)] * n):
            h.args.update(alpha=alpha, gamma=gamma, apply_class_balancing=bool(balance))
        nested = bool(metrics) and isinstance(metrics[0], list)
        per = metrics if nested else [metrics] * n
        for h, ms in zip(heads, per):
            h.metrics = _metric_list(ms)
        # The optimizer's rule and keywords are checked here, as the graph engine's compile does.
        self._opt = _core.Optimizer(optimizer, **kwargs)
        self._heads = heads
        self._params = list(self._trainable())

    def params(self) -> list:
        return list(self._weights())

    def finalize_variable_values(self) -> None:
        if self._opt is not None:
            self._opt.finalize(self._params)

    def optimizer_state(self) -> dict:
        """The optimizer's step count and slots, as `_core.Model.optimizer_state`."""
        if self._opt is None:
            raise ValueError("optimizer_state: the model must be compiled first")
        return self._opt.state()

    def set_optimizer_state(self, state: dict) -> None:
        if self._opt is None:
            raise ValueError("set_optimizer_state: the model must be compiled first")
        sizes = [int(np.prod(p.shape)) for p in self._params]
        for name, vecs in state["slots"].items():
            if len(vecs) > len(sizes) or any(
                v is not None and np.size(v) != n for v, n in zip(vecs, sizes)
            ):
                raise ValueError(
                    f"optimizer state: slot {name!r} does not fit the model's trainable weights "
                    f"(sizes {sizes})"
                )
        self._opt.set_state(state)

    def forward(self, x: Any, training: bool = False) -> Any:
        xs = list(x) if isinstance(x, (list, tuple)) else [x]
        outs = self._forward([_as_tensor(v) for v in xs], training)
        self._added()  # a plain forward pass adds no loss to anything
        return outs[0] if len(outs) == 1 else outs

    def predict_batch(self, x: Any, idx: Any = None) -> Any:
        with no_grad():
            outs = self._forward(_tensors(x, idx), False)
        self._added()
        arrays = [o.numpy().copy() for o in outs]
        return arrays[0] if len(arrays) == 1 else arrays

    def eval_batch(self, x: Any, y: Any, idx: Any = None, sample_weight: Any = None) -> tuple:
        with no_grad():
            loss, stats = self._losses(x, y, idx, sample_weight, training=False)
        return float(loss.item()), stats

    def train_batch(
        self, x: Any, y: Any, idx: Any = None, sample_weight: Any = None, lr: float = 0.001
    ) -> tuple:
        if self._opt is None:
            raise RuntimeError("the model must be compiled before training")
        for p in self._params:
            p.grad = None
        loss, stats = self._losses(x, y, idx, sample_weight, training=True)
        loss.backward()
        if self._grad_hook is not None:
            self._reduce(len(idx) if idx is not None else _first_rows(x))

        def update() -> None:
            self._opt.step(self._params, float(lr))
            apply_constraints(self._params)

        # After the hook, as in the graph engine's step: the monitor sees the averaged gradients.
        if self._monitor is None:
            update()
        else:
            self._monitor.observe(update)
        return float(loss.item()), stats

    def set_grad_monitor(self, every: Any, groups: Any = None) -> None:
        """Record per-layer norms every `every` train steps (None stops), as `_core.Model`'s.

        Args:
            every: a positive number of steps, or None.
            groups: per layer, the Variables its norms cover.
        """
        from rustgrad.keras.callbacks.gradient_monitor import EagerProbe

        self._monitor = None if every is None else EagerProbe(every, groups or [])

    def take_grad_stats(self) -> tuple:
        """(layer indices, steps, stats (records, layers, 3)) since the last call."""
        if self._monitor is None:
            return [], [], np.zeros((0, 0, 3), np.float32)
        return self._monitor.take()

    def train_batches(
        self, x: Any, y: Any, idx: Any, batch_size: int, lrs: Any, sample_weight: Any = None
    ) -> tuple:
        """Batch i on rows idx[i*batch_size:(i+1)*batch_size]; an error (a Ctrl-C between two
        batches, a bad label) is returned beside the results of the batches before it."""
        losses, stats, error = [], [], None
        for i, lr in enumerate(np.asarray(lrs, dtype=np.float32)):
            rows = idx[i * batch_size : (i + 1) * batch_size]
            try:
                loss, st = self.train_batch(x, y, rows, sample_weight, float(lr))
            except (KeyboardInterrupt, ValueError, RuntimeError, IndexError) as e:
                error = e
                break
            losses.append(loss)
            stats.append(st)
        return losses, stats, error

    def set_grad_hook(self, hook: Callable[[np.ndarray], None] | None) -> None:
        """Run `hook(buf)` between backward and the optimizer update of every train step, as
        `_core.Model.set_grad_hook` does; None removes it.

        Args:
            hook: changes in place one float32 buffer holding every trainable gradient, one
                presence flag per weight, and the batch's rows last (distribute/_flat.py).
        """
        self._grad_hook = hook

    def _reduce(self, rows: int) -> None:
        shapes = [tuple(p.shape) for p in self._params]
        buf = pack([p.grad for p in self._params], shapes, rows)
        self._grad_hook(buf)
        for p, g in zip(self._params, unpack(buf, shapes)):
            p.grad = None if g is None else _core.from_numpy(g)  # a view of buf, not a copy

    # ---- one batch -----------------------------------------------------------------------
    def _losses(self, x, y, idx, sample_weight, training: bool) -> tuple:
        if not self._heads:
            raise RuntimeError("the model must be compiled first")
        outs = self._forward(_tensors(x, idx), training)
        ys = _tensors(y, idx)
        if len(ys) != len(outs):
            raise ValueError(f"the model has {len(outs)} outputs but got {len(ys)} targets")
        sw = None if sample_weight is None else _rows(sample_weight, idx)
        total, own, metric_stats = None, [], []
        for h, p, t in zip(self._heads, outs, ys):
            value = _core.loss(h.loss, t, p, sample_weight=sw, **h.args)
            rows = float(p.shape[0]) if p.shape else 1.0
            own.append((float(value.item()) * rows, rows))
            with no_grad():
                metric_stats += [
                    _core.metric_batch(name, t, p, threshold=thr) for name, thr in h.metrics
                ]
            term = value if h.weight == 1.0 else value * h.weight
            total = term if total is None else total + term
        for extra in self._added():
            total = total + extra
        stats = own + metric_stats if len(self._heads) > 1 else metric_stats
        return total, stats


def apply_constraints(variables: Any) -> None:
    """Each Variable with a `constraint` takes its projection, as Keras' optimizer does after an
    update (built-in constraints project in Rust, Python ones compose Tensor ops)."""
    with no_grad():
        for v in variables:
            c = getattr(v, "constraint", None)
            if v is not None and c is not None:
                v.assign(c(v))


def _as_tensor(v: Any) -> Any:
    if isinstance(v, _core.Tensor):
        return v
    return _core.tensor(np.ascontiguousarray(v, dtype=np.float32))


def _first_rows(x: Any) -> int:
    first = x[0] if isinstance(x, (list, tuple)) else x
    return int(np.shape(first)[0])


def _rows(a: Any, idx: Any) -> np.ndarray:
    # Rows first, then float32: converting uint8 labels whole before picking 32 of them cost a
    # 60 000-value conversion per batch.
    if idx is not None:
        a = np.asarray(a)[np.asarray(idx, dtype=np.int64)]
    return np.ascontiguousarray(a, dtype=np.float32)


def _tensors(arrays: Any, idx: Any) -> list:
    """The rows `idx` of one array or of each array of a list, as Tensors."""
    items = list(arrays) if isinstance(arrays, (list, tuple)) else [arrays]
    if idx is None:  # the caller's own arrays: copied, so an in-place op cannot change them
        return [_core.tensor(_rows(a, None)) for a in items]
    # Picked rows are a fresh array nobody else holds: the Tensor takes it over without a copy.
    return [_core.from_numpy(_rows(a, idx)) for a in items]
