# Type stubs for the Rust extension rustgrad._core (src/python/*.rs), checked by test_stubs.py.

from builtins import ellipsis  # typeshed's type of `...` on every Python (EllipsisType is 3.10+)

# Tensor.float() shadows the builtin inside the class body, so its annotations say _float (as torch's).
from builtins import float as _float
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import DTypeLike, NDArray
from typing_extensions import Self, TypeAlias

from rustgrad.dtypes import device as _device

# Anything the engine copies into a float32 tensor: a Tensor, an array, a (nested) sequence, a number.
_TensorLike: TypeAlias = Tensor | NDArray[Any] | Sequence[Any] | float | int | bool
# A shape given as separate ints or as one tuple or list of ints.
_ShapeArg: TypeAlias = int | Sequence[int]
_Axis: TypeAlias = int | Sequence[int] | None
_Index1: TypeAlias = (
    int | bool | slice | ellipsis | None | Tensor | NDArray[Any] | Sequence[int] | Sequence[bool]
)
_Index: TypeAlias = _Index1 | tuple[_Index1, ...]
_StepResult: TypeAlias = tuple[float, list[tuple[float, float]]]
# dtype= accepts float32 in any spelling NumPy reads; any other dtype raises TypeError.
_DType: TypeAlias = DTypeLike
# device= accepts "cpu" or rustgrad.device("cpu"); any other device raises InvalidArgumentError.
_Device: TypeAlias = str | _device | None

# Cargo.toml's version, which maturin also writes into the wheel's metadata.
__version__: str

class ShapeError(ValueError):
    """Shapes that do not fit the op; also a ValueError."""

class InvalidArgumentError(ValueError):
    """A value outside what the op accepts; also a ValueError."""

class GraphError(RuntimeError):
    """Autograd misuse, e.g. backward through a freed graph; also a RuntimeError."""

