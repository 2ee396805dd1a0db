"""fit / evaluate / predict on a tf.data.Dataset: Keras' argument checks, the fast path for fit (a
batched index plan trains through the array loop and the core's many-batch call) and the
per-batch loops for every other dataset."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from itertools import islice
from typing import Any

import numpy as np

from rustgrad import _dataset_nodes as nodes
from rustgrad._dataset_util import INFINITE
from rustgrad.dataset import Dataset
from rustgrad.distribute import _feeds as feeds
from rustgrad.keras import _epoch, _inputs, custom_step


def is_dataset(x: Any) -> bool:
    return isinstance(x, Dataset)


def check_args(
    what: str, y: Any, batch_size: Any, sample_weight: Any = None, validation_split: Any = 0.0
) -> None:
    """Keras' refusals of arguments that a dataset's elements already answer."""
    if y is not None:
        raise ValueError(
            f"`y` argument is not supported when using a tf.data.Dataset as input to {what}: "
            "its elements carry the targets, as (x, y) or (x, y, sample_weight)"
        )
    if batch_size is not None:
        raise ValueError(
            f"The `batch_size` argument must not be specified when {what} gets a "
            f"tf.data.Dataset: it yields batches already (make them with .batch({batch_size}))"
        )
    if sample_weight is not None:
        raise ValueError(
            "`sample_weight` argument is not supported when using a tf.data.Dataset as input: "
            "yield (x, y, sample_weight) elements instead"
        )
    if validation_split:
        raise ValueError(
            "`validation_split` is only supported for NumPy arrays and Tensors, not for a "
            "tf.data.Dataset: pass validation_data=(another dataset)"
        )


def _split(element: Any, what: str) -> tuple:
    """(x, y, sample_weight) of an element, as Keras unpacks it: a tuple of 1 to 3, or x alone."""
    if isinstance(element, tuple):
        if not 1 <= len(element) <= 3:
            raise ValueError(
                f"{what}: a dataset element must be x, (x,), (x, y) or (x, y, sample_weight); "
                f"got a tuple of {len(element)} components"
            )
        return (*element, None, None)[:3]
    return element, None, None


def _arity(element: Any) -> int:
    """0 for a bare element (x alone), else its tuple's length."""
    return len(element) if isinstance(element, tuple) else 0


def _arrays(model: Any, element: Any, class_weight: Any, need_y: bool, what: str) -> tuple:
    """An element (or a whole source) as the array loops take it, checked as fit checks arrays."""
    x, y, sw = _split(element, what)
    xa = _inputs.as_x(model, x)
    n = _inputs.rows(xa)
    if y is None and need_y:
        raise ValueError(
            f"{what}: the dataset's elements have no targets but model '{model.name}' is "
            "compiled with a loss; make them (x, y) tuples, e.g. from_tensor_slices((x, y))"
        )
    ya = custom_step.targets(model, y, n, np.shape(xa[0] if isinstance(xa, list) else xa))
    if ya is None:
        return xa, None, None if sw is None else np.asarray(sw, np.float32)
    return xa, ya, _inputs.sample_weights(model, ya, n, sw, class_weight)


def _batches(ds: Dataset, steps: Any, what: str) -> Iterator:
    if steps is None:
        if ds._node.card == INFINITE:
            raise ValueError(
                f"The dataset given to {what} is infinite (repeat() without a count): pass "
                f"{'validation_steps' if what == 'validation' else 'steps'}=... to say how many "
                "batches to use"
            )
        return ds._node.elements()
    return islice(ds._node.elements(), _inputs.positive_int(steps, "steps"))


def train_feed(
    model: Any,
    x: Any,
    y: Any,
    batch_size: Any,
    sample_weight: Any,
    validation_split: Any,
    steps_per_epoch: Any,
    class_weight: Any,
) -> TrainFeed | None:
    """fit's input when x is a Dataset (its arguments checked as Keras does), else None."""
    if not is_dataset(x):
        return None
    check_args("fit", y, batch_size, sample_weight, validation_split)
    custom = custom_step.overridden(model, "train_step")
    return TrainFeed(model, x, steps_per_epoch, class_weight, custom)


