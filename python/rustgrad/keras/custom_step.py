"""Keras' overridable steps: `train_step(data)` / `test_step(data)` with what they use
(`compute_loss`, `compute_metrics`, `metrics`; the Layer gives `trainable_variables`), and the fit / evaluate
loops that call an overridden step once per batch, as Keras does. The default steps are the
GradientTape loop written out, so `super().train_step(data)` works too."""

from __future__ import annotations

from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.autograd import no_grad
from rustgrad.keras import _compile, _inputs
from rustgrad.keras import losses as losses_mod
from rustgrad.keras import metrics as metrics_mod
from rustgrad.tape import GradientTape


def _tensors(a: Any) -> Any:
    if isinstance(a, list):
        return [_tensors(v) for v in a]
    return None if a is None else _core.tensor(np.ascontiguousarray(a, dtype=np.float32))


def _rows(y_pred: Any) -> int:
    first = y_pred[0] if isinstance(y_pred, (list, tuple)) else y_pred
    return int(first.shape[0]) if first.shape else 1


def unpack(data: Any) -> tuple:
    """(x, y, sample_weight) from what a step gets: (x,), (x, y) or (x, y, sample_weight)."""
    if isinstance(data, tuple) and 1 <= len(data) <= 3:
        return (*data, None, None)[:3]
    return data, None, None


class StepMixin:
    """The parts of keras.Model that a custom step uses."""

    def train_step(self, data: Any) -> dict:
        """One training step on a batch, as keras.Model.train_step; override it to customise fit.

        The default: forward with training=True under a GradientTape, compute_loss, one optimizer
        update, then the "loss" tracker and compute_metrics. A model that overrides it trains on
        the eager engine, one call per batch.

        Args:
            data: the batch: (x,), (x, y) or (x, y, sample_weight).

        Returns:
            dict: {metric name: running value} for the logs.
        """
        x, y, sw = unpack(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sw)
        weights = self.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        self.metrics[0].update_state(loss, sample_weight=_rows(y_pred))
        return self.compute_metrics(x, y, y_pred, sw)

    train_step._builtin = True  # type: ignore[attr-defined]

    def test_step(self, data: Any) -> dict:
        """One evaluation step on a batch, as keras.Model.test_step; override it for evaluate.

        Args:
            data: the batch: (x,), (x, y) or (x, y, sample_weight).

        Returns:
            dict: {metric name: running value} for the logs.
        """
        x, y, sw = unpack(data)
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x, y, y_pred, sw)
            # Weighted by the batch's rows, as Keras 3: a short last batch counts for less.
            self.metrics[0].update_state(loss, sample_weight=_rows(y_pred))
        return self.compute_metrics(x, y, y_pred, sw)

    test_step._builtin = True  # type: ignore[attr-defined]

    @property
    def metrics(self) -> list:
        """The loss tracker ("loss") and the compiled metrics, as Keras lists them."""
        if getattr(self, "_metric_objects", None) is None:
            self._metric_objects = [metrics_mod.Mean(name="loss"), *_compiled_metrics(self)]
        return list(self._metric_objects)

    @property
    def compiled_loss(self) -> Any:
        """TF 2's compiled-loss callable for custom train steps (keras/_compiled.py)."""
        from rustgrad.keras._compiled import CompiledLoss

        return CompiledLoss(self)

    @property
    def compiled_metrics(self) -> Any:
        """TF 2's compiled-metrics container for custom train steps (keras/_compiled.py)."""
        from rustgrad.keras._compiled import CompiledMetrics

        return CompiledMetrics(self)

    def reset_metrics(self) -> None:
        """Reset the loss tracker and every compiled metric (fit does so at each epoch)."""
        for m in self.metrics:
            m.reset_state()

    def compute_loss(
        self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None
    ) -> Any:
        """The compiled loss (weighted over outputs) plus the losses layers added, as a Tensor.
        As in Keras 3 it updates no metric: the steps feed the "loss" tracker themselves.

        Args:
            x: the inputs (unused by the default; Keras' signature).
            y: the targets (a list for several outputs).
            y_pred: the model's outputs.
            sample_weight: None, or per-sample weights.

        Returns:
            Tensor: the scalar loss.

        Raises:
            ValueError: when the model was compiled without a loss.
        """
        total = compiled_total(self, y, y_pred, sample_weight, "compute_loss")
        for extra in self._take_losses():
            total = total + extra
        return total

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict:
        """Update the compiled metrics with this batch; {name: running result} of all metrics.

        Args:
            x: the inputs (unused; Keras' signature).
            y: the targets (a list for several outputs).
            y_pred: the model's outputs.
            sample_weight: as in Keras, for `weighted_metrics` only: compile's `metrics` are
                unweighted, and compile refuses weighted_metrics, so no metric here takes it.

        Returns:
            dict: {metric name: running value}, "loss" first.
        """
        ys = y if isinstance(y, (list, tuple)) else [y]
        ps = y_pred if isinstance(y_pred, (list, tuple)) else [y_pred]
        for m, out in zip(self.metrics[1:], self._metric_outputs):
            m.update_state(ys[out], ps[out])
        return {m.name: m.result() for m in self.metrics}


