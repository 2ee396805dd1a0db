"""HyperModel: a search space as a class, with `build(hp)` and an overridable `fit` (KerasTuner's)."""

from __future__ import annotations

from typing import Any


class HyperModel:
    """Subclass and implement `build(hp)`; override `fit` to tune training too (batch size,
    epochs, shuffling, preprocessing), as KerasTuner.

    Args:
        name: Optional name.
        tunable: Whether the hypermodel's hyperparameters are searched (KerasTuner's flag; only
            True is supported).

    Raises:
        NotImplementedError: tunable=False.
    """

    def __init__(self, name: str | None = None, tunable: bool = True) -> None:
        if not tunable:
            raise NotImplementedError("HyperModel(tunable=False) is not supported")
        self.name = name
        self.tunable = tunable

    def build(self, hp: Any) -> Any:
        """Build and compile a model whose choices come from `hp`.

        Args:
            hp: A HyperParameters.

        Returns:
            A compiled Keras model.

        Raises:
            NotImplementedError: when not overridden.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement build(self, hp)")

    def declare_hyperparameters(self, hp: Any) -> None:
        """Declare hyperparameters before the first build (KerasTuner's hook; nothing here).

        Args:
            hp: A HyperParameters.
        """

    def fit(self, hp: Any, model: Any, *args: Any, **kwargs: Any) -> Any:
        """Train `model` for one trial: `model.fit(*args, **kwargs)` unless overridden.

        Args:
            hp: The trial's HyperParameters (read batch_size etc. from it in an override).
            model: What build returned.
            *args: The positional arguments given to `search`.
            **kwargs: The keyword arguments of `search`, with the tuner's callbacks added.

        Returns:
            A History, a dict of metric values, or one float (the objective's value).
        """
        return model.fit(*args, **kwargs)


class FunctionHyperModel(HyperModel):
    """A `build_model(hp)` function seen as a HyperModel.

    Args:
        build_fn: The function.
    """

    def __init__(self, build_fn: Any) -> None:
        super().__init__(name=getattr(build_fn, "__name__", None))
        self.build_fn = build_fn

    def build(self, hp: Any) -> Any:
        """Call the function.

        Args:
            hp: A HyperParameters.

        Returns:
            The model it built.
        """
        return self.build_fn(hp)


def as_hypermodel(hypermodel: Any) -> HyperModel | None:
    """A HyperModel from a HyperModel, a function, or None.

    Args:
        hypermodel: What the tuner was given.

    Returns:
        A HyperModel, or None.

    Raises:
        TypeError: anything else.
    """
    if hypermodel is None or isinstance(hypermodel, HyperModel):
        return hypermodel
    if callable(hypermodel):
        return FunctionHyperModel(hypermodel)
    raise TypeError(
        "hypermodel must be a kt.HyperModel or a function build_model(hp) returning a compiled "
        f"model, got {type(hypermodel).__name__}"
    )