class Tensor:
    """An f32 n-d array that records the ops applied to it for backward()."""

    __array_priority__: ClassVar[_float]
    def __init__(self, data: _TensorLike, requires_grad: bool = False) -> None:
        """A new leaf tensor (always a copy), like `torch.tensor`."""

    # Properties
    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def ndim(self) -> int: ...
    @property
    def size(self) -> int:
        """The number of elements."""
    @property
    def dtype(self) -> np.dtype[np.float32]: ...
    @property
    def requires_grad(self) -> bool: ...
    @requires_grad.setter
    def requires_grad(self, value: bool) -> None: ...
    @property
    def grad(self) -> Tensor | None: ...
    @grad.setter
    def grad(self, value: Tensor | None) -> None: ...
    @property
    def data(self) -> Tensor:
        """The same values without grad tracking: writes through it change this tensor and are
        never recorded (PyTorch's `.data`)."""
    @data.setter
    def data(self, value: _TensorLike) -> None: ...
    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's memory has had (PyTorch's `_version`)."""
    @property
    def is_leaf(self) -> bool: ...
    @property
    def grad_fn(self) -> str | None:
        """Name of the op that made this tensor (None for leaves)."""
    def graph_inputs(self) -> list[Tensor]:
        """The tensors the op that made this one read (empty for a leaf); raises RuntimeError once
        backward freed the graph (backward(retain_graph=True) keeps it)."""
    @property
    def node_id(self) -> int:
        """An integer naming this tensor's graph node: equal for every handle on the same tensor."""
    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed."""
    @property
    def device(self) -> _device:
        """Always rustgrad.device("cpu")."""

    # Device and dtype: one of each, so these check the request and return the tensor itself.
    def to(
        self,
        *args: _Device | _DType | Tensor,
        dtype: _DType = None,
        device: _Device = None,
        non_blocking: bool = False,
    ) -> Tensor:
        """`to(device)`, `to(dtype)`, `to(device, dtype)` or `to(other)`: self for float32 on the CPU."""
    def cpu(self) -> Tensor: ...
    def float(self) -> Tensor: ...

    # Autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """In-place form: sets requires_grad and returns this tensor."""
    def backward(self, gradient: _TensorLike | None = None, retain_graph: bool = False) -> None:
        """Gradients of this tensor with respect to every leaf that requires grad."""
    def zero_grad(self) -> None: ...
    def detach(self) -> Tensor: ...
    def retain_grad(self) -> None: ...

    # Conversions
    def numpy(self) -> NDArray[np.float32]:
        """A NumPy array sharing this tensor's memory (like torch's `.numpy()`)."""
    def __array__(
        self, dtype: DTypeLike | None = None, copy: bool | None = None
    ) -> NDArray[Any]: ...
    def item(self) -> _float: ...
    def tolist(self) -> Any:
        """A float for a 0-d tensor, else nested lists of floats."""
    def __float__(self) -> _float: ...
    def __int__(self) -> int:
        """Truncates toward zero like `int(float)`; only for one-element tensors."""
    def __bool__(self) -> bool:
        """Truth of a one-element tensor; more elements raise ShapeError."""
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Tensor]:
        """Rows along the first axis."""
    def __hash__(self) -> int: ...
    def __getitem__(self, key: _Index) -> Tensor: ...

    # Shape
    def reshape(self, *shape: _ShapeArg) -> Tensor: ...
    def view(self, *shape: _ShapeArg) -> Tensor: ...
    def flatten(self) -> Tensor: ...
    def transpose(self, *axes: _ShapeArg) -> Tensor:
        """No axes reverses them; two ints swap two axes; a tuple or 3+ ints is a permutation."""
    def permute(self, *dims: _ShapeArg) -> Tensor: ...
    def t(self) -> Tensor:
        """The 2-D transpose; 0-D and 1-D tensors come back unchanged; more dimensions raise."""
    def expand_dims(self, axis: int) -> Tensor: ...
    def unsqueeze(self, dim: int) -> Tensor: ...
    def squeeze(self, axis: _Axis = None) -> Tensor:
        """`axis` is None (every size-1 axis), an int or a tuple of ints."""
    def broadcast_to(self, *shape: _ShapeArg) -> Tensor: ...

    # Operators; comparisons give 0/1 float tensors that also index as boolean masks.
    def __add__(self, other: _TensorLike) -> Tensor: ...
    def __radd__(self, other: _TensorLike) -> Tensor: ...
    def __sub__(self, other: _TensorLike) -> Tensor: ...
    def __rsub__(self, other: _TensorLike) -> Tensor: ...
    def __mul__(self, other: _TensorLike) -> Tensor: ...
    def __rmul__(self, other: _TensorLike) -> Tensor: ...
    def __truediv__(self, other: _TensorLike) -> Tensor: ...
    def __rtruediv__(self, other: _TensorLike) -> Tensor: ...
    def __pow__(self, other: _TensorLike, modulo: None = None) -> Tensor: ...
    def __rpow__(self, other: _TensorLike, modulo: None = None) -> Tensor: ...
    def __matmul__(self, other: _TensorLike) -> Tensor: ...
    def __rmatmul__(self, other: _TensorLike) -> Tensor: ...
    def __neg__(self) -> Tensor: ...
    def __pos__(self) -> Tensor: ...
    def __abs__(self) -> Tensor: ...
    def __lt__(self, other: _TensorLike) -> Tensor: ...
    def __le__(self, other: _TensorLike) -> Tensor: ...
    def __gt__(self, other: _TensorLike) -> Tensor: ...
    def __ge__(self, other: _TensorLike) -> Tensor: ...
    def __eq__(self, other: object) -> Tensor: ...  # type: ignore[override]
    def __ne__(self, other: object) -> Tensor: ...  # type: ignore[override]

    # Math methods; unlike the operators they raise TypeError for a foreign operand.
    def matmul(self, o: _TensorLike) -> Tensor: ...
    def add(self, o: _TensorLike) -> Tensor: ...
    def sub(self, o: _TensorLike) -> Tensor: ...
    def mul(self, o: _TensorLike) -> Tensor: ...
    def div(self, o: _TensorLike) -> Tensor: ...
    def pow(self, o: _TensorLike) -> Tensor: ...
    def maximum(self, o: _TensorLike) -> Tensor: ...
    def minimum(self, o: _TensorLike) -> Tensor: ...
    def exp(self) -> Tensor: ...
    def log(self) -> Tensor: ...
    def sqrt(self) -> Tensor: ...
    def abs(self) -> Tensor: ...
    def relu(self) -> Tensor: ...
    def leaky_relu(self, alpha: _float = 0.2) -> Tensor: ...
    def sigmoid(self) -> Tensor: ...
    def tanh(self) -> Tensor: ...
    def sin(self) -> Tensor: ...
    def cos(self) -> Tensor: ...
    def square(self) -> Tensor: ...
    def elu(self, alpha: _float = 1.0) -> Tensor: ...
    def gelu(self) -> Tensor: ...
    def softplus(self) -> Tensor: ...
    def activation(self, name: str) -> Tensor: ...
    def softmax(self, axis: int = -1) -> Tensor: ...
    def log_softmax(self, axis: int = -1) -> Tensor: ...
    def clip(self, lo: _float | None = None, hi: _float | None = None) -> Tensor: ...

    # Reductions
    def sum(self, axis: _Axis = None, keepdims: bool = False) -> Tensor: ...
    def mean(self, axis: _Axis = None, keepdims: bool = False) -> Tensor: ...
    def max(self, axis: _Axis = None, keepdims: bool = False) -> Tensor: ...
    def min(self, axis: _Axis = None, keepdims: bool = False) -> Tensor: ...
    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor: ...
    def conv2d(
        self,
        kernel: _TensorLike,
        bias: _TensorLike | None = None,
        strides: tuple[int, int] = (1, 1),
        padding: str = "valid",
        dilation: tuple[int, int] = (1, 1),
        relu: bool = False,
    ) -> Tensor:
        """relu?(conv2d(self, kernel) + bias): NHWC input, HWIO kernel."""
    def conv2d_transpose(
        self,
        kernel: _TensorLike,
        bias: _TensorLike | None = None,
        strides: tuple[int, int] = (1, 1),
        padding: str = "valid",
        output_padding: tuple[int, int] | None = None,
        dilation: tuple[int, int] = (1, 1),
    ) -> Tensor:
        """conv2d_transpose(self, kernel) + bias: NHWC input, (kh, kw, filters, in) kernel."""
    def depthwise_conv2d(
        self,
        kernel: _TensorLike,
        bias: _TensorLike | None = None,
        strides: tuple[int, int] = (1, 1),
        padding: str = "valid",
        dilation: tuple[int, int] = (1, 1),
    ) -> Tensor:
        """depthwise_conv2d(self, kernel) + bias: NHWC input, (kh, kw, in, dm) kernel."""
    def max_pool2d(
        self,
        pool_size: tuple[int, int] = (2, 2),
        strides: tuple[int, int] | None = None,
        padding: str = "valid",
    ) -> Tensor: ...
    def avg_pool2d(
        self,
        pool_size: tuple[int, int] = (2, 2),
        strides: tuple[int, int] | None = None,
        padding: str = "valid",
    ) -> Tensor: ...
    def global_avg_pool2d(self) -> Tensor: ...
    def batch_norm(
        self,
        gamma: _TensorLike,
        beta: _TensorLike,
        moving_mean: Sequence[_float] | None = None,
        moving_variance: Sequence[_float] | None = None,
        epsilon: _float = 1e-3,
        axis: int = -1,
    ) -> Tensor:
        """Batch normalisation over the channel `axis` (the last by default); batch statistics
        unless moving ones are given."""
    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor: ...

    # In place: the tensor keeps its identity; recorded for backward when gradients flow
    def __iadd__(self, other: _TensorLike) -> Self: ...
    def __isub__(self, other: _TensorLike) -> Self: ...
    def __imul__(self, other: _TensorLike) -> Self: ...
    def __itruediv__(self, other: _TensorLike) -> Self: ...
    def __setitem__(self, key: Any, value: _TensorLike) -> None:
        """`t[key] = value` with NumPy's assignment semantics; recorded when gradients flow."""
    def __delitem__(self, key: Any) -> None:
        """Tensors have a fixed shape: nothing can be deleted from one (as in NumPy and PyTorch)."""
    def add_(self, other: _TensorLike, *, alpha: float = 1.0) -> Tensor:
        """`t.add_(other, alpha=1)`: t += alpha * other, in place; returns t."""
    def sub_(self, other: _TensorLike, *, alpha: float = 1.0) -> Tensor: ...
    def mul_(self, o: _TensorLike) -> Tensor: ...
    def div_(self, o: _TensorLike) -> Tensor: ...
    def zero_(self) -> Tensor: ...
    def fill_(self, value: float) -> Tensor: ...
    def copy_(self, src: _TensorLike) -> Tensor:
        """Copy `src` (broadcast to this shape) into this tensor; returns it."""
    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor: ...
    def _constrained(self, name: str, args: Sequence[float], axes: Sequence[int]) -> Tensor:
        """These values projected onto a keras constraint (max_norm, ...), as a new Tensor."""

