"""Differential tests for ``torchlike._printing`` against PyTorch's own ``repr``.

Every test builds a real ``torch`` tensor, feeds its values (as numpy) and
metadata to ``format_tensor`` and requires the result to equal ``repr(t)``
character for character, under identical print options on both sides.
Expected strings always come from torch at test time, never from our output.
"""
from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest
import torch
import torch._tensor_str as torch_tensor_str
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.utils._pytree import tree_map

from torchlike import _printing

NAN, INF = math.nan, math.inf

ALL_DTYPES = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
              torch.float16, torch.bfloat16, torch.float32, torch.float64,
              torch.complex64, torch.complex128]
FLOAT_DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
COMPLEX_DTYPES = [torch.complex64, torch.complex128]


@pytest.fixture(autouse=True)
def default_print_options():
    """Start and finish every test with default options and default dtype on both sides."""
    def reset():
        torch.set_printoptions(profile="default", sci_mode=None)
        _printing.set_printoptions(profile="default", sci_mode=None)
        torch.set_default_dtype(torch.float32)
    reset()
    yield
    reset()


def set_both(**options):
    torch.set_printoptions(**options)
    _printing.set_printoptions(**options)


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def to_numpy(t: torch.Tensor) -> np.ndarray:
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.float().numpy().astype(ml_dtypes.bfloat16)
    return t.numpy()


def ours(t: torch.Tensor, **kwargs) -> str:
    grad_fn = None if t.grad_fn is None else type(t.grad_fn).__name__
    return _printing.format_tensor(
        to_numpy(t), dtype_name=dtype_name(t.dtype),
        default_float_name=dtype_name(torch.get_default_dtype()),
        requires_grad=t.requires_grad, grad_fn_name=grad_fn, **kwargs)


def check(t: torch.Tensor) -> None:
    expected = repr(t)
    assert str(t) == expected
    assert ours(t) == expected


# --------------------------------------------------------------------------- #
# Case catalogue: (id, builder) pairs, built lazily so each test gets a fresh tensor.
# --------------------------------------------------------------------------- #

def T(*args, **kwargs):
    return lambda: torch.tensor(*args, **kwargs)


SCALARS = {
    "float": T(1.0), "int": T(3), "bool": T(True), "neg_zero": T(-0.0), "nan": T(NAN),
    "inf": T(INF), "neg_inf": T(-INF), "big": T(1e10), "tiny": T(1.5e-5), "frac": T(123456.7),
    "neg_frac": T(-2.5), "complex": T(1 + 2j), "complex_neg": T(-1.5 - 0.25j),
    "complex_big": T(1e10 + 1j), "int8": T(-7, dtype=torch.int8), "uint8": T(200, dtype=torch.uint8),
    "half": T(1.1, dtype=torch.float16), "bf16": T(1.1, dtype=torch.bfloat16),
    "double": T(0.1, dtype=torch.float64), "cdouble": T(0.1j, dtype=torch.complex128),
}

VECTORS = {
    "ints": T([1, -20, 300]), "bools": T([True, False]), "all_true": T([True, True]),
    "floats": T([1.0, -2.5, 3.25]), "integral": T([1.0, 2.0, 3.0]), "integral_neg": T([-1.0, 1.0]),
    "neg_zero": T([-0.0, 1.0]), "zeros": T([0.0, -0.0]), "half_neg_zero": T([0.5, -0.0]),
    "nan_int": T([NAN, 1.0, INF, -INF]), "nan_wide": T([NAN, 100.0]), "nan_frac": T([NAN, 1.5]),
    "inf_frac": T([-INF, -1.5, 2.0]), "only_nonfinite": T([NAN, INF, -INF]),
    "inf_sci": T([-INF, 1e10]), "nan_tiny": T([NAN, 1e-5]),
    "small_ratio": T([1e3, 1.0]), "ratio_1001": T([1001.0, 1.0]), "ratio_sci": T([1e-5, 1.0]),
    "max_1e8": T([1e8, 1.0]), "above_1e8": T([1.5e8, 2.5]), "int_1e8": T([100000000.0, 5.0]),
    "min_1e-4": T([1e-4, 2e-4]), "min_below_1e-4": T([9.9999e-5, 2e-4]),
    "min_above_1e-4": T([1.2e-4, 2e-4]), "zero_and_tiny": T([0.0, 1e-5]),
    "huge_double": T([1e300, 1.0], dtype=torch.float64), "tiny_double": T([1e-300, 1.0], dtype=torch.float64),
    "denormal": T([1e-40]), "float_max": T([3e38, -3e38]),
    "complex": T([1 + 2j, 3 - 1j]), "complex_frac": T([1.5 + 2j, -3 - 1.25j]),
    "complex_uneven": T([1 + 100j, 1 - 1.5j]), "complex_real_pad": T([1 + 100j, -100 - 1.5j]),
    "complex_nan": T([complex(1, NAN), complex(NAN, -1)]), "complex_inf": T([complex(1, -INF), complex(-INF, 0)]),
    "complex_sci": T([1e-5 + 1j, 1 - 1e5j]), "complex_neg_zero": T([-0.0 - 0.0j]),
    "complex_zero_imag": T([1 + 0j, 2 + 0j]),
    "linspace": lambda: torch.linspace(0.0, 2 * math.pi, steps=25),
    "rand_wrap": lambda: torch.rand(30, generator=torch.Generator().manual_seed(0)),
    "wide_ints": lambda: torch.arange(-50, 50) * 1000,
    "zeros_wrap": lambda: torch.zeros(30), "nan_wrap": lambda: torch.full((30,), NAN),
    "bool_wrap": lambda: torch.ones(30, dtype=torch.bool),
    "complex_wrap": lambda: torch.zeros(30, dtype=torch.complex64) - 100.5j,
}

