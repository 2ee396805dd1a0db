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
    rand,
    randn,
    set_num_threads,
    stack,
    tensor,
)
from rustgrad.autograd import enable_grad, no_grad, set_grad_enabled
from rustgrad.functional import (
    abs,
    clip,
    exp,
    log,
    log_softmax,
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

# TensorFlow's top-level ops. matmul, ones and zeros keep rustgrad's PyTorch-style calls and add
# TF's (transpose_a/transpose_b; a shape list, shape= and dtype=).
from rustgrad.tf_ops import (
    add,
    argmax,
    argmin,
    cast,
    clip_by_value,
    concat,
    constant,
    convert_to_tensor,
    divide,
    equal,
    expand_dims,
    function,
    greater,
    greater_equal,
    identity,
    int32,
    int64,
    less,
    less_equal,
    matmul,
    multiply,
    newaxis,
    not_equal,
    ones,
    ones_like,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_sum,
    reshape,
    square,
    squeeze,
    stop_gradient,
    subtract,
    transpose,
    zeros,
    zeros_like,
)

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
    "add",
    "arange",
    "argmax",
    "argmin",
    "cast",
    "clip",
    "clip_by_value",
    "concat",
    "concatenate",
    "constant",
    "convert_to_tensor",
    "divide",
    "enable_grad",
    "equal",
    "exp",
    "expand_dims",
    "full",
    "function",
    "get_num_threads",
    "gradcheck",
    "greater",
    "greater_equal",
    "identity",
    "int32",
    "int64",
    "is_grad_enabled",
    "less",
    "less_equal",
    "log",
    "log_softmax",
    "manual_seed",
    "matmul",
    "maximum",
    "mean",
    "minimum",
    "multiply",
    "newaxis",
    "no_grad",
    "not_equal",
    "numerical_grad",
    "one_hot",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_sum",
    "relu",
    "reshape",
    "set_grad_enabled",
    "set_num_threads",
    "sigmoid",
    "softmax",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "stop_gradient",
    "subtract",
    "sum",
    "tanh",
    "tensor",
    "transpose",
    "zeros",
    "zeros_like",
]


def __getattr__(name):
    # keras and the data modules load on first use, so `import rustgrad` stays quick.
    if name in ("keras", "data", "datasets", "math", "nn", "random"):
        import importlib

        return importlib.import_module(f"rustgrad.{name}")
    if name == "bool":  # tf.bool; a module global `bool` would shadow the builtin in this file
        return "bool"
    raise AttributeError(f"module 'rustgrad' has no attribute {name!r}")