class Variable(Tensor):
    """tf.Variable: a Tensor with a name and a trainable flag, changed in place by assign*."""

    def __init__(
        self,
        initial_value: _TensorLike,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
        constraint: Any = None,
    ) -> None: ...
    @staticmethod
    def _share(
        tensor: Tensor,
        trainable: bool = True,
        name: str | None = None,
        path: str | None = None,
        constraint: Any = None,
    ) -> Variable:
        """A Variable over `tensor`'s own storage (no copy): how layers hand out their weights."""
    @property
    def constraint(self) -> Any:
        """Keras' `variable.constraint`: applied by the optimizer after each update."""
    @constraint.setter
    def constraint(self, value: Any) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def path(self) -> str:
        """Keras 3's `variable.path`: the name scoped by its layer ("dense/kernel")."""
    @property
    def trainable(self) -> bool: ...
    @trainable.setter
    def trainable(self, value: bool) -> None: ...
    @property
    def value(self) -> Tensor:
        """Keras 3's `variable.value`."""
    def assign(self, value: _TensorLike) -> Variable:
        """`v.assign(value)`: overwrite in place (same shape); returns the variable."""
    def assign_add(self, delta: _TensorLike) -> Variable: ...
    def assign_sub(self, delta: _TensorLike) -> Variable: ...
    def read_value(self) -> Tensor:
        """The current value as a new Tensor that still records gradients to this variable."""
    def __str__(self) -> str: ...  # noqa: PYI029 - Variable prints as tf.Variable does