def compiled_total(model: Any, y: Any, y_pred: Any, sample_weight: Any, op: str) -> Any:
    """The compiled losses of a batch, weighted over the outputs (compute_loss, compiled_loss)."""
    if model._losses is None:
        raise ValueError(f"{op} needs a loss: call compile(loss=...) first")
    ys = y if isinstance(y, (list, tuple)) else [y]
    ps = y_pred if isinstance(y_pred, (list, tuple)) else [y_pred]
    total = None
    for loss, w, t, p in zip(model._losses, model._loss_weights, ys, ps):
        value = loss(t, p, sample_weight)
        term = value if w == 1.0 else value * w
        total = term if total is None else total + term
    return total


def _compiled_metrics(model: Any) -> list:
    """One metric object per compiled metric (names as History shows them), and for each the
    index of the output it reads."""
    objects, outputs = [], []
    names, shapes = model.output_names, model._output_shapes()
    for out, (loss, specs, shape) in enumerate(
        zip(model._losses or [], model._metric_specs, shapes)
    ):
        for spec in specs:
            if metrics_mod.stateful(spec):  # a Precision, AUC, a custom Metric: the object itself
                m = metrics_mod.get(spec)
                if len(names) > 1:
                    m.name = f"{names[out]}_{m.name}"
                objects.append(m)
                outputs.append(out)
                continue
            key, core, threshold = metrics_mod.resolve(
                spec, loss.core_name, _compile.output_dim(shape)
            )
            m = metrics_mod.get(core)
            m.name = key if len(names) == 1 else f"{names[out]}_{key}"
            if hasattr(m, "threshold"):
                m.threshold = threshold
            if hasattr(m, "k"):
                m.k = int(threshold)
            objects.append(m)
            outputs.append(out)
    model._metric_outputs = outputs
    return objects


def targets(model: Any, y: Any, n: int, x_shape: tuple, what: str = "y") -> Any:
    """y checked against the compiled losses (and the engine compiled); without a loss (a custom
    train_step computing its own) y is taken as float32 arrays as given."""
    if model._losses is not None and not python_step(model):
        model._ensure_compiled()
        return _inputs.as_y(model, y, n, x_shape, what)
    if y is None:
        return None
    if isinstance(y, (list, tuple)):
        return [np.ascontiguousarray(v, dtype=np.float32) for v in y]
    return np.ascontiguousarray(y, dtype=np.float32)


def overridden(model: Any, name: str) -> bool:
    """Whether fit/evaluate call `train_step`/`test_step` once per batch: the model overrides it,
    or compile was given what only Python computes (see python_step)."""
    return not getattr(getattr(type(model), name), "_builtin", False) or python_step(model)


def _flat(spec: Any) -> list:
    if isinstance(spec, dict):
        return [v for item in spec.values() for v in _flat(item)]
    if isinstance(spec, (list, tuple)):
        return [v for item in spec for v in _flat(item)]
    return [] if spec is None else [spec]