MATRICES = {
    "2d_int": lambda: torch.arange(6).reshape(2, 3),
    "2d_float": lambda: torch.arange(6.0).reshape(2, 3) / 3,
    "2d_wrap": lambda: torch.rand(2, 20, generator=torch.Generator().manual_seed(1)),
    "2d_nan": T([[NAN, 1.0], [2.0, -INF]]),
    "3d": lambda: torch.arange(24).reshape(2, 3, 4),
    "4d": lambda: torch.arange(16).reshape(2, 2, 2, 2) * 1.5,
    "5d": lambda: torch.arange(32.0).reshape(2, 2, 2, 2, 2) - 10,
    "3d_complex": lambda: torch.arange(8.0).reshape(2, 2, 2) * (1 - 2j),
    "3d_bool": lambda: torch.arange(12).reshape(3, 2, 2) % 3 == 0,
    "column": lambda: torch.arange(5.0).reshape(5, 1),
    "row": lambda: torch.arange(5.0).reshape(1, 5),
    "singleton": lambda: torch.ones(1, 1, 1),
}

SUMMARIZED = {
    "1d_int": lambda: torch.arange(1001),
    "1d_float": lambda: torch.arange(2000.0) % 10,
    "1d_sci": lambda: torch.arange(2000.0) / 7,
    "2d_int": lambda: torch.arange(10000).reshape(100, 100),
    "2d_float": lambda: torch.arange(2000.0).reshape(2, 1000) / 7,
    "3d": lambda: torch.zeros(20, 20, 20),
    "4d": lambda: torch.arange(4096.0).reshape(8, 8, 8, 8),
    "bool": lambda: torch.arange(3000) % 2 == 0,
    "complex": lambda: torch.arange(2000.0) * (1 + 1j),
    "hidden_outlier": lambda: (torch.arange(2000.0) % 10).index_fill(0, torch.tensor([1000]), 1e20),
    "hidden_nan": lambda: torch.ones(2000).index_fill(0, torch.tensor([500]), NAN),
    "tall": lambda: torch.arange(3000).reshape(1500, 2),
    "wide": lambda: torch.arange(3000.0).reshape(2, 1500),
}


def catalogue(*groups):
    cases = {name: build for group in groups for name, build in group.items()}
    return pytest.mark.parametrize("build", list(cases.values()), ids=list(cases))


@catalogue(SCALARS)
def test_scalars(build):
    check(build())


@catalogue(VECTORS)
def test_vectors(build):
    check(build())


@catalogue(MATRICES)
def test_multidimensional(build):
    check(build())


@catalogue(SUMMARIZED)
def test_summarized(build):
    check(build())


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
@pytest.mark.parametrize("values", [[0, 1, 2], [-3, 5, 7, 100], [[1, 0], [0, 1]], 42, [1]],
                         ids=["small", "signed", "matrix", "scalar", "single"])
def test_every_dtype(dtype, values):
    if dtype == torch.uint8:
        values = np.abs(np.array(values)).tolist()
    check(torch.tensor(values).to(dtype))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + COMPLEX_DTYPES, ids=dtype_name)
@pytest.mark.parametrize("values", [[0.1, 0.2, 0.3], [1e-5, 1.0], [1e4, 3.0], [65504.0, -1.0],
                                    [1.1, NAN, -INF], [2.0**-20, 0.5], [1 / 3, 2 / 3]],
                         ids=["frac", "sci_small", "sci_ratio", "half_max", "nonfinite", "subnormal", "thirds"])