class Layer:
    """The Rust half of a Keras layer; made by the static constructors, not by Layer()."""

    @staticmethod
    def dense(
        input_dim: int, units: int, activation: str = "linear", use_bias: bool = True
    ) -> Layer: ...
    @staticmethod
    def flatten() -> Layer: ...
    @staticmethod
    def activation(name: str) -> Layer: ...
    @staticmethod
    def dropout(rate: float, seed: int, spatial: bool = False) -> Layer: ...
    @staticmethod
    def conv2d(
        in_channels: int,
        filters: int,
        kernel_size: tuple[int, int],
        strides: tuple[int, int],
        padding: str,
        dilation: tuple[int, int],
        activation: str = "linear",
        use_bias: bool = True,
    ) -> Layer:
        """Conv2D over NHWC input with an HWIO kernel; padding 'valid' or 'same'."""
    @staticmethod
    def pooling2d(
        pool_size: tuple[int, int], strides: tuple[int, int], padding: str, average: bool
    ) -> Layer:
        """MaxPooling2D, or AveragePooling2D when `average` is set."""
    @staticmethod
    def global_average_pooling2d() -> Layer: ...
    @staticmethod
    def merge(kind: str, axis: int = -1) -> Layer:
        """A merge layer: add, subtract, multiply, average, maximum, minimum or concatenate."""
    @staticmethod
    def batch_normalization(
        channels: int, momentum: float, epsilon: float, axis: int = -1
    ) -> Layer: ...
    @staticmethod
    def reshape(target: Sequence[int]) -> Layer:
        """Reshape each sample to `target` (one entry may be -1)."""
    @staticmethod
    def softmax(axis: int) -> Layer: ...
    @staticmethod
    def elu(alpha: float) -> Layer: ...
    @staticmethod
    def relu(max_value: float | None, negative_slope: float, threshold: float) -> Layer:
        """Keras' ReLU(max_value, negative_slope, threshold) (LeakyReLU when only the slope is set)."""
    @staticmethod
    def prelu(alpha: _TensorLike) -> Layer:
        """PReLU whose trainable slope starts at a copy of `alpha`."""
    @staticmethod
    def rescaling(scale: _TensorLike, offset: _TensorLike) -> Layer: ...
    @staticmethod
    def normalization(
        mean: _TensorLike, variance: _TensorLike, broadcast: list[int], invert: bool, weights: bool
    ) -> Layer: ...
    @staticmethod
    def permute(dims: Sequence[int]) -> Layer: ...
    @staticmethod
    def repeat_vector(n: int) -> Layer: ...
    @staticmethod
    def gaussian_noise(amount: float, seed: int, multiplicative: bool) -> Layer:
        """GaussianNoise(stddev=amount), or GaussianDropout(rate=amount) when multiplicative."""
    @staticmethod
    def global_pool(spatial_dims: int, max: bool, keepdims: bool) -> Layer: ...
    def regularized(
        self, kernel: tuple[float, float] | None = None, bias: tuple[float, float] | None = None
    ) -> Layer:
        """This layer with (l1, l2) penalties on its kernel and bias added to the loss."""
    def penalty(self) -> Tensor | None: ...
    def random_state(self) -> list[int] | None:
        """The position of the layer's random stream (four 64-bit words), None if it draws none."""
    def set_random_state(self, state: Sequence[int]) -> None: ...
    def weighted(
        self,
        regularizers: Sequence[tuple[float, float] | None] = ...,
        constraints: Sequence[tuple[str, Sequence[float], Sequence[int]] | None] = ...,
        activity: tuple[float, float] | None = None,
    ) -> Layer:
        """This layer with per-parameter (l1, l2) penalties and constraints (name, numbers,
        axes), and an (l1, l2) penalty of its output divided by the batch size."""
    def constrain(self) -> None:
        """Project the weights onto their constraints, in place."""
    def activity_penalty(self, y: Tensor) -> Tensor | None:
        """The activity penalty of `y` (this layer's output) / batch size, or None."""
    @staticmethod
    def recurrent(
        cell: str,
        features: int,
        units: int,
        activation: str,
        recurrent_activation: str,
        use_bias: bool,
        return_sequences: bool,
        go_backwards: bool,
        dropout: float,
        recurrent_dropout: float,
        seed: int,
        unit_forget_bias: bool = True,
        reset_after: bool = True,
    ) -> Layer:
        """SimpleRNN, LSTM or GRU (`cell`) over (batch, time, features) inputs."""
    @staticmethod
    def bidirectional(
        forward: Layer, backward: Layer, merge_mode: str, return_sequences: bool
    ) -> Layer:
        """Two recurrent layers (the second go_backwards) over one input, merged."""
    @staticmethod
    def time_distributed(inner: Layer) -> Layer:
        """TimeDistributed: `inner` applied to every step of a (batch, time, ...) input."""
    @staticmethod
    def embedding(input_dim: int, output_dim: int) -> Layer:
        """Embedding: rows of an (input_dim, output_dim) table picked by integer ids."""
    @staticmethod
    def layer_normalization(
        param_shape: Sequence[int], epsilon: float, center: bool, scale: bool
    ) -> Layer:
        """LayerNormalization over the trailing axes whose sizes are `param_shape`."""
    @staticmethod
    def up_sampling2d(size: Sequence[int]) -> Layer: ...
    @staticmethod
    def zero_padding2d(padding: Sequence[Sequence[int]]) -> Layer: ...
    @staticmethod
    def cropping2d(cropping: Sequence[Sequence[int]]) -> Layer: ...
    @staticmethod
    def pooling1d(pool_size: int, strides: int, padding: str, average: bool) -> Layer:
        """MaxPooling1D, or AveragePooling1D when `average` is set."""
    @staticmethod
    def conv1d(
        in_channels: int,
        filters: int,
        kernel_size: int,
        strides: int,
        padding: str,
        dilation: int,
        activation: str = "linear",
        use_bias: bool = True,
    ) -> Layer:
        """Conv1D over (N, L, C) input with a (k, C, F) kernel."""
    @staticmethod
    def conv2d_transpose(
        in_channels: int,
        filters: int,
        kernel_size: tuple[int, int],
        strides: tuple[int, int],
        padding: str,
        output_padding: tuple[int, int] | None,
        dilation: tuple[int, int],
        activation: str = "linear",
        use_bias: bool = True,
    ) -> Layer:
        """Conv2DTranspose over NHWC input with a (kh, kw, filters, in_channels) kernel."""
    @staticmethod
    def depthwise_conv2d(
        in_channels: int,
        depth_multiplier: int,
        kernel_size: tuple[int, int],
        strides: tuple[int, int],
        padding: str,
        dilation: tuple[int, int],
        activation: str = "linear",
        use_bias: bool = True,
    ) -> Layer:
        """DepthwiseConv2D with a (kh, kw, in_channels, depth_multiplier) kernel."""
    @staticmethod
    def separable_conv2d(
        in_channels: int,
        filters: int,
        depth_multiplier: int,
        kernel_size: tuple[int, int],
        strides: tuple[int, int],
        padding: str,
        dilation: tuple[int, int],
        activation: str = "linear",
        use_bias: bool = True,
    ) -> Layer:
        """SeparableConv2D: depthwise (kh, kw, in, dm), then pointwise (1, 1, in*dm, filters)."""
    # Issue 13, the image augmentation layers.
    @staticmethod
    def random_flip(mode: str, seed: int) -> Layer: ...
    @staticmethod
    def random_crop(height: int, width: int, seed: int) -> Layer: ...
    @staticmethod
    def random_contrast(
        lower: float, upper: float, value_range: tuple[float, float], seed: int
    ) -> Layer:
        """The contrast factor is drawn from [1 - lower, 1 + upper]."""
    @staticmethod
    def random_translation(
        height: tuple[float, float],
        width: tuple[float, float],
        fill_mode: str,
        interpolation: str,
        fill_value: float,
        seed: int,
    ) -> Layer: ...
    @staticmethod
    def random_rotation(
        factor: tuple[float, float],
        fill_mode: str,
        interpolation: str,
        fill_value: float,
        seed: int,
    ) -> Layer:
        """`factor` is a fraction of a full turn; positive turns counter-clockwise."""
    @staticmethod
    def random_zoom(
        height: tuple[float, float],
        width: tuple[float, float] | None,
        fill_mode: str,
        interpolation: str,
        fill_value: float,
        seed: int,
    ) -> Layer:
        """Each axis scales by 1 + factor (negative zooms in); `width=None` keeps the aspect ratio."""
    def state(self) -> list[Tensor]:
        """Non-trainable weights (BatchNormalization's moving mean and variance)."""
    @property
    def kind(self) -> str:
        """The layer's class name, e.g. "Dense"."""
    def params(self) -> list[Tensor]:
        """The trainable tensors, sharing storage with the layer."""
    def __call__(self, x: _TensorLike | Sequence[Tensor], training: bool = False) -> Tensor:
        """The layer on a Tensor, or on a list of Tensors for a merge layer."""