def python_step(model: Any) -> bool:
    """True when compile's loss or metrics run in Python: a Loss subclass with its own `call`, a
    loss function, a stateful metric (Precision, Recall, AUC, F1Score, RootMeanSquaredError, Sum,
    a custom Metric). Such a model trains on the eager path, one `train_step` per batch (tape,
    the same Rust optimizer kernel), instead of the Rust train step; results are the same."""
    spec = getattr(model, "_compile_spec", None)
    if spec is None:
        return False
    loss, _, metrics = spec
    if any(losses_mod.get(v).runs_in_python for v in _flat(loss)):
        return True
    return any(metrics_mod.stateful(m) for m in _flat(metrics))


def _floats(logs: dict) -> dict:
    """Scalars as floats; a metric with one value per class/threshold (F1Score(average=None),
    Precision(thresholds=[...])) stays an array, as in Keras' logs."""

    def one(v: Any) -> Any:
        a = np.asarray(v.numpy() if hasattr(v, "numpy") else v, dtype=np.float64)
        return float(a) if a.size == 1 else a

    return {k: one(v) for k, v in logs.items()}


def _batch(a: Any, idx: np.ndarray) -> Any:
    if a is None:
        return None
    return [v[idx] for v in a] if isinstance(a, list) else a[idx]


def run_train_step(model: Any, data: Any, rows: int, seen: int) -> dict:
    """`model.train_step(data)` with its logs as floats; under a distributed fit its
    apply_gradients averages the gradients across ranks and the logs are averaged too.

    Args:
        model: the model being fit.
        data: this rank's batch, (x, y) or (x, y, sample_weight) Tensors.
        rows: the batch's rows.
        seen: the rows this rank has trained on this epoch, this batch included.

    Returns:
        The step's logs, equal on every rank.
    """
    r = model.__dict__.get("_replicas")
    if r is None:
        return _floats(model.train_step(data))
    return r.train_step(lambda: _floats(model.train_step(data)), rows, seen)


def step_data(arity: int, xa: Any, ya: Any, sw: Any) -> Any:
    """A batch as an overridden train_step / test_step gets it, in the structure the data came in,
    as Keras passes it: a dataset's bare element alone (a GAN's dataset of images gives the
    images), else a tuple of the element's length ((x,) for fit(x) on arrays), with the sample
    weights a class_weight made added.

    Args:
        arity: 0 for bare elements, else the length of the tuples the data came in.
        xa: the batch's inputs; ya: its targets or None; sw: its sample weights or None.
    """
    n = 3 if sw is not None else max(arity, 2 if ya is not None else 1)
    if arity == 0 and n == 1:
        return _tensors(xa)
    return tuple(_tensors(a) for a in (xa, ya, sw)[:n])


def epoch(
    model: Any,
    cbs: Any,
    xa: Any,
    ya: Any,
    sw: Any,
    order: np.ndarray,
    bs: int,
    steps: int,
    arity: int = 2,
) -> dict:
    """One epoch of an overridden train_step, one call per batch of `bs` rows of `order` (this
    rank's rows on several ranks); its last logs are the epoch's. `arity`: see step_data."""
    model.reset_metrics()
    logs: dict = {}
    seen = 0
    for step in range(steps):
        idx = order[step * bs : (step + 1) * bs]
        cbs.on_train_batch_begin(step)
        data = step_data(arity, _batch(xa, idx), _batch(ya, idx), _batch(sw, idx))
        seen += len(idx)
        logs = run_train_step(model, data, len(idx), seen)
        cbs.on_train_batch_end(step, logs)
        if model.stop_training:
            break
    return logs


def evaluate(model: Any, x: Any, y: Any, sw: Any, bs: int, cbs: Any = None) -> dict:
    """An overridden test_step over (x, y) in batches; the last logs are the result."""
    model.reset_metrics()
    logs: dict = {}
    n = _inputs.rows(x)
    for step, start in enumerate(range(0, n, bs)):
        stop = min(start + bs, n)
        if cbs is not None:
            cbs.on_test_batch_begin(step)
        data = (_tensors(_inputs.take(x, start, stop)), _tensors(_inputs.take(y, start, stop)))
        if sw is not None:
            data = (*data, _tensors(sw[start:stop]))
        logs = _floats(model.test_step(data))
        if cbs is not None:
            cbs.on_test_batch_end(step, logs)
    return logs
