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
from rustgrad.keras.optimizers.schedules import LearningRateSchedule


class Optimizer:
    """Settings shared by every optimizer; subclasses set `core_name` and add their own options."""

    core_name = ""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        weight_decay: float | None = None,
        name: str | None = None,
        **kwargs,
    ):
        if "lr" in kwargs:  # Keras 2 spelling
            learning_rate = kwargs.pop("lr")
        for key in ("use_ema", "ema_momentum", "ema_overwrite_frequency", "jit_compile"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(kwargs)}")
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError("clipnorm and global_clipnorm cannot both be set")
        for key, v in (
            ("clipnorm", clipnorm),
            ("clipvalue", clipvalue),
            ("global_clipnorm", global_clipnorm),
        ):
            if v is not None and not float(v) > 0:
                raise ValueError(f"{key} must be a positive number, got {v}")
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.weight_decay = weight_decay
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._core: Any = None  # the Rust rule for apply_gradients, made on first use
        self._slots: dict[int, int] = {}  # hash(tensor) -> its state slot in self._core
        self._variables: list[Any] = []
        self._lr: Any = None
        self.learning_rate = learning_rate

    @property
    def learning_rate(self) -> float:
        """The rate for the next step (a schedule is evaluated at the current step)."""
        return self.lr_at(self.iterations)

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(self._lr, LearningRateSchedule) and not isinstance(
            value, LearningRateSchedule
        ):
            raise TypeError(
                "this optimizer's learning rate is a schedule; it cannot be set to a number"
            )
        if not isinstance(value, LearningRateSchedule) and not callable(value):
            value = float(value)
            if not value >= 0:
                raise ValueError(f"learning_rate must be a non-negative number, got {value}")
        self._lr = value

    lr = learning_rate

    def lr_at(self, step: int) -> float:
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
        return kw

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]]) -> int:
        """One update of each Tensor from its gradient, Keras-style: `apply_gradients(zip(grads, vars))`.

        Variables are rustgrad Tensors, updated in place; pairs whose gradient is None are skipped.
        Like PyTorch's `step()` followed by `zero_grad()`, each updated variable's `.grad` is cleared,
        so the next `backward()` starts from zero. Returns the new value of `iterations`.
        """
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        for _, v in pairs:
            if not isinstance(v, Tensor):
                raise TypeError(f"apply_gradients updates rustgrad Tensors, got {type(v).__name__}")
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
        self.iterations += 1
        return self.iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any]) -> int:
        """Keras 3's form of apply_gradients: the gradients and the variables as two lists."""
        return self.apply_gradients(zip(grads, trainable_variables))

    def minimize(self, loss: Any, var_list: Sequence[Any]) -> int:
        """Backpropagate `loss` (a scalar Tensor, or a function returning one) and update `var_list`."""
        for v in var_list:
            v.zero_grad()  # gradients from an earlier backward must not leak into this step
        value = loss() if callable(loss) else loss
        value.backward()
        return self.apply_gradients([(v.grad, v) for v in var_list])

    def get_config(self) -> dict:
        return {"name": self.name, "learning_rate": self._lr, **self.core_kwargs()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self._lr!r})"