_Arrays: TypeAlias = NDArray[np.float32] | Sequence[NDArray[np.float32]]
# {"iterations": int, "slots": {Keras slot name: [array, or None before its first update]}}
_OptimizerState: TypeAlias = dict[str, Any]

class Model:
    """A graph of layers (a chain for Sequential) and the one-batch steps fit, evaluate and predict
    call. x and y are one array, or a list with one per model input / output."""

    def __init__(
        self,
        layers: Sequence[Layer],
        graph: Sequence[tuple[int, Sequence[int]]] | None = None,
        inputs: Sequence[int] | None = None,
        outputs: Sequence[int] | None = None,
    ) -> None:
        """`layers` chained, or `graph`: nodes in topological order, (layer index or -1 for an
        input, ids of the nodes read); `inputs`/`outputs` list node ids in the model's order."""
    @property
    def num_outputs(self) -> int: ...
    def compile(
        self,
        loss: str | Sequence[str],
        metrics: Sequence[tuple[str, float]] | Sequence[Sequence[tuple[str, float]]],
        optimizer: str,
        from_logits: bool | Sequence[bool] | None = None,
        delta: float | Sequence[float] | None = None,
        label_smoothing: float | Sequence[float] | None = None,
        loss_weights: Sequence[float] | None = None,
        frozen: Sequence[int] | None = None,
        focal: Sequence[tuple[float, float, bool]] | None = None,
        **kwargs: float | bool | None,
    ) -> None:
        """Core loss (one, or one per output), metrics as (core name, threshold) (a list, or a list
        per output), the optimizer's name and Keras keywords; `frozen` layer indices do not train."""
    def params(self) -> list[Tensor]: ...
    def finalize_variable_values(self) -> None:
        """The weights take the optimizer's moving average when it keeps one (use_ema)."""
    def optimizer_state(self) -> _OptimizerState:
        """The compiled optimizer's step count and slots; positions follow the trainable weights."""
    def set_optimizer_state(self, state: _OptimizerState) -> None:
        """Continue from a state made by optimizer_state; every slot is checked against the weights."""
    def train_batch(
        self,
        x: _Arrays,
        y: _Arrays,
        idx: NDArray[np.int64] | None = None,
        sample_weight: NDArray[np.float32] | None = None,
        lr: float = 0.001,
    ) -> _StepResult:
        """One training step on rows `idx` of (x, y); returns (loss, [(metric sum, count), ...])."""
    def train_batches(
        self,
        x: _Arrays,
        y: _Arrays,
        idx: NDArray[np.int64],
        batch_size: int,
        lrs: NDArray[np.float32],
        sample_weight: NDArray[np.float32] | None = None,
    ) -> tuple[list[float], list[list[tuple[float, float]]], BaseException | None]:
        """Batch i on rows idx[i*batch_size:(i+1)*batch_size] at rate lrs[i]; returns the losses and
        metric stats of the batches that ran and the error (e.g. KeyboardInterrupt) that stopped them."""
    def set_grad_hook(self, hook: Callable[[NDArray[np.float32]], None] | None) -> None:
        """Run hook(grads) between backward and the optimizer update of every train step: grads is
        one float32 array, every trainable gradient in layer order then the batch's rows, changed
        in place (rustgrad.distribute averages it with an MPI Allreduce). Compiling removes it."""
    def grad_size(self) -> int:
        """How many floats the trainable gradients hold (set_grad_hook's array, less one)."""
    def set_grad_monitor(self, every: int | None) -> None:
        """Record per-layer gradient norm, weight norm and update/weight ratio every `every`-th
        train step from now on (None stops); keras.callbacks.GradientMonitor reads them."""
    def take_grad_stats(self) -> tuple[list[int], list[int], NDArray[np.float32]]:
        """(graph indices of the monitored layers, each record's step, stats of shape
        (records, layers, 3)) recorded since the last call."""
    def eval_batch(
        self,
        x: _Arrays,
        y: _Arrays,
        idx: NDArray[np.int64] | None = None,
        sample_weight: NDArray[np.float32] | None = None,
    ) -> _StepResult:
        """Loss and metrics of rows `idx` of (x, y) without updating weights."""
    def predict_batch(
        self, x: _Arrays, idx: NDArray[np.int64] | None = None
    ) -> NDArray[np.float32] | list[NDArray[np.float32]]: ...
    def forward(
        self, x: _TensorLike | Sequence[Tensor], training: bool = False
    ) -> Tensor | list[Tensor]:
        """The forward pass on a Tensor (a list for several inputs), recording the graph."""