class TrainFeed:
    """What fit trains on. `fast`: xa, ya, sw, batch_size and order() per epoch, for fit's array
    loop; else epoch(...) runs the per-batch loop on the dataset's own batches."""

    def __init__(self, model: Any, ds: Dataset, steps_per_epoch: Any, class_weight: Any, custom):
        card, self.ds, self.class_weight = ds._node.card, ds, class_weight
        self._element_arity = 2  # of the element being trained on (see _local_batches)
        if steps_per_epoch is not None:
            steps_per_epoch = _inputs.positive_int(steps_per_epoch, "steps_per_epoch")
        self.need_y = model._losses is not None and not custom
        if card == INFINITE and steps_per_epoch is None:
            raise ValueError(
                "The dataset given to fit is infinite (repeat() without a count): pass "
                "steps_per_epoch=... to say how many batches make an epoch"
            )
        node = ds._node
        while isinstance(node, nodes.Pass):  # prefetch
            node = node._parent
        # The fast path: batches of rows of one from_tensor_slices source, reordered only
        # (shuffle/take/skip/repeat/cache). The batches are exactly the dataset's; the rows go
        # to the core, so fit runs as fast as on the arrays themselves.
        self.fast = (
            steps_per_epoch is None
            and isinstance(node, nodes.Batch)
            and node.card >= 0
            and isinstance(node._parent.source(), nodes.Slices)  # arrays (not windows)
        )
        self.steps = steps_per_epoch or (max(card, 0))
        # As Keras: a new iterator each epoch unless steps_per_epoch cuts epochs out of one.
        self._reset, self._iterator = steps_per_epoch in (None, card), None
        if self.fast:
            self._batch_node, src = node, node._parent.source()
            self.batch_size = node.batch_size
            rows = node._parent.card  # the rows one epoch's plan holds (fit's n for arrays)
            self.rows = rows // self.batch_size * self.batch_size if node.drop_remainder else rows
            self.xa, self.ya, self.sw = _arrays(
                model, src._structure, class_weight, self.need_y, "the dataset"
            )
            self._element_arity = _arity(src._structure)

    def begin_epoch(self) -> None:
        """Before each epoch (a PyDataset's on_epoch_begin; nothing for a Dataset)."""

    def end_epoch(self) -> None:
        """After each epoch (a PyDataset's on_epoch_end; nothing for a Dataset)."""

    def order(self) -> np.ndarray:
        """This epoch's rows (a new shuffle each epoch when the dataset reshuffles)."""
        return self._batch_node.plan()[1]

    def _epoch_batches(self) -> Iterator:
        if self._reset:
            return self.ds._node.elements()
        if self._iterator is None:
            self._iterator = self.ds._node.elements()
        return islice(self._iterator, self.steps)

    def _local_batches(self, model: Any) -> Iterator:
        """This epoch's batches as arrays; on several ranks, this rank's slice of each."""

        def arrays(step: int, element: Any) -> tuple:
            self._element_arity = _arity(element)  # read by `epoch` for the step's data
            return _arrays(model, element, self.class_weight, self.need_y, f"batch {step}")

        batches = (arrays(step, element) for step, element in enumerate(self._epoch_batches()))
        r = model.__dict__.get("_replicas")
        return batches if r is None else feeds.local_batches(r, model, batches)

    def epoch(self, model: Any, cbs: Any, custom: bool) -> dict:
        """One epoch, one step per batch (an overridden train_step or the core's)."""
        core, opt, keys = model._engine(), model.optimizer, model._metric_keys
        loss_sum, seen, stats, logs = 0.0, 0, [[0.0, 0.0] for _ in keys], {}
        sums, _ = _epoch.replicas_of(model)
        if custom:
            model.reset_metrics()
        step = -1
        for step, (xa, ya, sw) in enumerate(self._local_batches(model)):
            if step == 0:  # a subclass builds (and learns its metrics) on its first batch
                keys = model._metric_keys
                stats = [[0.0, 0.0] for _ in keys]
            cbs.on_train_batch_begin(step)
            rows = _inputs.rows(xa)
            seen += rows
            if custom:
                data = custom_step.step_data(self._element_arity, xa, ya, sw)
                logs = custom_step.run_train_step(model, data, rows, seen)
            else:
                loss, batch = core.train_batch(xa, ya, None, sw, lr=opt.lr_at(opt.iterations))
                opt.iterations += 1
                loss_sum += loss * rows
                _epoch.accumulate(stats, batch)
                logs = _epoch.logs_of(keys, *sums(loss_sum, seen, stats))
            cbs.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        if not self._reset and step + 1 < self.steps and not model.stop_training:
            warnings.warn(
                "Your input ran out of data; interrupting training. Make sure that your "
                "dataset can generate at least `steps_per_epoch * epochs` batches "
                "(use .repeat() on it).",
                stacklevel=3,
            )
            model.stop_training = True
        if not self.steps:  # unknown cardinality: the first epoch counted the steps
            self.steps = step + 1
        return logs


