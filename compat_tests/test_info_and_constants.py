"""torch.finfo / torch.iinfo, the numeric constants, the deterministic-algorithm flags and
torch.set_default_tensor_type, against PyTorch."""
import math
import warnings

import pytest
import torch

import torchlike
from harness import LIBS, same, same_message, same_output

FLOATS = ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"]
INTS = ["uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64"]


@pytest.mark.parametrize("name", FLOATS)
def test_finfo(name):
    same_output(lambda T: print(repr(T.finfo(getattr(T, name))), str(T.finfo(type=getattr(T, name)))))

    def attrs(T):
        f = T.finfo(getattr(T, name))
        return [f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution, f.dtype,
                type(f.dtype).__name__]
    same(attrs)


@pytest.mark.parametrize("name", INTS)
def test_iinfo(name):
    same_output(lambda T: print(repr(T.iinfo(getattr(T, name)))))
    same(lambda T: [T.iinfo(getattr(T, name)).bits, T.iinfo(getattr(T, name)).max,
                    T.iinfo(getattr(T, name)).min, T.iinfo(getattr(T, name)).dtype])


def test_finfo_default_dtype_and_equality():
    same_output(lambda T: print(T.finfo()))
    for T in LIBS:
        T.set_default_dtype(T.float64)
        try:
            assert T.finfo().dtype == "float64"
        finally:
            T.set_default_dtype(T.float32)
    same(lambda T: [T.finfo(T.float32) == T.finfo(T.float32), T.finfo(T.float32) == T.finfo(T.float64),
                    T.iinfo(T.int8) == T.iinfo(T.int8), T.finfo(T.float32) is T.finfo(T.float32),
                    T.finfo(T.float32) != T.finfo(T.float16)])
    # usable as PyTorch programs use it: clamping to a dtype's range, masking with its min
    same(lambda T: T.tensor([1e39, -1e39, 3.0]).clamp(T.finfo(T.float32).min, T.finfo(T.float32).max))
    same(lambda T: T.full((2,), T.finfo(T.float16).min, dtype=T.float16))


@pytest.mark.parametrize("call", [
    lambda T: T.finfo(T.int32), lambda T: T.finfo(T.bool), lambda T: T.iinfo(T.float32),
    lambda T: T.iinfo(T.bool), lambda T: T.iinfo(T.complex64), lambda T: T.finfo("float32"),
    lambda T: T.iinfo(None), lambda T: T.iinfo(), lambda T: T.finfo(3),
    lambda T: setattr(T.finfo(T.float32), "eps", 1.0), lambda T: setattr(T.iinfo(T.int8), "max", 1),
    lambda T: hash(T.finfo(T.float32)),
])
def test_info_errors(call):
    same(call)
    same_message(call)


def test_constants():
    same(lambda T: [T.inf, T.nan is not None and math.isnan(T.nan), T.pi, T.e, T.newaxis])
    same(lambda T: T.zeros(3)[T.newaxis].shape)
    same(lambda T: T.full((2,), -T.inf) + T.tensor([T.pi, T.e]))


def test_deterministic_flags():
    def flags(T):
        out = [T.are_deterministic_algorithms_enabled(), T.is_deterministic_algorithms_warn_only_enabled(),
               T.get_deterministic_debug_mode()]
        try:
            T.use_deterministic_algorithms(True)
            out += [T.are_deterministic_algorithms_enabled(), T.get_deterministic_debug_mode()]
            T.use_deterministic_algorithms(True, warn_only=True)
            out += [T.is_deterministic_algorithms_warn_only_enabled(), T.get_deterministic_debug_mode()]
            for mode in ["default", "warn", "error", 0, 1, 2, True]:
                T.set_deterministic_debug_mode(mode)
                out.append((T.get_deterministic_debug_mode(), T.are_deterministic_algorithms_enabled(),
                            T.is_deterministic_algorithms_warn_only_enabled()))
        finally:
            T.use_deterministic_algorithms(False)
        return out
    same(flags)


@pytest.mark.parametrize("call", [
    lambda T: T.set_deterministic_debug_mode(3), lambda T: T.set_deterministic_debug_mode("x"),
    lambda T: T.set_deterministic_debug_mode(1.0), lambda T: T.set_deterministic_debug_mode(None),
    lambda T: T.use_deterministic_algorithms("x"), lambda T: T.use_deterministic_algorithms(1),
    lambda T: T.use_deterministic_algorithms(None),
])
def test_deterministic_errors(call):
    try:
        same(call)
        same_message(call)
    finally:
        for T in LIBS:
            T.use_deterministic_algorithms(False)


def _with_default_tensor_type(t):
    def fn(T):
        try:
            T.set_default_tensor_type(t(T) if callable(t) else t)
            return T.get_default_dtype(), T.tensor([1.5]).dtype, T.zeros(2).dtype
        finally:
            T.set_default_dtype(T.float32)
    return fn


@pytest.mark.parametrize("t", [
    lambda T: T.DoubleTensor, lambda T: T.FloatTensor, lambda T: T.HalfTensor, lambda T: T.BFloat16Tensor,
    "torch.DoubleTensor", "torch.FloatTensor",
])
def test_set_default_tensor_type(t):
    same(_with_default_tensor_type(t))


@pytest.mark.parametrize("t", [
    lambda T: T.LongTensor, "torch.IntTensor", lambda T: T.Tensor, "torch.Tensor", lambda T: T.float64, 3, None,
    "torch.FooTensor", "a.b", "torch.cuda.FloatTensor", lambda T: T.cuda.FloatTensor,
])
def test_set_default_tensor_type_errors(t):
    if torchlike.cuda.is_available() and "cuda" in str(t):
        pytest.skip("a GPU is present: torch.cuda types are available")
    fn = _with_default_tensor_type(t)
    same(fn)
    same_message(fn)


def test_set_default_tensor_type_warns():
    for T in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                T.set_default_tensor_type(T.DoubleTensor)
            finally:
                T.set_default_dtype(T.float32)
        # PyTorch warns once per process: the first call in this process (any test) warned
        assert all(issubclass(x.category, UserWarning) for x in w)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        torchlike._info._warned_tensor_type.clear()
        try:
            torchlike.set_default_tensor_type("torch.DoubleTensor")
        finally:
            torchlike.set_default_dtype(torchlike.float32)
    msg, = [str(x.message) for x in w]
    assert msg.startswith("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                          "torch.set_default_dtype() and torch.set_default_device() as alternatives.")