class Optimizer:
    """A Keras optimizer's update rule applied to user Tensors (apply_gradients)."""

    def __init__(self, name: str, **kwargs: float | bool | None) -> None:
        """`name` is a core optimizer name ("sgd", "adam", ...); keywords as for Model.compile."""
    def step(self, params: Sequence[Tensor | None], lr: float) -> None:
        """Update every tensor whose .grad is set and clear it; slot i keeps its state for None."""
    def finalize(self, params: Sequence[Tensor]) -> None:
        """Replace each tensor by its moving average (use_ema); position i as in step."""
    @property
    def iterations(self) -> int: ...
    def state(self) -> _OptimizerState:
        """The step count and slots of step's updates (positions as in step)."""
    def set_state(self, state: _OptimizerState) -> None: ...

def tensor(
    data: _TensorLike, *, dtype: _DType = None, device: _Device = None, requires_grad: bool = False
) -> Tensor:
    """A new leaf tensor (always a copy), like `torch.tensor`."""

def from_numpy(array: NDArray[Any]) -> Tensor:
    """A tensor sharing the memory of a writeable, C-contiguous float32 NumPy array (changes to
    either show in the other), like `torch.from_numpy`. Other arrays are copied into float32
    with a warning, since a tensor holds float32 only."""

def grad(
    output: Tensor,
    inputs: Sequence[Tensor],
    grad_output: _TensorLike | None = None,
    retain_graph: bool = False,
) -> list[Tensor | None]:
    """d(output)/d(input) for each input, None where output does not depend on it; `.grad` is left
    alone. `grad_output` seeds a non-scalar output."""

