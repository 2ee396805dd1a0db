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
    cat,
    concatenate,
    eye,
    full,
    full_like,
    get_num_threads,
    is_grad_enabled,
    linspace,
    manual_seed,
    one_hot,
    ones,
    ones_like,
    rand,
    rand_like,
    randn,
    randn_like,
    set_num_threads,
    stack,
    tensor,
    zeros,
    zeros_like,
)
from rustgrad.autograd import enable_grad, no_grad, set_grad_enabled
from rustgrad.dtypes import device, float32, float64, int32, int64
from rustgrad.functional import (
    abs,
    add,
    clip,
    cos,
    div,
    exp,
    log,
    log_softmax,
    matmul,
    maximum,
    mean,
    minimum,
    mul,
    pow,
    relu,
    sigmoid,
    sin,
    softmax,
    sqrt,
    square,
    sub,
    sum,
    tanh,
)
from rustgrad.gradcheck import GradcheckError, gradcheck, numerical_grad
from rustgrad.tape import GradientTape

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "GradientTape",
    "GraphError",
    "InvalidArgumentError",
    "ShapeError",
    "Tensor",
    "abs",
    "add",
    "arange",
    "cat",
    "clip",
    "concatenate",
    "cos",
    "device",
    "div",
    "enable_grad",
    "exp",
    "eye",
    "float32",
    "float64",
    "full",
    "full_like",
    "get_num_threads",
    "gradcheck",
    "int32",
    "int64",
    "is_grad_enabled",
    "linspace",
    "log",
    "log_softmax",
    "manual_seed",
    "matmul",
    "maximum",
    "mean",
    "minimum",
    "mul",
    "no_grad",
    "numerical_grad",
    "one_hot",
    "ones",
    "ones_like",
    "pow",
    "rand",
    "rand_like",
    "randn",
    "randn_like",
    "relu",
    "set_grad_enabled",
    "set_num_threads",
    "sigmoid",
    "sin",
    "softmax",
    "sqrt",
    "square",
    "stack",
    "sub",
    "sum",
    "tanh",
    "tensor",
    "zeros",
    "zeros_like",
]


def __getattr__(name):
    # keras and the data modules load on first use, so `import rustgrad` stays quick.
    if name in ("keras", "data", "datasets"):
        import importlib

        return importlib.import_module(f"rustgrad.{name}")
    raise AttributeError(f"module 'rustgrad' has no attribute {name!r}")
