"""rustgrad: train neural networks with a Rust engine: tensors, autograd and a Keras-style API.

`import rustgrad as tf` gives tf.keras; `rustgrad.tensor(..., requires_grad=True)` gives a PyTorch-like
Tensor whose `backward()` fills `.grad`.
"""

from rustgrad._core import (
    GraphError,
    InvalidArgumentError,
    ShapeError,
    Tensor,
    arange,
    concatenate,
    full,
    get_num_threads,
    is_grad_enabled,
    manual_seed,
    one_hot,
    ones,
    rand,
    randn,
    set_num_threads,
    stack,
    tensor,
    zeros,
)
from rustgrad.autograd import enable_grad, no_grad, set_grad_enabled
from rustgrad.functional import (
    abs,
    clip,
    exp,
    log,
    log_softmax,
    matmul,
    maximum,
    mean,
    minimum,
    relu,
    sigmoid,
    softmax,
    sqrt,
    sum,
    tanh,
)
from rustgrad.gradcheck import GradcheckError, gradcheck, numerical_grad
from rustgrad.tape import GradientTape

__version__ = "0.1.0"
float32 = "float32"

__all__ = [
    "GradcheckError",
    "GradientTape",
    "GraphError",
    "InvalidArgumentError",
    "ShapeError",
    "Tensor",
    "abs",
    "arange",
    "clip",
    "concatenate",
    "enable_grad",
    "exp",
    "full",
    "get_num_threads",
    "gradcheck",
    "is_grad_enabled",
    "log",
    "log_softmax",
    "manual_seed",
    "matmul",
    "maximum",
    "mean",
    "minimum",
    "no_grad",
    "numerical_grad",
    "one_hot",
    "ones",
    "rand",
    "randn",
    "relu",
    "set_grad_enabled",
    "set_num_threads",
    "sigmoid",
    "softmax",
    "sqrt",
    "stack",
    "sum",
    "tanh",
    "tensor",
    "zeros",
]


def __getattr__(name):
    # keras and the data modules load on first use, so `import rustgrad` stays quick.
    if name in ("keras", "data", "datasets"):
        import importlib

        return importlib.import_module(f"rustgrad.{name}")
    raise AttributeError(f"module 'rustgrad' has no attribute {name!r}")
