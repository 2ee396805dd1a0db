"""Sequential: a stack of layers, built lazily into one Rust model; training lives in training.py."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from rustgrad import _core
from rustgrad.keras import _summary, losses, optimizers, saving, training
from rustgrad.keras import metrics as metrics_mod
from rustgrad.keras.layers import InputLayer, Layer, _auto_name

__all__ = ["Sequential"]


class Sequential:
    """Layers applied in order; `Sequential([Dense(...), ...])` or `.add(layer)`, as in Keras."""

    def __init__(self, layers: Any = None, name: str | None = None):
        self.name = name or _auto_name("sequential")
        self.layers: list[Layer] = []
        self._input_shape: tuple | None = None  # per sample, without the batch axis
        self._core: Any = None
        self._core_compiled = False
        self.optimizer: Any = None
        self.loss: Any = None
        self._metric_specs: list = []
        self._metric_keys: list[str] = []
        self.history: Any = None
        self.stop_training = False
        # Concurrent fit calls on one model run one after the other (re-entrant for a callback
        # that fits); predict and evaluate meanwhile see the weights of finished steps.
        self._fit_lock = threading.RLock()
        for layer in layers or []:
            self.add(layer)

    # ---- structure -------------------------------------------------------------------------
    def add(self, layer: Any) -> None:
        if isinstance(layer, InputLayer):
            if self.layers:
                raise ValueError("Input must be the first layer of a Sequential model")
            self._input_shape = layer.input_shape_arg
        elif isinstance(layer, Layer):
            if any(layer is existing for existing in self.layers):
                raise ValueError(f"layer '{layer.name}' is already in model '{self.name}'")
            if not self.layers and self._input_shape is None:
                self._input_shape = layer.input_shape_arg
            self.layers.append(layer)
        else:
            raise TypeError(f"Sequential.add expects a keras Layer, got {layer!r}")
        self._core = None
        if self._input_shape is not None:  # Keras builds as soon as the input shape is known
            self.build()

    def pop(self) -> Layer:
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        layer = self.layers.pop()
        self._core = None
        if self._input_shape is not None and self.layers:
            self.build()
        return layer

    def build(self, input_shape: Any = None) -> None:
        """Create every layer's Rust half for inputs of `input_shape` (with the batch axis)."""
        if input_shape is not None:
            self._input_shape = tuple(int(d) for d in tuple(input_shape)[1:])
        if self._input_shape is None:
            raise ValueError(
                f"model '{self.name}' does not know its input shape yet: give the first layer "
                "input_shape=..., start with Input(shape=...), or call fit/predict with data"
            )
        shape: tuple = (None, *self._input_shape)
        for layer in self.layers:
            if layer.built:
                if tuple(layer.input_shape) != shape:
                    raise ValueError(
                        f"layer '{layer.name}' was built for inputs {layer.input_shape} "
                        f"but now receives {shape}"
                    )
                shape = layer.output_shape
            else:
                shape = layer.build(shape)
        self._core = _core.Model([la.core for la in self.layers if la.core is not None])
        self._core_compiled = False
        if self.optimizer is not None and self.loss is not None:
            self._ensure_compiled()

    def _ensure_built(self, data_shape: tuple) -> None:
        if self._core is None:
            if self._input_shape is None:
                self._input_shape = tuple(data_shape[1:])
            self.build()

    @property
    def built(self) -> bool:
        return self._core is not None

    @property
    def input_shape(self) -> tuple:
        if self._input_shape is None:
            raise AttributeError(f"model '{self.name}' has no defined input shape yet")
        return (None, *self._input_shape)

    @property
    def output_shape(self) -> tuple:
        if not self.built:
            raise AttributeError(f"model '{self.name}' is not built yet")
        return self.layers[-1].output_shape if self.layers else self.input_shape

    # ---- compile ---------------------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: Any = None,
        steps_per_execution: Any = None,
        jit_compile: Any = None,
        **kwargs: Any,
    ) -> None:
        """Choose the optimizer, loss and metrics (strings or objects, as in Keras)."""
        if weighted_metrics:
            raise ValueError("weighted_metrics are not supported yet; use metrics=[...]")
        self.optimizer = optimizers.get(optimizer)
        self.loss = None if loss is None else losses.get(loss)
        if isinstance(metrics, (str, metrics_mod.Metric)) or callable(metrics):
            metrics = [metrics]
        self._metric_specs = list(metrics or [])
        loss_name = self.loss.core_name if self.loss else ""
        for m in self._metric_specs:  # unknown names fail here, not at the first fit
            metrics_mod.resolve(m, loss_name, None)
        self._core_compiled = False
        if self.built and self.loss is not None:
            self._ensure_compiled()

    def _ensure_compiled(self) -> None:
        if self._core_compiled:
            return
        out_dim = self.output_shape[-1] if len(self.output_shape) > 1 else 1
        resolved = [
            metrics_mod.resolve(m, self.loss.core_name, out_dim) for m in self._metric_specs
        ]
        self._metric_keys = [key for key, _, _ in resolved]
        self._core.compile(
            self.loss.core_name,
            [(core, threshold) for _, core, threshold in resolved],
            self.optimizer.core_name,
            **self.loss.compile_args(),
            **self.optimizer.core_kwargs(),
        )
        self._core_compiled = True

    @property
    def metrics_names(self) -> list[str]:
        return ["loss", *self._metric_keys]

    # ---- training and inference ------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, **kwargs: Any) -> Any:
        """Train for `epochs` over (x, y) in batches; returns a History (see training.fit)."""
        with self._fit_lock:
            return training.fit(self, x, y, **kwargs)

    def evaluate(self, x: Any = None, y: Any = None, **kwargs: Any) -> Any:
        """Loss, or [loss, *metrics], over (x, y); a dict with return_dict=True."""
        return training.evaluate(self, x, y, **kwargs)

    def predict(
        self, x: Any, batch_size: Any = None, verbose: Any = 0, **kwargs: Any
    ) -> np.ndarray:
        """The model's outputs for x as a float32 NumPy array."""
        return training.predict(self, x, batch_size=batch_size, verbose=verbose)

    def __call__(self, x: Any, training: bool = False) -> Any:
        """The forward pass as a rustgrad.Tensor that records the graph (call .backward() on a loss)."""
        shape = np.shape(x.numpy() if hasattr(x, "numpy") else x)
        self._ensure_built(shape)
        return self._core.forward(x, training=training)

    # ---- weights ---------------------------------------------------------------------------
    @property
    def weights(self) -> list:
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list:
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list:
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def get_weights(self) -> list[np.ndarray]:
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: Any) -> None:
        """Write all weights (in get_weights' order); shapes are checked before any is written."""
        saving.assign(self, list(weights), source="set_weights")

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, **kwargs: Any) -> None:
        saving.load_weights(self, filepath)

    def summary(self, line_length: int | None = None, print_fn: Any = None) -> None:
        _summary.summary(self, line_length=line_length, print_fn=print_fn)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[la.name for la in self.layers]}"
        )

    def __repr__(self) -> str:
        return f"<Sequential name={self.name!r}, {len(self.layers)} layers>"
