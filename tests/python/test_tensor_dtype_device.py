"""dtype= and device= (issue 12): float32 on the CPU is accepted everywhere PyTorch takes them,
any other dtype or device is refused with the exact exception type; .to/.cpu/.float/.device."""

import numpy as np
import pytest
import rustgrad as rg

# Every creation function, called with extra keywords.
CREATORS = {
    "tensor": lambda **kw: rg.tensor([[1.0, 2.0]], **kw),
    "zeros": lambda **kw: rg.zeros(2, 3, **kw),
    "ones": lambda **kw: rg.ones((2, 3), **kw),
    "full": lambda **kw: rg.full((2, 3), 1.5, **kw),
    "rand": lambda **kw: rg.rand(2, 3, **kw),
    "randn": lambda **kw: rg.randn(2, 3, **kw),
    "arange": lambda **kw: rg.arange(0, 6, 1, **kw),
    "linspace": lambda **kw: rg.linspace(0, 1, 5, **kw),
    "eye": lambda **kw: rg.eye(3, **kw),
    "zeros_like": lambda **kw: rg.zeros_like(rg.ones(2, 2), **kw),
    "ones_like": lambda **kw: rg.ones_like(rg.ones(2, 2), **kw),
    "full_like": lambda **kw: rg.full_like(rg.ones(2, 2), 3.0, **kw),
    "rand_like": lambda **kw: rg.rand_like(rg.ones(2, 2), **kw),
    "randn_like": lambda **kw: rg.randn_like(rg.ones(2, 2), **kw),
}
FLOAT32 = [rg.float32, np.float32, np.dtype("float32"), "float32", "f4", None]
CPU = ["cpu", "cpu:0", rg.device("cpu"), rg.device("cpu", 0), None]
REFUSED_DTYPES = [rg.float64, np.float64, "float64", float, int, np.int64, rg.int32, "int8", bool]


def test_float32_is_the_tensor_dtype_in_every_spelling():
    t = rg.ones(2)
    assert t.dtype == rg.float32
    assert rg.float32 == "float32" and rg.float32 == np.float32 and rg.float32 == np.dtype("f4")
    assert rg.float64 != rg.float32


@pytest.mark.parametrize("name", CREATORS)
def test_creators_accept_float32_cpu_and_requires_grad(name):
    make = CREATORS[name]
    base = make()
    for dtype in FLOAT32:
        for device in CPU:
            t = make(dtype=dtype, device=device)
            assert t.shape == base.shape and t.dtype == np.float32
            assert not t.requires_grad
    t = make(dtype=rg.float32, device="cpu", requires_grad=True)
    assert t.requires_grad and t.is_leaf
    t.sum().backward()
    assert t.grad is not None and t.grad.shape == t.shape


@pytest.mark.parametrize("name", CREATORS)
@pytest.mark.parametrize("dtype", REFUSED_DTYPES, ids=repr)
def test_creators_refuse_other_dtypes_with_a_type_error(name, dtype):
    with pytest.raises(TypeError, match="rustgrad stores float32"):
        CREATORS[name](dtype=dtype)


@pytest.mark.parametrize("dtype", ["banana", 3, object()], ids=repr)
def test_a_dtype_that_is_no_dtype_is_a_type_error(dtype):
    with pytest.raises(TypeError, match="not a data type"):
        rg.zeros(2, dtype=dtype)


def test_the_refusal_names_the_dtype():
    with pytest.raises(TypeError, match="dtype=float64"):
        rg.zeros(2, dtype=np.float64)
    with pytest.raises(TypeError, match="dtype=int64"):
        rg.tensor([1, 2], dtype=np.int64)


def test_a_refused_dtype_draws_nothing_from_the_generator():
    rg.manual_seed(5)
    with pytest.raises(TypeError):
        rg.rand(3, dtype="float64")
    got = rg.rand(3).numpy().copy()
    rg.manual_seed(5)
    np.testing.assert_array_equal(rg.rand(3).numpy(), got)


@pytest.mark.parametrize("name", CREATORS)
@pytest.mark.parametrize(
    "device", ["cuda", "cuda:0", "mps", rg.device("cuda", 1), rg.device("mps"), 0], ids=str
)
def test_creators_refuse_other_devices(name, device):
    with pytest.raises(rg.InvalidArgumentError, match="CPU only"):
        CREATORS[name](device=device)


def test_malformed_devices():
    with pytest.raises(rg.InvalidArgumentError, match="not a device string"):
        rg.zeros(2, device="cpu:x")
    with pytest.raises(TypeError, match="device must be"):
        rg.zeros(2, device=1.5)
    with pytest.raises(ValueError):
        rg.device("cuda:zero")
    with pytest.raises(TypeError):
        rg.device(3)


def test_device_class_mirrors_torch_device():
    d = rg.device("cuda:1")
    assert (d.type, d.index, str(d)) == ("cuda", 1, "cuda:1")
    assert repr(rg.device("cpu")) == "device(type='cpu')"
    assert rg.device("cpu") == rg.device("cpu") and rg.device("cpu") != rg.device("cuda")
    assert rg.device(rg.device("cuda", 2)) == rg.device("cuda:2")
    assert len({rg.device("cpu"), rg.device("cpu")}) == 1


def test_tensor_device_property():
    t = rg.ones(2)
    assert t.device == rg.device("cpu") and t.device.type == "cpu" and str(t.device) == "cpu"


def test_to_cpu_float_return_the_tensor_itself():
    t = rg.tensor([1.0, 2.0], requires_grad=True)
    for args, kw in [
        (("cpu",), {}),
        ((rg.device("cpu"),), {}),
        ((rg.float32,), {}),
        (("float32",), {}),
        ((np.float32,), {}),
        (("cpu", rg.float32), {}),
        ((rg.ones(1),), {}),
        ((), {"device": "cpu", "dtype": rg.float32}),
        (("cpu",), {"non_blocking": True}),
        ((), {}),
    ]:
        assert t.to(*args, **kw) is t, (args, kw)
    assert t.cpu() is t and t.float() is t
    # Gradients still reach the original leaf through the returned object.
    (t.to("cpu").float() * 2.0).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [2.0, 2.0])


@pytest.mark.parametrize(
    "args, kw, exc, match",
    [
        (("cuda",), {}, rg.InvalidArgumentError, "CPU only"),
        (("cuda:0",), {}, rg.InvalidArgumentError, "CPU only"),
        ((rg.device("mps"),), {}, rg.InvalidArgumentError, "CPU only"),
        ((), {"device": "cuda"}, rg.InvalidArgumentError, "CPU only"),
        ((np.float64,), {}, TypeError, "float32"),
        (("float64",), {}, TypeError, "float32"),
        ((int,), {}, TypeError, "float32"),
        (("cpu", np.float16), {}, TypeError, "float32"),
        ((), {"dtype": rg.float64}, TypeError, "float32"),
        (("cpu", rg.float32, "cpu"), {}, TypeError, "at most"),
    ],
)
def test_to_refuses_other_devices_and_dtypes(args, kw, exc, match):
    with pytest.raises(exc, match=match):
        rg.ones(2).to(*args, **kw)