def evaluate(model: Any, ds: Dataset, steps: Any, cbs: Any = None, what: str = "evaluate"):
    """Loss and metrics over the dataset's batches (an overridden test_step if there is one)."""
    return evaluate_elements(model, _batches(ds, steps, what), cbs, what)


def evaluate_elements(model: Any, elements: Any, cbs: Any = None, what: str = "evaluate") -> dict:
    """Loss and metrics over batches given as dataset elements ((x, y[, sw]) each), with the
    test batch hooks; a generator or PyDataset comes this way too."""
    custom = custom_step.overridden(model, "test_step")
    core, keys = model._engine(), model._metric_keys
    loss_sum, seen, stats, logs = 0.0, 0, [[0.0, 0.0] for _ in keys], {}
    if custom:
        model.reset_metrics()
    need_y = model._losses is not None and not custom
    for step, element in enumerate(elements):
        if cbs is not None:
            cbs.on_test_batch_begin(step)
        xa, ya, sw = _arrays(model, element, None, need_y, f"{what} batch {step}")
        if custom:
            logs = custom_step._floats(
                model.test_step(custom_step.step_data(_arity(element), xa, ya, sw))
            )
        else:
            loss, batch = core.eval_batch(xa, ya, sample_weight=sw)
            rows = _inputs.rows(xa)
            loss_sum, seen = loss_sum + loss * rows, seen + rows
            _epoch.accumulate(stats, batch)
            logs = _epoch.logs_of(keys, loss_sum, seen, stats)
        if cbs is not None:
            cbs.on_test_batch_end(step, logs)
        if getattr(model, "stop_evaluating", False):
            break
    return logs if custom else _epoch.logs_of(keys, loss_sum, seen, stats)


def eval_steps(ds: Dataset, steps: Any) -> int:
    """Steps for evaluate's progress bar (0 when the dataset's size is unknown)."""
    return steps if steps is not None else max(ds._node.card, 0)


def predict(model: Any, ds: Dataset, steps: Any, cbs: Any = None) -> list:
    """The engine's outputs per batch; elements are x, or (x, y[, sw]) whose x is used."""
    return predict_elements(model, _batches(ds, steps, "predict"), cbs)


def predict_elements(model: Any, elements: Any, cbs: Any = None) -> list:
    """The engine's outputs per element, with the predict batch hooks (logs {"outputs": ...})."""
    core, outs = model._engine(), []
    for step, element in enumerate(elements):
        if cbs is not None:
            cbs.on_predict_batch_begin(step)
        out = core.predict_batch(_inputs.as_x(model, _split(element, "predict")[0]))
        outs.append(out)
        if cbs is not None:
            cbs.on_predict_batch_end(step, {"outputs": out})
        if getattr(model, "stop_predicting", False):
            break
    return outs
