"""rustgrad: train neural networks with a Rust engine: tensors, autograd and a Keras-style API.

`import rustgrad as tf` gives tf.keras; `rustgrad.tensor(..., requires_grad=True)` gives a PyTorch-like
Tensor whose `backward()` fills `.grad`.
"""

from rustgrad._core import (
    GraphError,
    InvalidArgumentError,
    ShapeError,
    Tensor,
    Variable,
    arange,
    cat,
    concatenate,
    eye,
    from_numpy,
    full,
    full_like,
    get_num_threads,
    is_grad_enabled,
    linspace,
    manual_seed,
    rand,
    rand_like,
    randn,
    randn_like,
    set_num_threads,
    stack,
    tensor,
)

# Cargo.toml's version, compiled into the extension: one place for the version.
from rustgrad._core import __version__ as __version__
from rustgrad.autograd import enable_grad, no_grad, set_grad_enabled
from rustgrad.dtypes import device, float32, float64
from rustgrad.functional import (
    abs,
    add,
    clip,
    cos,
    div,
    exp,
    log,
    log_softmax,
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
from rustgrad.tape import GradientTape, UnconnectedGradients
from rustgrad.tf_array_ops import (
    add_n,
    executing_eagerly,
    gather,
    is_tensor,
    one_hot,
    rank,
    shape,
    sign,
    size,
    where,
)
from rustgrad.tf_clip import clip_by_global_norm, clip_by_norm
from rustgrad.tf_manip_ops import (
    argsort,
    boolean_mask,
    broadcast_to,
    pad,
    sort,
    split,
    tile,
    unique,
    unstack,
)
from rustgrad.tf_module import Module, TensorSpec, name_scope

# TensorFlow's top-level ops. matmul, ones and zeros keep rustgrad's PyTorch-style calls and add
# TF's (transpose_a/transpose_b; a shape list, shape= and dtype=).
from rustgrad.tf_ops import (
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
    squeeze,
    stop_gradient,
    subtract,
    transpose,
    zeros,
    zeros_like,
)

__all__ = [
    "GradcheckError",
    "GradientTape",
    "GraphError",
    "InvalidArgumentError",
    "Module",
    "ShapeError",
    "Tensor",
    "TensorSpec",
    "UnconnectedGradients",
    "Variable",
    "abs",
    "add",
    "add_n",
    "arange",
    "argmax",
    "argmin",
    "argsort",
    "boolean_mask",
    "broadcast_to",
    "cast",
    "cat",
    "clip",
    "clip_by_global_norm",
    "clip_by_norm",
    "clip_by_value",
    "concat",
    "concatenate",
    "constant",
    "convert_to_tensor",
    "cos",
    "device",
    "div",
    "divide",
    "enable_grad",
    "equal",
    "executing_eagerly",
    "exp",
    "expand_dims",
    "eye",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "function",
    "gather",
    "get_num_threads",
    "gradcheck",
    "greater",
    "greater_equal",
    "identity",
    "int32",
    "int64",
    "is_grad_enabled",
    "is_tensor",
    "less",
    "less_equal",
    "linspace",
    "log",
    "log_softmax",
    "manual_seed",
    "matmul",
    "maximum",
    "mean",
    "minimum",
    "mul",
    "multiply",
    "name_scope",
    "newaxis",
    "no_grad",
    "not_equal",
    "numerical_grad",
    "one_hot",
    "ones",
    "ones_like",
    "pad",
    "pow",
    "rand",
    "rand_like",
    "randn",
    "randn_like",
    "rank",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_sum",
    "relu",
    "reshape",
    "set_grad_enabled",
    "set_num_threads",
    "shape",
    "sigmoid",
    "sign",
    "sin",
    "size",
    "softmax",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "stop_gradient",
    "sub",
    "subtract",
    "sum",
    "tanh",
    "tensor",
    "tile",
    "transpose",
    "unique",
    "unstack",
    "where",
    "zeros",
    "zeros_like",
]


def __getattr__(name):
    # keras and the data modules load on first use, so `import rustgrad` stays quick.
    lazy = (
        "keras",
        "config",
        "data",
        "datasets",
        "distribute",
        "linalg",
        "math",
        "nn",
        "random",
        "tuner",
        "viz",
    )
    if name in lazy:
        import importlib

        return importlib.import_module(f"rustgrad.{name}")
    if name == "range":  # tf.range; a module global `range` would shadow the builtin here
        from rustgrad.tf_dtypes import range_

        return range_
    if name in ("round", "print"):  # tf.round, tf.print; globals would shadow the builtins here
        from rustgrad import tf_array_ops

        return getattr(tf_array_ops, name)
    if name == "norm":  # tf.norm
        from rustgrad.linalg import norm

        return norm
    if name == "bool":  # tf.bool; a module global `bool` would shadow the builtin in this file
        return "bool"
    raise AttributeError(f"module 'rustgrad' has no attribute {name!r}")
