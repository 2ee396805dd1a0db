"""The Optimizer base: learning rate (float or schedule), clipping options and the step counter.

The update rules themselves run in Rust (src/optimizers/); a Python optimizer only names its rule and
carries its settings, and hands the learning rate for each step to the fit loop. For user-written loops
over rustgrad Tensors, `apply_gradients` and `minimize` run the same Rust rule on those Tensors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rustgrad import _core
from rustgrad._core import Tensor
from rustgrad.distribute import _state as distribute_state
from rustgrad.keras.eager import apply_constraints
from rustgrad.keras.optimizers import _checks
from rustgrad.keras.optimizers.schedules import LearningRateSchedule


class Optimizer:
    """Settings shared by every optimizer; subclasses set `core_name` and add their own options.

    As keras.optimizers.Optimizer (the update rules are Rust's; a Python subclass cannot add one).

    Args:
        learning_rate: a number >= 0, a LearningRateSchedule, or a callable of the step.
        weight_decay: None, or a decoupled weight decay factor (>= 0).
        clipnorm: None, or clip each gradient to this norm (> 0).
        clipvalue: None, or clip each gradient value to [-clipvalue, clipvalue] (> 0).
        global_clipnorm: None, or clip all gradients together to this norm (> 0).
        use_ema: keep an exponential moving average of the weights, written at the end of fit.
        ema_momentum: the average's decay, in [0, 1].
        ema_overwrite_frequency: None, or every how many steps the weights take the average.
        name: the optimizer's name (its lowercase class name when None).
        **kwargs: tf.keras 2's `lr` and `decay` (with a warning), `jit_compile` (not used: the
            rule is already compiled Rust); loss_scale_factor and gradient_accumulation_steps
            are refused.

    Raises:
        TypeError: for any other keyword argument.
        ValueError: when a number is out of range, or clipnorm and global_clipnorm are both set.
        NotImplementedError: for loss_scale_factor or gradient_accumulation_steps.
    """

    core_name = ""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        name: str | None = None,
        **kwargs,
    ):
        if "lr" in kwargs:  # tf.keras 2's spelling, accepted with its warning
            learning_rate = kwargs.pop("lr")
            _checks.warn_legacy("The `lr` argument is deprecated, use `learning_rate` instead.")
        decay = kwargs.pop("decay", None)
        kwargs.pop("jit_compile", None)  # there is nothing to compile: the rule is already Rust
        for key in ("loss_scale_factor", "gradient_accumulation_steps"):
            if kwargs.pop(key, None) is not None:
                raise NotImplementedError(f"{type(self).__name__}: {key} is not supported")
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(kwargs)}")
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(
                f"{type(self).__name__}: clipnorm and global_clipnorm cannot both be set"
            )
        for key, v in (
            ("clipnorm", clipnorm),
            ("clipvalue", clipvalue),
            ("global_clipnorm", global_clipnorm),
        ):
            if v is not None:
                _checks.number(self, key, v, lo=0, lo_open=True)
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        if weight_decay is not None:
            weight_decay = _checks.number(self, "weight_decay", weight_decay, lo=0)
        self.weight_decay = weight_decay
        self.use_ema = bool(use_ema)
        self.ema_momentum = _checks.number(self, "ema_momentum", ema_momentum, 0, 1)
        self.ema_overwrite_frequency = _checks.overwrite_frequency(self, ema_overwrite_frequency)
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._core: Any = None  # the Rust rule for apply_gradients, made on first use
        self._slots: dict[int, int] = {}  # hash(tensor) -> its state slot in self._core
        self._variables: list[Any] = []
        self._lr: Any = None
        self._decay = 0.0
        self.learning_rate = learning_rate
        if decay is not None:
            self._decay = _checks.number(self, "decay", decay, lo=0)
            _checks.warn_legacy(
                "`decay` is a tf.keras 2 argument (Keras 3 ignores it); as in tf.keras 2 the rate "
                "becomes learning_rate / (1 + decay * iterations). Use "
                "keras.optimizers.schedules.InverseTimeDecay instead."
            )
            if self._decay:
                self._lr = _checks.DecayedRate(self._lr, self._decay)

    @property
    def learning_rate(self) -> float:
        """The rate for the next step (a schedule is evaluated at the current step): a float that
        also has `.numpy()` and `.assign(v)`, as Keras' rate Variable (`_checks.LearningRate`)."""
        return _checks.LearningRate(self.lr_at(self.iterations), self)

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(self._base_lr(), LearningRateSchedule) and not isinstance(
            value, LearningRateSchedule
        ):
            raise TypeError(
                "this optimizer's learning rate is a schedule; it cannot be set to a number"
            )
        if not isinstance(value, LearningRateSchedule) and not callable(value):
            value = _checks.number(self, "learning_rate", value, lo=0)
        self._lr = _checks.DecayedRate(value, self._decay) if self._decay else value

    def _base_lr(self) -> Any:
        """The rate as given, without tf.keras 2's decay."""
        return self._lr.base if isinstance(self._lr, _checks.DecayedRate) else self._lr

    lr = learning_rate

    def lr_at(self, step: int) -> float:
        """The learning rate at a step (a schedule or callable is evaluated there).

        Args:
            step: the step count, from 0.

        Returns:
            float: the rate.
        """
        return float(self._lr(step)) if callable(self._lr) else self._lr

    def core_kwargs(self) -> dict:
        """Keyword arguments for `_core.Model.compile` (everything except the learning rate)."""
        kw = {
            "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue,
            "global_clipnorm": self.global_clipnorm,
        }
        if self.weight_decay:
            kw["weight_decay"] = float(self.weight_decay)
        if self.use_ema:
            kw["use_ema"] = True
            kw["ema_momentum"] = self.ema_momentum
            kw["ema_overwrite_frequency"] = self.ema_overwrite_frequency
        return kw

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]]) -> int:
        """One update of each Tensor from its gradient, Keras-style: `apply_gradients(zip(grads, vars))`.

        Variables are rustgrad Tensors, updated in place; pairs whose gradient is None are skipped.
        Like PyTorch's `step()` followed by `zero_grad()`, each updated variable's `.grad` is cleared,
        so the next `backward()` starts from zero. Returns the new value of `iterations`.
        Inside `fit` under a multi-rank MPIStrategy the gradients are first averaged across the
        ranks (weighted by each rank's batch rows).

        Args:
            grads_and_vars: (gradient, variable) pairs; a gradient may be a Tensor, an array or
                None.

        Returns:
            int: the new step count.

        Raises:
            TypeError: when a variable is not a rustgrad Tensor.
            ShapeError: when a gradient's shape differs from its variable's.
        """
        # Under a distributed fit the gradients are averaged across ranks here, as tf.distribute
        # does in apply_gradients: every rank then applies the same update.
        given = list(grads_and_vars)
        for g, v in given:
            if g is not None and not isinstance(v, Tensor):
                raise TypeError(f"apply_gradients updates rustgrad Tensors, got {type(v).__name__}")
        pairs = [(g, v) for g, v in distribute_state.reduce_gradients(given) if g is not None]
        if self._core is None:
            self._core = _core.Optimizer(self.core_name, **self.core_kwargs())
        # Each variable keeps the slot it got on its first update, so its momentum / moments follow it.
        # Holding the variables keeps their addresses (their hashes) from being reused by new Tensors.
        for _, v in pairs:
            if hash(v) not in self._slots:
                self._slots[hash(v)] = len(self._variables)
                self._variables.append(v)
        params: list[Any] = [None] * len(self._variables)
        for g, v in pairs:
            # The core reads each gradient from .grad, which holds Tensors only.
            v.grad = g if isinstance(g, Tensor) else _core.tensor(g)
            params[self._slots[hash(v)]] = v
        self._core.step(params, self.learning_rate)
        # Then each variable takes its constraint's projection, as Keras' optimizer does.
        apply_constraints([v for _, v in pairs])
        self.iterations += 1
        return self.iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any]) -> int:
        """Keras 3's form of apply_gradients: the gradients and the variables as two lists.

        Args:
            grads: the gradients, in the order of `trainable_variables`.
            trainable_variables: the Tensors to update.

        Returns:
            int: the new step count.
        """
        return self.apply_gradients(zip(grads, trainable_variables))

    def minimize(self, loss: Any, var_list: Sequence[Any]) -> int:
        """Backpropagate `loss` (a scalar Tensor, or a function returning one) and update `var_list`.

        Args:
            loss: a scalar Tensor, or a function of no arguments returning one.
            var_list: the Tensors to update (their gradients are zeroed first).

        Returns:
            int: the new step count.
        """
        for v in var_list:
            v.zero_grad()  # gradients from an earlier backward must not leak into this step
        value = loss() if callable(loss) else loss
        value.backward()
        return self.apply_gradients([(v.grad, v) for v in var_list])

    def finalize_variable_values(self, var_list: Any = None) -> None:
        """With use_ema, the variables this optimizer updated take their moving average (Keras
        does this at the end of fit). The variables are those of apply_gradients, in the order
        they were first seen, whatever `var_list` holds.

        Args:
            var_list: accepted as in Keras; the variables are those this optimizer updated.
        """
        if self.use_ema and self._core is not None:
            self._core.finalize(self._variables)

    def _loop_state(self) -> dict | None:
        """apply_gradients' step count and slots (None before its first update). Its parameter
        positions are the order in which variables were first updated, which the same code
        repeats in a new process."""
        return None if self._core is None else self._core.state()

    def _set_loop_state(self, state: dict | None) -> None:
        if state is None:
            self._core = None
            return
        if self._core is None:
            self._core = _core.Optimizer(self.core_name, **self.core_kwargs())
        self._core.set_state(state)

    def _finalize_fit(self, model: Any, epochs: Any) -> None:
        """The end of `fit`: both the engine's weights (fit's steps) and those of a custom
        train_step (apply_gradients) take their averages, as Keras' fit does when epochs > 0."""
        if self.use_ema and int(epochs) > 0:
            model._engine().finalize_variable_values()
            self.finalize_variable_values()

    def get_config(self) -> dict:
        """Keras 3's optimizer config: name, learning_rate and every option.

        Returns:
            dict: a config from_config accepts.
        """
        config = {
            "name": self.name,
            "learning_rate": self._base_lr(),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
        }
        config.update({k: v for k, v in self.core_kwargs().items() if k not in config})
        if self._decay:
            config["decay"] = self._decay
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> Optimizer:
        """From a config in Keras 3's form (its keys rustgrad has no option for must hold
        Keras' defaults; a learning-rate schedule may be a serialized object).

        Args:
            config: the constructor arguments under Keras 3's keys.
            custom_objects: classes by name for a custom learning-rate schedule.

        Returns:
            Optimizer: the new optimizer.

        Raises:
            NotImplementedError: for loss_scale_factor or gradient_accumulation_steps.
        """
        config = dict(config)
        for key in ("loss_scale_factor", "gradient_accumulation_steps"):
            if config.pop(key, None) is not None:
                raise NotImplementedError(f"{cls.__name__}: {key} is not supported")
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            from rustgrad.keras.saving import serialization

            config["learning_rate"] = serialization.deserialize_keras_object(lr, custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self._base_lr()!r})"
