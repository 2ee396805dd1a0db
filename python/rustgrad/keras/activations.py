"""keras.activations: each function applies the Rust core's activation of that name; `get` resolves names.

The formulas live once, in the core's unary table (src/ops/unary.rs); these are the Keras-named doors
to it, so `Dense(activation="mish")` and `keras.activations.mish(x)` compute the same thing.
"""

from __future__ import annotations

from typing import Any

from rustgrad._core import Tensor, tensor
from rustgrad.keras._names import unknown_name

__all__ = [
    "elu",
    "exponential",
    "gelu",
    "get",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "swish",
    "tanh",
]


def _apply(x: Any, name: str) -> Tensor:
    return (x if isinstance(x, Tensor) else tensor(x)).activation(name)


def _refuse(fn: str, **args: Any) -> None:
    # Keras' optional arguments beyond the defaults have no Rust form yet; never ignore one silently.
    for key, (value, default) in args.items():
        if value != default:
            raise ValueError(
                f"activations.{fn}: {key}={value!r} is not supported (only {default!r})"
            )


def linear(x: Any) -> Tensor:
    """x unchanged, elementwise, as keras.activations.linear.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _apply(x, "linear")


def relu(x: Any, negative_slope: float = 0.0, max_value: Any = None, threshold: float = 0.0):
    """max(x, 0), as keras.activations.relu with its default arguments.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        negative_slope: only 0.0 (Keras' other values are refused).
        max_value: only None.
        threshold: only 0.0.

    Returns:
        Tensor: the result, recorded for autograd.

    Raises:
        ValueError: when an argument is not its default.
    """
    _refuse(
        "relu",
        negative_slope=(negative_slope, 0.0),
        max_value=(max_value, None),
        threshold=(threshold, 0.0),
    )
    return _apply(x, "relu")


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """x where x > 0, else negative_slope * x, as keras.activations.leaky_relu.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        negative_slope: the slope below 0.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    t = x if isinstance(x, Tensor) else tensor(x)
    return t.leaky_relu(float(negative_slope))


def relu6(x: Any) -> Tensor:
    """min(max(x, 0), 6), elementwise, as keras.activations.relu6.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _apply(x, "relu6")


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else alpha * (e ** x - 1), as keras.activations.elu.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        alpha: the scale of the negative part.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    t = x if isinstance(x, Tensor) else tensor(x)
    return t.elu(float(alpha))


def selu(x: Any) -> Tensor:
    """scale * elu(x, alpha) with Keras' constants (1.0507..., 1.6732...), elementwise, as keras.activations.selu.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _apply(x, "selu")


def softplus(x: Any) -> Tensor:
    """log(1 + e ** x), elementwise, as keras.activations.softplus.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _apply(x, "softplus")


def softsign(x: Any) -> Tensor:
    """x / (``|x|`` + 1), elementwise, as keras.activations.softsign.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _apply(x, "softsign")


def silu(x: Any) -> Tensor:
    """x * sigmoid(x) (also `swish`), elementwise, as keras.activations.silu.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _apply(x, "silu")


def gelu(x: Any, approximate: bool = False) -> Tensor:
    """The exact GELU x * Φ(x), as keras.activations.gelu (approximate=False, Keras 3's default).

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        approximate: only False; the tanh approximation is refused here (see keras.ops.gelu).

    Returns:
        Tensor: the result, recorded for autograd.

    Raises:
        ValueError: when `approximate` is True.
    """
    _refuse("gelu", approximate=(bool(approximate), False))
    return _apply(x, "gelu")


def tanh(x: Any) -> Tensor:
    """The hyperbolic tangent, elementwise, as keras.activations.tanh.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _apply(x, "tanh")


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + e ** -x), elementwise, as keras.activations.sigmoid.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _apply(x, "sigmoid")


def exponential(x: Any) -> Tensor:
    """e ** x, elementwise, as keras.activations.exponential.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _apply(x, "exponential")


def hard_sigmoid(x: Any) -> Tensor:
    """relu6(x + 3) / 6, elementwise, as keras.activations.hard_sigmoid.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _apply(x, "hard_sigmoid")


def hard_silu(x: Any) -> Tensor:
    """x * hard_sigmoid(x) (also `hard_swish`), elementwise, as keras.activations.hard_silu.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _apply(x, "hard_silu")


def mish(x: Any) -> Tensor:
    """x * tanh(softplus(x)), elementwise, as keras.activations.mish.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.

    Returns:
        Tensor: the result, recorded for autograd.
    """
    return _apply(x, "mish")


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Softmax along `axis`, computed stably, as keras.activations.softmax.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        axis: the axis to normalise.

    Returns:
        Tensor: a tensor of x's shape.

    Raises:
        ShapeError: when `axis` is out of range.
    """
    return (x if isinstance(x, Tensor) else tensor(x)).softmax(int(axis))


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """The log of softmax along `axis`, computed stably, as keras.activations.log_softmax.

    Args:
        x: a Tensor, or anything rustgrad.tensor accepts.
        axis: the axis to normalise.

    Returns:
        Tensor: a tensor of x's shape.

    Raises:
        ShapeError: when `axis` is out of range.
    """
    return (x if isinstance(x, Tensor) else tensor(x)).log_softmax(int(axis))


# The same functions under Keras' other names, as keras.activations has them.
swish = silu
hard_swish = hard_silu

_BY_NAME = {
    fn.__name__: fn
    for fn in (
        linear,
        relu,
        leaky_relu,
        relu6,
        elu,
        selu,
        softplus,
        softsign,
        silu,
        gelu,
        tanh,
        sigmoid,
        exponential,
        hard_sigmoid,
        hard_silu,
        mish,
        softmax,
        log_softmax,
    )
}
_BY_NAME["swish"] = silu
_BY_NAME["hard_swish"] = hard_silu

NAMES = tuple(_BY_NAME)


def get(identifier: Any) -> Any:
    """The activation function for None (linear), a name ('mish', 'swish', ...) or a function.

    Args:
        identifier: None, an activation name, or a callable (returned as it is).

    Returns:
        The activation function.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones) or another type.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier in _BY_NAME:
            return _BY_NAME[identifier]
        raise unknown_name("activation", identifier, NAMES)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation: Any) -> str:
    """The name Keras saves for a built-in activation (silu for swish, hard_silu for hard_swish).

    Args:
        activation: a built-in activation function or its name.

    Returns:
        str: the name.

    Raises:
        ValueError: when the activation is not a built-in one.
    """
    fn = get(activation)
    name = getattr(fn, "__name__", None)
    if _BY_NAME.get(name) is not fn:
        raise ValueError(f"activation {activation!r} is not a built-in one and has no name to save")
    return name