def zeros(
    *shape: _ShapeArg, dtype: _DType = None, device: _Device = None, requires_grad: bool = False
) -> Tensor: ...
def ones(
    *shape: _ShapeArg, dtype: _DType = None, device: _Device = None, requires_grad: bool = False
) -> Tensor: ...
def full(
    shape: _ShapeArg,
    fill_value: float,
    *,
    dtype: _DType = None,
    device: _Device = None,
    requires_grad: bool = False,
) -> Tensor: ...
def arange(
    start: float,
    stop: float | None = None,
    step: float = 1.0,
    *,
    dtype: _DType = None,
    device: _Device = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from `start` up to (not including) `stop` by `step`, like NumPy's arange."""

def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: _DType = None,
    device: _Device = None,
    requires_grad: bool = False,
) -> Tensor:
    """`steps` values from `start` to `end`, both included, as torch.linspace."""

def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: _DType = None,
    device: _Device = None,
    requires_grad: bool = False,
) -> Tensor:
    """An n × m matrix (m = n by default) with ones on the diagonal, as torch.eye."""

def rand(
    *shape: _ShapeArg, dtype: _DType = None, device: _Device = None, requires_grad: bool = False
) -> Tensor:
    """Uniform in [0, 1), from the seeded generator."""

def randn(
    *shape: _ShapeArg, dtype: _DType = None, device: _Device = None, requires_grad: bool = False
) -> Tensor:
    """Standard normal, from the seeded generator."""