def test_float_dtypes(dtype, values):
    check(torch.tensor(values, dtype=torch.float64).to(dtype))


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 3), (3, 0), (0, 0)], ids=str)
@pytest.mark.parametrize("default", [torch.float32, torch.float64], ids=dtype_name)
def test_empty(dtype, shape, default):
    torch.set_default_dtype(default)
    check(torch.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
@pytest.mark.parametrize("shape", [(), (2,), (2, 2)], ids=str)
def test_default_dtype_float64(dtype, shape):
    torch.set_default_dtype(torch.float64)
    check(torch.ones(shape, dtype=dtype))


# --------------------------------------------------------------------------- #
# Print options
# --------------------------------------------------------------------------- #

OPTION_SETS = [
    dict(precision=0), dict(precision=1), dict(precision=2), dict(precision=8),
    dict(sci_mode=True), dict(sci_mode=False), dict(precision=2, sci_mode=True),
    dict(threshold=5), dict(threshold=5, edgeitems=1), dict(threshold=0, edgeitems=2),
    dict(edgeitems=0), dict(edgeitems=0, threshold=3), dict(edgeitems=5, threshold=10),
    dict(linewidth=10), dict(linewidth=40), dict(linewidth=120), dict(linewidth=200),
    dict(profile="short"), dict(profile="full"), dict(profile="default"),
    dict(profile="full", precision=6, linewidth=100), dict(profile="short", sci_mode=False),
]
OPTION_TENSORS = {
    "floats": lambda: torch.linspace(-3.0, 7.0, steps=13),
    "sci": T([1e-6, 1.0, 123.456]), "integral": T([1.0, 2.0, 1e5]),
    "big_int_float": T([1e10, 3.0]), "nan": T([NAN, 1.25, -INF]),
    "scalar": T(3.14159265), "zeros": lambda: torch.zeros(4),
    "ints": lambda: torch.arange(-20, 20), "bools": lambda: torch.arange(12) % 3 == 0,
    "complex": lambda: torch.arange(6.0) * (0.5 - 1.5j),
    "matrix": lambda: torch.arange(48.0).reshape(6, 8) / 7,
    "cube": lambda: torch.arange(60).reshape(3, 4, 5),
    "large": lambda: torch.arange(3000.0).reshape(30, 100) / 3,
    "grad": lambda: torch.linspace(0.0, 1.0, 20, dtype=torch.float64, requires_grad=True) * 2,
    "empty": lambda: torch.zeros(0, 4, dtype=torch.int32),
}


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
@catalogue(OPTION_TENSORS)
def test_print_options(options, build):
    set_both(**options)
    check(build())


@pytest.mark.parametrize("linewidth", range(5, 121))
def test_linewidth_sweep(linewidth):
    """Element wrapping and suffix placement at every line width, with chains of suffixes."""
    set_both(linewidth=linewidth)
    check(torch.arange(12.0, dtype=torch.float64).reshape(3, 4).requires_grad_().sin())
    check(torch.zeros(2, 0, dtype=torch.float64, requires_grad=True).sin())
    check(torch.arange(7.0) * (1 + 1j))
    check(torch.tensor(-1.5, dtype=torch.float64, requires_grad=True))
    check(torch.full((30,), INF, dtype=torch.float16, requires_grad=True))
    set_both(linewidth=linewidth, edgeitems=0)
    check(torch.full((7,), INF, dtype=torch.float16, requires_grad=True))


def test_edgeitems_zero_adds_size():
    set_both(edgeitems=0)
    check(torch.tensor(2.5))
    check(torch.arange(10, dtype=torch.int32))
    check(torch.zeros(0))
    set_both(edgeitems=0, threshold=0)
    check(torch.tensor(True))
    check(torch.arange(24).reshape(2, 3, 4))


@pytest.mark.parametrize("calls", [
    [dict(sci_mode=True)], [dict(sci_mode=True), dict(precision=2)],
    [dict(profile="short")], [dict(profile="full")], [dict(profile="full", precision=7, linewidth=100)],
    [dict(threshold=5, edgeitems=1)], [dict(profile="bogus")], [dict(profile="short"), dict(profile="default")],
], ids=str)
def test_get_printoptions(calls):
    for call in calls:
        set_both(**call)
    assert _printing.get_printoptions() == torch_tensor_str.get_printoptions()


def test_printoptions_context_manager():
    set_both(precision=3)
    t = torch.tensor([1.23456, 1e-6])
    with torch_tensor_str.printoptions(precision=1, sci_mode=True), \
            _printing.printoptions(precision=1, sci_mode=True):
        assert _printing.get_printoptions() == torch_tensor_str.get_printoptions()
        check(t)
    assert _printing.get_printoptions() == torch_tensor_str.get_printoptions()
    check(t)
    with pytest.raises(RuntimeError), _printing.printoptions(linewidth=20):
        raise RuntimeError
    assert _printing.get_printoptions()["linewidth"] == 80


# --------------------------------------------------------------------------- #
# Suffixes: dtype, autograd, device, prefix
# --------------------------------------------------------------------------- #

SUFFIX_CASES = {
    "requires_grad": lambda: torch.tensor([1.0, 2.0], requires_grad=True),
    "requires_grad_scalar": lambda: torch.tensor(1.0, requires_grad=True),
    "dtype_requires_grad": lambda: torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True),
    "grad_fn": lambda: torch.zeros(2, 3, requires_grad=True).sin(),
    "dtype_grad_fn": lambda: torch.zeros(2, 3, dtype=torch.float64, requires_grad=True).sin(),
    "grad_fn_scalar": lambda: torch.tensor(1.0, dtype=torch.float64, requires_grad=True) * 2,
    "to_copy": lambda: torch.rand(8, requires_grad=True).double(),
    "multiline_requires_grad": lambda: torch.linspace(0.0, 2 * math.pi, steps=25, requires_grad=True),
    "multiline_fits": lambda: torch.rand(20, requires_grad=True),
    "empty_requires_grad": lambda: torch.tensor([], requires_grad=True),
    "empty_dtype_grad": lambda: torch.zeros(0, 3, dtype=torch.float64, requires_grad=True),
    "complex_grad": lambda: torch.tensor([1 + 1j, 2 - 3j], requires_grad=True) * 2,
    "half_grad": lambda: torch.ones(3, dtype=torch.float16, requires_grad=True),
    "bf16_grad_fn": lambda: torch.ones(2, 2, dtype=torch.bfloat16, requires_grad=True).exp(),
    "summarized_grad": lambda: torch.arange(2000.0, requires_grad=True) * 1,
}


