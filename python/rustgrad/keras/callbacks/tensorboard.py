"""TensorBoard: event files TensorBoard reads, written with tensorboardX (the optional extra
rustgrad[tensorboard]): scalars per epoch and per batch, weight histograms, the learning rate,
and the model's layer graph. Keras' layout: log_dir/train and log_dir/validation."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from rustgrad.keras.callbacks.base import Callback


def _summary_writer() -> Any:
    try:
        from tensorboardX import SummaryWriter
    except ImportError as exc:
        raise ImportError(
            "TensorBoard needs tensorboardX: pip install rustgrad[tensorboard] "
            "(or pip install tensorboardX tensorboard)"
        ) from exc
    return SummaryWriter


def _graph_def(model: Any) -> Any:
    """One node per layer call (op = the layer's class), edges from the layers it reads; a
    GraphDef, so TensorBoard's Graphs tab draws the model (no tensors or ops inside layers)."""
    from tensorboardX.proto.graph_pb2 import GraphDef
    from tensorboardX.proto.node_def_pb2 import NodeDef

    nodes = []
    model_nodes = getattr(model, "_nodes", None)
    if model_nodes:
        names: dict[int, str] = {}
        for node in model_nodes:
            base = node.layer.name
            name = base if base not in names.values() else f"{base}_{len(names)}"
            names[id(node)] = name
            inputs = [names[id(t.node)] for t in node.input_tensors if id(t.node) in names]
            nodes.append(NodeDef(name=name, op=type(node.layer).__name__, input=inputs))
    else:
        previous: list[str] = []
        for layer in model.layers:
            nodes.append(NodeDef(name=layer.name, op=type(layer).__name__, input=previous))
            previous = [layer.name]
    return GraphDef(node=nodes)


class TensorBoard(Callback):
    """Write logs TensorBoard shows (`tensorboard --logdir log_dir`).

    Per epoch: every logged value as `epoch_<name>` (validation ones in log_dir/validation
    without their `val_` prefix) and `epoch_learning_rate`; with `update_freq` 'batch' or N, the
    training values every N batches as `batch_<name>`; with `histogram_freq` N, each weight's
    histogram every N epochs as `<layer>/<weight>/histogram`. `write_graph` (on by default, as
    Keras) draws the model's layers and how they connect. write_images, profile_batch and the
    embeddings projector are not available and raise NotImplementedError when asked for.

    Args:
        log_dir: the folder of the event files.
        histogram_freq: every how many epochs to write weight histograms (0: never).
        write_graph: write the model's graph.
        write_images: only False.
        write_steps_per_second: log the training steps per second each epoch.
        update_freq: "epoch", "batch" or a positive number of batches.
        profile_batch: only 0.
        embeddings_freq: only 0.
        embeddings_metadata: only None.

    Raises:
        NotImplementedError: for write_images, profile_batch or the embeddings options.
        TypeError: when histogram_freq is not an int.
        ValueError: for a negative histogram_freq or a bad update_freq.
        ImportError: when tensorboardX is not installed.
    """

    def __init__(
        self,
        log_dir: Any = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: Any = "epoch",
        profile_batch: Any = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: Any = None,
    ):
        super().__init__()
        for name, value in (
            ("write_images", write_images),
            ("profile_batch", profile_batch),
            ("embeddings_freq", embeddings_freq),
            ("embeddings_metadata", embeddings_metadata),
        ):
            if value:
                raise NotImplementedError(f"TensorBoard: {name}={value!r} is not supported")
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int):
            raise TypeError(f"TensorBoard: histogram_freq must be an int, got {histogram_freq!r}")
        if histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be >= 0, got {histogram_freq}")
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq <= 0
        ):
            raise ValueError(
                f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive integer, "
                f"got {update_freq!r}"
            )
        self._writer_class = _summary_writer()  # fail at construction when it is missing
        self.log_dir, self.histogram_freq = os.fspath(log_dir), histogram_freq
        self.write_graph, self.update_freq = write_graph, update_freq
        self.write_steps_per_second = write_steps_per_second
        self._writers: dict[str, Any] = {}
        self._train_step = 0  # batches trained in this fit, the x axis of batch scalars

    def wants_batches(self) -> bool:
        return self.update_freq != "epoch"

    def _writer(self, run: str) -> Any:
        if run not in self._writers:
            self._writers[run] = self._writer_class(logdir=os.path.join(self.log_dir, run))
        return self._writers[run]

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._train_step, self._in_fit = 0, True
        if self.write_graph:
            self._writer("train")._get_file_writer().add_onnx_graph(_graph_def(self.model))

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_start, self._epoch_first_step = time.perf_counter(), self._train_step

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._train_step += 1
        if self.update_freq == "epoch" or self._train_step % self.update_freq:
            return
        writer = self._writer("train")
        for name, value in (logs or {}).items():
            if isinstance(value, (int, float)):
                writer.add_scalar(f"batch_{name}", float(value), self._train_step)

    def on_test_end(self, logs: dict | None = None) -> None:
        if getattr(self, "_in_fit", False):  # as Keras: validation against training steps
            writer = self._writer("validation")
            for name, value in (logs or {}).items():
                writer.add_scalar(f"evaluation_{name}_vs_iterations", value, self._train_step)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        if "learning_rate" not in logs and self.model.optimizer is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        if self.write_steps_per_second:
            elapsed = max(time.perf_counter() - self._epoch_start, 1e-9)
            logs["steps_per_second"] = (self._train_step - self._epoch_first_step) / elapsed
        for name, value in logs.items():
            if not isinstance(value, (int, float)):
                continue
            run, tag = ("validation", name[4:]) if name.startswith("val_") else ("train", name)
            self._writer(run).add_scalar(f"epoch_{tag}", float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._histograms(epoch)
        for writer in self._writers.values():
            writer.flush()

    def _histograms(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in self.model._flat_layers():
            for weight in layer.weights:
                values = np.asarray(weight.numpy(), dtype=np.float64)
                tag = f"{layer.name}/{getattr(weight, 'name', 'weight')}/histogram"
                writer.add_histogram(tag, values, epoch)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._in_fit = False
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
