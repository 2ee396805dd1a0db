"""keras.Model: what every model shares (compile, fit/evaluate/predict, weights, trainable, summary).

`Model(inputs, outputs)` makes a functional model (functional.py); Sequential is the chain case of
it (sequential.py). fit, evaluate and predict reach the engine through `_engine()` only: for a
graph of built-in layers that is the Rust `_core.Model`; a model whose Python code must run (a
subclass with its own `call`) plugs its engine in there, with the same methods.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from rustgrad.distribute import _state as distribute_state
from rustgrad.distribute import replicas
from rustgrad.keras import _compile, _summary, optimizers, saving, training
from rustgrad.keras._on_batch import OnBatchMixin
from rustgrad.keras.custom_step import StepMixin
from rustgrad.keras.layers import call_context
from rustgrad.keras.layers.base import Layer
from rustgrad.keras.layers.naming import auto_name, snake
from rustgrad.keras.layers.node import is_symbolic
from rustgrad.keras.models import subclassed
from rustgrad.keras.models.serializing import SerializingMixin

__all__ = ["Model"]


class Model(SerializingMixin, OnBatchMixin, StepMixin, Layer):
    """A model is a layer: it has weights and can be called on tensors, including inside another
    model. `keras.Model(inputs, outputs)` builds a functional model from traced KerasTensors.

    As keras.Model: `Model(inputs, outputs, name=None)` is the functional API (see Functional);
    `Model()` from a subclass that defines `call` is a subclassed model, run by the eager engine.

    Args:
        *args: `(inputs, outputs)` for a functional model; nothing for a subclass.
        name: the model's name; a unique snake_case name of the class when None.
        trainable: whether fit updates the model's weights.
        **kwargs: `inputs=` and `outputs=` for a functional model.

    Raises:
        TypeError: when a non-functional model is given other arguments.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Model and subclassed.functional_arguments(args, kwargs):
            from rustgrad.keras.models.functional import Functional

            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args: Any, name: str | None = None, trainable: bool = True, **kwargs):
        if subclassed.functional_arguments(args, kwargs):
            # As Keras: a subclass given (inputs, outputs) becomes a functional model that keeps
            # the subclass's methods (an overridden train_step, say).
            from rustgrad.keras.models.functional import Functional

            self.__class__ = subclassed.functional_class(type(self), Functional)
            Functional.__init__(self, *args, name=name, trainable=trainable, **kwargs)
            return
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}() got unexpected arguments; a functional model is "
                "keras.Model(inputs, outputs, name=None)"
            )
        self.name = name or auto_name(snake(type(self).__name__))
        self._trainable = bool(trainable)
        self._inbound_nodes: list = []
        self.input_shape_arg = None
        self.core = None  # a model is not one Rust layer; its engine is `_core`
        self._core: Any = None
        self._core_compiled = False
        self._core_layers: list[Layer] = []  # the layers behind _core's layer indices
        self.optimizer: Any = None
        self.loss: Any = None
        self._losses: list | None = None
        self._loss_weights: list[float] = []
        self._metric_specs: list[list] = []
        self._metric_keys: list[str] = []
        self._frozen_at_compile: dict[int, bool] = {}
        self.history: Any = None
        self.stop_training = False
        # Concurrent fit calls on one model run one after the other (re-entrant for a callback
        # that fits); predict and evaluate meanwhile see the weights of finished steps.
        self._fit_lock = threading.RLock()
        self._build_lock = threading.Lock()
        self._built_custom, self._made, self._added_losses = False, [], []

    # ---- structure (functional.py and sequential.py fill these in) ---------------------------
    @property
    def layers(self) -> list[Layer]:
        """A subclass's layers: those assigned as attributes (also in lists and dicts)."""
        return list(self.__dict__.get("_tracked", []))

    @property
    def built(self) -> bool:
        """Whether the weights exist (a subclass builds on its first call or fit)."""
        return self._built_custom if self._is_custom() else self._core is not None

    def call(self, inputs: Any, training: Any = None) -> Any:
        """The forward pass on Tensors; a subclass writes its own.

        Args:
            inputs: the input Tensor (or a list or dict of them).
            training: whether the call is for training (Dropout, BatchNormalization behave so).

        Returns:
            The output Tensor (or a list or dict of them).
        """
        return self._call_data(inputs, bool(training))

    call._builtin = True  # type: ignore[attr-defined]

    def _engine(self) -> Any:
        """What fit/evaluate/predict call: train_batch, train_batches, eval_batch, predict_batch,
        forward, compile, params (the `_core.Model` interface); the eager engine for a subclass."""
        if self._is_custom():
            return subclassed.engine(self)
        if self._core is None:
            raise NotImplementedError(
                f"model '{self.name}' ({type(self).__name__}) has no graph of built-in layers; "
                "build it with keras.Model(inputs, outputs) or keras.Sequential"
            )
        return self._core

    def _ensure_built(self, data_shape: tuple) -> None:
        """Build from the first data seen when the input shape is still unknown (Sequential)."""
        if self._is_custom():
            subclassed.ensure_built(self, data_shape)

    @property
    def input_names(self) -> list[str]:
        """The names of the model's inputs, in order."""
        return ["input"]

    def _input_shapes(self) -> list[tuple]:
        return subclassed.input_shapes(self)

    @property
    def output_names(self) -> list[str]:
        """The names of the model's outputs, in order (the keys of per-output losses and logs)."""
        shapes = self.__dict__.get("_sub_output_shapes") or [()]
        if len(shapes) > 1:  # a subclass's several outputs, named as tf.keras names them
            return [f"output_{i + 1}" for i in range(len(shapes))]
        return [self.name]

    def _output_shapes(self) -> list[tuple]:
        if self._is_custom():
            return subclassed.output_shapes(self)
        return [tuple(self.output_shape)]

    def _pack_outputs(self, values: list) -> Any:
        """One value per output in the structure the model returns (one, a list or a dict)."""
        return values[0] if len(values) == 1 else list(values)

    def _flat_layers(self) -> list[Layer]:
        """Every distinct layer, nested models opened, in model order (shared layers once)."""
        out, seen = [], set()
        for layer in self.layers:
            for leaf in layer._flat_layers() if isinstance(layer, Model) else [layer]:
                if id(leaf) not in seen:
                    seen.add(id(leaf))
                    out.append(leaf)
        return out

    # ---- trainable and weights -------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        """Whether fit updates the weights; setting it sets every layer's, as Keras does."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Set on the model and every layer in it, as Keras does."""
        self._trainable = bool(value)
        for layer in self.layers:
            layer.trainable = value

    def _frozen(self) -> dict[int, bool]:
        """id(layer) -> whether fit leaves it alone (it or a model holding it is not trainable)."""
        out: dict[int, bool] = {}
        for layer in self.layers:
            if isinstance(layer, Model):
                for key, frozen in layer._frozen().items():
                    out[key] = out.get(key, False) or frozen or not self.trainable
            else:
                out[id(layer)] = out.get(id(layer), False) or not (
                    self.trainable and layer.trainable
                )
        return out

    @property
    def weights(self) -> list:
        """Every weight Variable of every layer, in layer order (shared layers once)."""
        return [w for layer in self._flat_layers() for w in layer.weights]

    @property
    def trainable_weights(self) -> list:
        """The weights fit updates: those of trainable layers in a trainable model."""
        frozen = self._frozen()
        return [
            w for la in self._flat_layers() if not frozen.get(id(la)) for w in la.trainable_weights
        ]

    @property
    def non_trainable_weights(self) -> list:
        """The weights fit leaves alone: frozen layers' and statistics such as moving means."""
        frozen = self._frozen()
        return [
            w
            for la in self._flat_layers()
            for w in (la.weights if frozen.get(id(la)) else la.non_trainable_weights)
        ]

    def count_params(self) -> int:
        """The number of scalars in all weights.

        Returns:
            int: the total size of `weights`.
        """
        return sum(layer.count_params() for layer in self._flat_layers())

    def get_weights(self) -> list[np.ndarray]:
        """Copies of all weights as NumPy arrays, in `weights` order.

        Returns:
            list[numpy.ndarray]: float32 arrays.
        """
        return [w.numpy().copy() for w in self.weights]

    def set_weights(self, weights: Any) -> None:
        """Write all weights (in get_weights' order); shapes are checked before any is written.

        Args:
            weights: a sequence of arrays, one per weight, in `get_weights()` order.

        Raises:
            ValueError: when the count or a shape differs; no weight is changed then.
        """
        saving.assign(self, list(weights), source="set_weights")

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Write the weights to `filepath` atomically, as keras.Model.save_weights.

        Args:
            filepath: a path ending in `.weights.h5` (Keras 3's format, with the optimizer's
                state), `.npz` or `.safetensors`.
            overwrite: replace an existing file; when False an existing file is an error.

        Raises:
            ValueError: when the suffix is none of those.
            FileExistsError: when the file exists and `overwrite` is False.
        """
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Read weights written by save_weights (or by Keras), as keras.Model.load_weights.

        Args:
            filepath: a `.weights.h5`, `.keras`, legacy `.h5`, `.npz` or `.safetensors` file.
            skip_mismatch: only False is supported (True is refused).
            **kwargs: no other argument is supported.

        Raises:
            NotImplementedError: when `skip_mismatch` is True or other keywords are given.
            FileNotFoundError: when the file does not exist.
            ValueError: when the file is damaged or its weights do not fit this model; the
                model is unchanged then.
        """
        if kwargs:
            raise NotImplementedError(f"load_weights: arguments {sorted(kwargs)} not supported")
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def export(
        self,
        filepath: Any,
        format: str = "tf_saved_model",
        verbose: Any = True,
        input_signature: Any = None,
        **kwargs: Any,
    ) -> None:
        """Keras 3's export for serving; rustgrad writes format='onnx' (see keras/export/).

        Args:
            filepath: the file to write.
            format: only "onnx" is written; Keras' default "tf_saved_model" is refused.
            verbose: print a line naming the file written.
            input_signature: only None: the model's Input shapes, with a dynamic batch axis.
            **kwargs: no other argument is supported.

        Raises:
            NotImplementedError: when `format` is not "onnx", `input_signature` is given or a
                layer has no ONNX form.
            TypeError: when other keyword arguments are given.
        """
        from rustgrad.keras.export import export

        export(self, filepath, format, verbose, input_signature, **kwargs)

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
        """Choose the optimizer, and a loss and metrics per output (strings or objects; one for
        all outputs, a list, or a dict by output name, as in Keras).

        Args:
            optimizer: a name ("adam") or an Optimizer.
            loss: a name, a Loss, a function of (y_true, y_pred), or a list or dict per output;
                None is allowed for a model whose train_step computes its own loss.
            metrics: names or Metric objects (one list for all outputs, or per output).
            loss_weights: a list or dict of factors for the per-output losses.
            weighted_metrics: not supported; anything but None or empty is refused.
            run_eagerly: None or a bool, kept as `model.run_eagerly`. The engine follows the
                model's code rather than this flag: Python code (a subclass, a custom layer or
                train_step) always runs eagerly, so prints and breakpoints in it work (what
                Keras' run_eagerly=True is for), and a graph of built-in layers runs in Rust;
                the numbers are the same either way.
            steps_per_execution: a positive int (or "auto"), kept as
                `model.steps_per_execution`. fit already runs chunks of batches per Rust call
                when no callback needs each batch, so the results do not depend on it.
            jit_compile: None, a bool or "auto", kept as `model.jit_compile`; there is no
                XLA, the kernels are compiled Rust.
            **kwargs: Keras 3's `auto_scale_loss` (a bool; loss scaling applies to
                mixed-precision float16 only, and rustgrad computes in float32).

        Raises:
            TypeError: for any other keyword argument, or a flag of the wrong type.
            ValueError: when `weighted_metrics` is given, or a name is unknown (the message lists
                the valid names), or losses do not match the outputs.
        """
        _check_compile_flags(run_eagerly, steps_per_execution, jit_compile, kwargs)
        self.run_eagerly, self.jit_compile = bool(run_eagerly), jit_compile
        self.steps_per_execution = steps_per_execution or 1
        if weighted_metrics:
            raise ValueError("weighted_metrics are not supported yet; use metrics=[...]")
        self.optimizer = optimizers.get(optimizer)
        self._strategy = distribute_state.current()  # compiled in a strategy's scope: fit uses it
        self._compile_spec = (loss, loss_weights, metrics)
        # Which layers are frozen is read now; a change of `trainable` counts from the next compile.
        self._frozen_at_compile = self._frozen()
        if self._is_custom() and not self.built:
            # As Keras: a subclass's outputs are known only after its first call, so the losses
            # per output are matched then (subclassed.ensure_built); the names are checked now.
            self.loss, self._losses, self._metric_specs = loss, None, []
            self._core_compiled, self._metric_objects = False, None
            _compile.check_metric_names(_compile.per_output_metrics(metrics, ["?"]), None)
            return
        self._resolve_compile()

    def _resolve_compile(self) -> None:
        """Match compile's loss, weights and metrics to the outputs, and compile the engine."""
        loss, loss_weights, metrics = self._compile_spec
        names = self.output_names
        self._losses = _compile.per_output_losses(loss, names)
        self.loss = None if self._losses is None else self._losses[0]
        if self._losses is not None and len(names) > 1:
            self.loss = list(self._losses)
        self._loss_weights = _compile.per_output_weights(loss_weights, names)
        self._metric_specs = _compile.per_output_metrics(metrics, names)
        _compile.check_metric_names(self._metric_specs, self._losses)
        self._core_compiled, self._metric_objects = False, None
        if self.built and self._losses is not None:
            self._ensure_compiled()

    def _ensure_compiled(self) -> None:
        if not self._core_compiled:
            _compile.compile_engine(self)
            self._core_compiled = True

    @property
    def metrics_names(self) -> list[str]:
        """ "loss" and the names of the compiled metrics, in evaluate's order."""
        return ["loss", *self._metric_keys]

    # ---- training and inference ------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, **kwargs: Any) -> Any:
        """Train for `epochs` over (x, y) in batches; returns a History, as keras.Model.fit.

        Args:
            x: the inputs: an array (a list or dict of arrays for several inputs), a
                rustgrad.data.Dataset, a generator of batches or a keras.utils.PyDataset.
            y: the targets, matching `x`'s rows (None when `x` yields (x, y) batches).
            **kwargs: Keras' other fit arguments: batch_size (32), epochs (1), verbose ("auto"),
                callbacks, validation_split, validation_data, shuffle (True), class_weight,
                sample_weight, initial_epoch, steps_per_epoch, validation_steps,
                validation_batch_size, validation_freq. Any other name is a TypeError.

        Returns:
            History: the per-epoch logs (`history.history["loss"]`).

        Raises:
            RuntimeError: when the model is not compiled.
            ValueError: when shapes, sample counts or batch_size do not fit (the message names
                them).
            KeyboardInterrupt: on Ctrl-C, between batches; finished epochs stay in
                `model.history`.
        """
        with self._fit_lock, replicas.guard(self):
            try:
                history = training.fit(self, x, y, **kwargs)
            finally:
                # A fit that raised skipped on_train_end: a GradientMonitor is removed here.
                monitored = self.__dict__.pop("_grad_monitored", None)
                if monitored is not None:
                    monitored.set_grad_monitor(None)
            self.optimizer._finalize_fit(self, kwargs.get("epochs", 1))  # use_ema's averages
            return history

    def lr_find(self, x: Any, y: Any = None, **kwargs: Any) -> Any:
        """The learning-rate range test on a copy of the training state; see keras.lr_find.

        Args:
            x: the inputs.
            y: the targets.
            **kwargs: start_lr, end_lr, num_steps, batch_size, beta, stop_factor, seed.

        Returns:
            An LRFinderResult (`lrs`, `losses`, `suggestion`, `plot(path)`).
        """
        from rustgrad.keras.lr_find import lr_find

        with self._fit_lock:
            return lr_find(self, x, y, **kwargs)

    def evaluate(self, x: Any = None, y: Any = None, **kwargs: Any) -> Any:
        """Loss, or ``[loss, *metrics]``, over (x, y); a dict with return_dict=True.

        Args:
            x: the inputs, as for fit.
            y: the targets, as for fit.
            **kwargs: batch_size (32), verbose ("auto"), sample_weight, callbacks, return_dict
                (False) and steps, as keras.Model.evaluate.

        Returns:
            float | list | dict: the loss, or the loss then each metric, or a dict by name.

        Raises:
            RuntimeError: when the model is not compiled.
            ValueError: when shapes or sample counts do not fit.
        """
        return training.evaluate(self, x, y, **kwargs)

    def predict(self, x: Any, batch_size: Any = None, verbose: Any = 0, **kwargs: Any) -> Any:
        """The model's outputs for x: a float32 array, or a list (dict) of them for several.

        Args:
            x: the inputs: arrays, a Dataset, a generator or a PyDataset.
            batch_size: rows per forward pass (32 when None).
            verbose: accepted as Keras' values; predict prints no progress bar.
            **kwargs: steps and callbacks, as keras.Model.predict.

        Returns:
            numpy.ndarray | list | dict: one float32 array per output.

        Raises:
            ValueError: when the input width does not fit the model or batch_size < 1.
        """
        return training.predict(self, x, batch_size, verbose, **kwargs)

    def __call__(self, x: Any, training: Any = None) -> Any:
        """On KerasTensors: the model used as a layer. On data: the forward pass as rustgrad
        Tensors that record the graph (call .backward() on a loss)."""
        if is_symbolic(x):
            if self._is_custom():
                return self._call_symbolic_custom(x, list(x) if isinstance(x, list) else [x])
            return self._call_symbolic(x)
        training = call_context.resolve(training)
        if self._is_custom():
            out = self._call_custom(x, training)
            subclassed.record_shapes(self, out)
            return out
        return self._call_data(x, bool(training))

    def _call_data(self, x: Any, training: bool) -> Any:
        return self._engine().forward(x, training=training)

    # ---- inspection ------------------------------------------------------------------------
    def summary(
        self,
        line_length: int | None = None,
        positions: Any = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Print Keras' table of layers, output shapes and parameter counts.

        Args:
            line_length: the table's width in characters (Keras' default when None).
            positions: where each column ends: fractions of the width, or character counts.
            print_fn: a function called with each line instead of print.
            expand_nested: also list the layers of nested models, under theirs, marked '| '.
            show_trainable: add a "Trainable" column: Y, N, or - for a layer without weights.
            layer_range: (first name, last name): only those layers and the ones between.

        Raises:
            ValueError: for positions that do not fit the columns or a layer_range naming no
                layer.
        """
        _summary.summary(
            self,
            line_length=line_length,
            print_fn=print_fn,
            positions=positions,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """One of the model's layers, by index or by name, as keras.Model.get_layer.

        Args:
            name: the layer's name.
            index: the layer's position in `layers` (used when given).

        Returns:
            Layer: the layer.

        Raises:
            ValueError: when the index is out of range, no layer has the name, or neither is given.
        """
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model '{self.name}' only "
                    f"has {len(self.layers)} layers."
                )
            return self.layers[index]
        if name is None:
            raise ValueError("Provide either a layer name or layer index at `get_layer`.")
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[la.name for la in self.layers]}"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}, {len(self.layers)} layers>"


def _check_compile_flags(run_eagerly: Any, steps: Any, jit: Any, kwargs: dict) -> None:
    """compile's execution flags: each checked, so a misspelt or misplaced one is not dropped."""
    extra = sorted(set(kwargs) - {"auto_scale_loss"})
    if extra:
        raise TypeError(f"compile() got unexpected keyword arguments {extra}")
    for key, value in (("run_eagerly", run_eagerly), *kwargs.items()):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"compile: {key} must be a bool, got {value!r}")
    if jit is not None and not isinstance(jit, bool) and jit != "auto":
        raise TypeError(f"compile: jit_compile must be a bool or 'auto', got {jit!r}")
    is_int = isinstance(steps, int) and not isinstance(steps, bool)
    if steps is not None and steps != "auto" and not (is_int and steps >= 1):
        raise TypeError(f"compile: steps_per_execution must be a positive int, got {steps!r}")