@catalogue(SUFFIX_CASES)
def test_suffixes(build):
    check(build())


def test_linspace_example_from_spec():
    t = torch.linspace(0.0, 2 * math.pi, steps=25, requires_grad=True)
    assert repr(t) == (
        "tensor([0.0000, 0.2618, 0.5236, 0.7854, 1.0472, 1.3090, 1.5708, 1.8326, 2.0944,\n"
        "        2.3562, 2.6180, 2.8798, 3.1416, 3.4034, 3.6652, 3.9270, 4.1888, 4.4506,\n"
        "        4.7124, 4.9742, 5.2360, 5.4978, 5.7596, 6.0214, 6.2832],\n"
        "       requires_grad=True)")
    check(t)


def wrapper_class(name: str) -> type:
    """A tensor subclass named ``name`` that claims any device while computing on CPU.

    Torch prints such a tensor like a plain one, with prefix ``f"{name}("`` and
    the claimed device in the suffix, which lets a CPU-only torch show how it
    prints e.g. CUDA tensors.  Element access goes to the CPU tensor inside.
    """
    def __new__(cls, inner, device):
        wrapper = torch.Tensor._make_wrapper_subclass(
            cls, inner.shape, dtype=inner.dtype, device=device,
            requires_grad=inner.requires_grad, strides=inner.stride())
        wrapper.inner = inner
        return wrapper

    def tolist(self):
        return self.inner.tolist()

    def __getitem__(self, index):
        return self.inner[index]

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        def unwrap(x):
            if isinstance(x, cls):
                return x.inner
            return torch.device("cpu") if isinstance(x, torch.device) else x
        return func(*tree_map(unwrap, args), **tree_map(unwrap, kwargs or {}))

    return type(name, (torch.Tensor,), dict(
        __new__=staticmethod(__new__), tolist=tolist, __getitem__=__getitem__,
        __torch_dispatch__=__torch_dispatch__,
        __torch_function__=torch._C._disabled_torch_function_impl))


DEVICE_TENSORS = {
    "floats": T([1.5, 2.0]), "scalar": T(3), "empty_double": T([], dtype=torch.float64),
    "empty_2d": lambda: torch.zeros(0, 3, dtype=torch.int32),
    "matrix_grad": lambda: torch.arange(9.0, dtype=torch.float64).reshape(3, 3).requires_grad_(),
    "half": lambda: torch.arange(30.0, dtype=torch.float16), "complex": T([1 + 1j]),
    "cube": lambda: torch.arange(24).reshape(2, 3, 4), "summarized": lambda: torch.arange(3000.0).reshape(30, 100),
}