def zeros_like(
    input: _TensorLike, *, dtype: _DType = None, device: _Device = None, requires_grad: bool = False
) -> Tensor: ...
def ones_like(
    input: _TensorLike, *, dtype: _DType = None, device: _Device = None, requires_grad: bool = False
) -> Tensor: ...
def full_like(
    input: _TensorLike,
    fill_value: float,
    *,
    dtype: _DType = None,
    device: _Device = None,
    requires_grad: bool = False,
) -> Tensor: ...
def rand_like(
    input: _TensorLike, *, dtype: _DType = None, device: _Device = None, requires_grad: bool = False
) -> Tensor:
    """Uniform in [0, 1), from the generator manual_seed governs."""

def randn_like(
    input: _TensorLike, *, dtype: _DType = None, device: _Device = None, requires_grad: bool = False
) -> Tensor:
    """Standard normal, from the generator manual_seed governs."""

def manual_seed(seed: int) -> None:
    """Any integer in [-2**63, 2**64); negative seeds wrap to u64 as in torch.manual_seed."""

def concatenate(tensors: Iterable[_TensorLike], axis: int = 0) -> Tensor: ...
def cat(tensors: Iterable[_TensorLike], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """torch.cat: `concatenate` under PyTorch's name, taking PyTorch's `dim=` or NumPy's `axis=`."""

def stack(tensors: Iterable[_TensorLike], axis: int = 0) -> Tensor: ...
def one_hot(labels: _TensorLike, num_classes: int) -> Tensor: ...
def set_grad_enabled(mode: bool) -> bool:
    """Turn graph recording on or off for this thread; returns the previous mode."""

def is_grad_enabled() -> bool: ...
def set_num_threads(n: int) -> None:
    """Threads for big kernels, between 1 and 65536."""

def use_default_threads() -> None:
    """Go back to the default pool: RUSTGRAD_NUM_THREADS, else one thread per core."""

def get_num_threads() -> int: ...
def simd_level() -> str:
    """The SIMD level the hand-written kernels run at ("portable", "avx2" or "avx512")."""

def loss(
    name: str,
    y_true: _TensorLike,
    y_pred: _TensorLike,
    from_logits: bool = False,
    delta: float = 1.0,
    label_smoothing: float = 0.0,
    sample_weight: _TensorLike | None = None,
    reduction: str = "sum_over_batch_size",
    alpha: float = 0.25,
    gamma: float = 2.0,
    apply_class_balancing: bool = False,
) -> Tensor:
    """The loss `name` (a core loss name) reduced as Keras' `reduction` says (0-d, or one value per
    sample for "none"), as a Tensor recording the graph when y_pred requires grad."""

def registry_names(kind: str) -> list[str]:
    """The core's valid names of one kind: "loss", "metric", "optimizer", "activation", "merge"."""

def metric_batch(
    name: str,
    y_true: _TensorLike,
    y_pred: _TensorLike,
    sample_weight: _TensorLike | None = None,
    threshold: float = 0.5,
) -> tuple[float, float]:
    """(sum of per-sample values, sum of their weights) of a core metric on one batch, as Keras'
    Mean metrics accumulate; sample_weight broadcasts by Keras' rules."""

def metric_values(
    name: str, y_true: _TensorLike, y_pred: _TensorLike, threshold: float = 0.5
) -> Tensor:
    """The per-sample values of a core metric (y_pred's leading shape), as Keras' metric functions
    return them; threshold is binary_accuracy's, or the k of the top-k accuracies."""

def mean_batch(
    values: _TensorLike, sample_weight: _TensorLike | None = None
) -> tuple[float, float]:
    """(sum, count) of one batch of values as Keras' `Mean.update_state` adds them."""

def reduce_loss(
    values: _TensorLike,
    sample_weight: _TensorLike | None = None,
    reduction: str = "sum_over_batch_size",
) -> Tensor:
    """Per-sample losses computed in Python weighted and reduced by Keras' rules (with the graph)."""

def confusion_batch(
    name: str,
    y_true: _TensorLike,
    y_pred: _TensorLike,
    thresholds: Sequence[float],
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: _TensorLike | None = None,
) -> tuple[list[float], list[float], list[float], list[float]]:
    """(tp, fp, tn, fn) per threshold of one batch, as Keras' Precision, Recall and AUC add them."""

def f1_batch(
    y_true: _TensorLike,
    y_pred: _TensorLike,
    threshold: float | None = None,
    sample_weight: _TensorLike | None = None,
) -> list[list[float]]:
    """Per class [tp, fp, fn, support] of one batch, as Keras' F1Score adds them."""