@pytest.mark.parametrize("device", ["cuda:0", "cuda:1", "mps", "xpu:0"])
@pytest.mark.parametrize("linewidth", [80, 30])
@catalogue(DEVICE_TENSORS)
def test_device_suffix(device, linewidth, build):
    set_both(linewidth=linewidth)
    t = build()
    expected = repr(wrapper_class("tensor")(t, device))
    assert expected.count(f"device='{device}'") == 1
    assert _printing.format_tensor(to_numpy(t), dtype_name=dtype_name(t.dtype), device=device,
                                   requires_grad=t.requires_grad) == expected


@pytest.mark.parametrize("name", ["ab", "Xyzzy_long_name"])
@catalogue(DEVICE_TENSORS)
def test_prefix_sets_indent(name, build):
    t = build()
    expected = repr(wrapper_class(name)(t, "cpu"))
    assert _printing.format_tensor(to_numpy(t), dtype_name=dtype_name(t.dtype),
                                   requires_grad=t.requires_grad, prefix=name + "(") == expected


@pytest.mark.parametrize("shape", [(), (25,), (2, 3), (0, 3)], ids=str)
def test_parameter(shape):
    t = torch.arange(math.prod(shape), dtype=torch.float32).reshape(shape) / 3
    parameter = torch.nn.Parameter(t)
    expected = repr(parameter)
    assert "Parameter containing:\n" + ours(parameter) == expected
    assert _printing.format_tensor(t.numpy(), dtype_name="float32", requires_grad=True,
                                   prefix="Parameter containing:\ntensor(") == expected


# --------------------------------------------------------------------------- #
# Property test
# --------------------------------------------------------------------------- #

SPECIALS = [NAN, INF, -INF, 0.0, -0.0, 1e-30, -1e30, 1e-8, 65504.0]


@st.composite
def random_tensors(draw):
    shape = tuple(draw(st.lists(st.integers(0, 12), min_size=0, max_size=4)))
    dtype = draw(st.sampled_from(ALL_DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    size = math.prod(shape)
    if dtype == torch.bool:
        return torch.from_numpy(np.asarray(rng.random(shape) < 0.5))
    if not (dtype.is_floating_point or dtype.is_complex):
        info = torch.iinfo(dtype)
        high = min(info.max, draw(st.sampled_from([10, 1000, 10**6, info.max])))
        low = 0 if dtype == torch.uint8 else max(info.min, -high)
        return torch.from_numpy(np.asarray(rng.integers(low, high, shape, endpoint=True))).to(dtype)
    parts = 2 if dtype.is_complex else 1
    scale = 10.0 ** draw(st.integers(-12, 12))
    kind = draw(st.sampled_from(["normal", "integral", "lognormal", "zeros"]))
    base = rng.standard_normal((size * parts,))
    if kind == "integral":
        base = np.round(base * 3) * draw(st.sampled_from([1.0, 1e3, 1e9]))
    elif kind == "lognormal":
        base = base * np.exp(rng.standard_normal(base.shape) * 8)
    elif kind == "zeros":
        base = base * 0.0
    base = base * scale
    if size:
        for value in draw(st.lists(st.sampled_from(SPECIALS), max_size=3)):
            base[rng.integers(base.size)] = value
    t = torch.from_numpy(base)
    if dtype.is_complex:
        t = torch.view_as_complex(t.reshape(-1, 2))
    t = t.reshape(shape).to(dtype)
    if draw(st.booleans()):
        t.requires_grad_()
        if draw(st.booleans()):
            t = t * 1
    return t


print_options = st.fixed_dictionaries({}, optional={
    "precision": st.integers(0, 8),
    "threshold": st.sampled_from([0, 5, 100, 1000, 10**6]),
    "edgeitems": st.integers(0, 4),
    "linewidth": st.integers(5, 160),
    "sci_mode": st.sampled_from([None, True, False]),
    "profile": st.sampled_from(["default", "short", "full"]),
})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t=random_tensors(), options=print_options, default=st.sampled_from([torch.float32, torch.float64]))
def test_matches_torch_on_random_tensors(t, options, default):
    torch.set_default_dtype(default)
    set_both(profile="default", sci_mode=None)
    set_both(**options)
    try:
        check(t)
    finally:
        set_both(profile="default", sci_mode=None)
        torch.set_default_dtype(torch.float32)
