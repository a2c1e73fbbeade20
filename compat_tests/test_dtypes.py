"""dtypes, default dtype, and type promotion (promote_types, result_type, can_cast, ops).

Every expected value comes from PyTorch at test time.  The one known gap:
torch has ``complex32`` (ComplexHalf) and answers it for float16 with complex
operands; torchlike has no complex32 (JAX has none) and answers complex64 there
(docs/differences.md).  Those combinations are checked against that documented
answer rather than left out.
"""
import itertools
import pickle
import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import torchlike
from harness import same

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
         "complex64", "complex128"]
ALIASES = ["float", "double", "half", "long", "int", "short", "cfloat", "cdouble"]
SCALARS = {"bool": True, "int": 3, "float": 1.5, "complex": 1 + 2j}


@pytest.fixture(autouse=True)
def restore_default_dtype():
    yield
    torch.set_default_dtype(torch.float32)
    torchlike.set_default_dtype(torchlike.float32)


def _dtype_facts(d):
    return (repr(d), str(d), d.is_floating_point, d.is_complex, d.is_signed, d.itemsize, d.to_real(), d.abbr)


@pytest.mark.parametrize("name", NAMES + ALIASES)
def test_dtype_attributes(name):
    same(lambda T: _dtype_facts(getattr(T, name)))


@pytest.mark.parametrize("name", NAMES)
def test_dtype_to_complex(name):
    def f(T):
        d = getattr(T, name)
        r = d.to_complex()
        return str(r).replace("complex32", "complex64")  # torch: float16 -> complex32 (torchlike lacks it)
    same(f)


def test_aliases_are_the_same_objects():
    def f(T):
        return [getattr(T, a) is getattr(T, n) for a, n in [
            ("float", "float32"), ("double", "float64"), ("half", "float16"), ("long", "int64"),
            ("int", "int32"), ("short", "int16"), ("cfloat", "complex64"), ("cdouble", "complex128")]]
    same(f)


def test_dtype_object_protocol():
    def f(T):
        d = T.float32
        return (isinstance(d, T.dtype), d == T.float32, d != T.float64, d == "float32", hash(d) == hash(T.float),
                {T.float32: 1, T.float64: 2}[T.float], pickle.loads(pickle.dumps(d)) is d,
                copy.deepcopy(d) is d, copy.copy(d) is d, len({T.float, T.float32, T.double}))
    same(f)


def test_dtype_cannot_be_constructed():
    same(lambda T: T.dtype())
    same(lambda T: T.dtype("float32"))


# ---- default dtype -------------------------------------------------------------

@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16"])
def test_default_dtype_effects(name):
    def f(T):
        T.set_default_dtype(getattr(T, name))
        return (T.get_default_dtype(), T.tensor(1.0).dtype, T.tensor([1.0, 2.0]).dtype, T.tensor([1, 2]).dtype,
                T.tensor(True).dtype, T.arange(0., 3).dtype, T.arange(3).dtype, T.ones(2).dtype,
                T.zeros(2, 2).dtype, T.empty(1).dtype, T.full((2,), 1.5).dtype, T.full((2,), 2).dtype,
                T.linspace(0, 1, 3).dtype, T.eye(2).dtype, T.rand(2).dtype, T.randn(2).dtype,
                (T.tensor([1, 2]) * 1.5).dtype, (T.tensor([1, 2]) / 2).dtype, (T.tensor(3) + 0.5).dtype,
                T.result_type(T.tensor([1]), 1.0), T.result_type(2, 1.0), T.tensor([1, 2]).float().dtype,
                T.Tensor(2).dtype, T.Tensor([1, 2]).dtype, T.tensor([True, 1.5]).dtype,
                T.tensor(np.float32(1)).dtype)
    same(f)


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_default_complex_dtype(name):
    def f(T):
        T.set_default_dtype(getattr(T, name))
        return (T.tensor(1j).dtype, T.tensor([1, 2 + 1j]).dtype, (T.tensor([1, 2]) * 1j).dtype,
                T.result_type(T.tensor([1]), 1j), T.result_type(1.0, 1j), T.full((1,), 1j).dtype)
    same(f)


def test_default_complex_with_bfloat16_default_raises():
    def f(T):
        T.set_default_dtype(T.bfloat16)
        return T.tensor(1j)
    same(f)


@pytest.mark.parametrize("name", ["int32", "int64", "bool", "uint8", "complex64", "complex128"])
def test_set_default_dtype_rejects_non_float(name):
    def f(T):
        T.set_default_dtype(getattr(T, name))
    same(f)
    same(lambda T: T.get_default_dtype())


@pytest.mark.parametrize("bad", [float, "float64", None, np.float64])
def test_set_default_dtype_rejects_non_dtypes(bad):
    same(lambda T: T.set_default_dtype(bad))


def test_python_types_as_dtypes():
    def f(T):
        return (T.promote_types(T.float32, float), T.promote_types(int, T.int8), T.promote_types(bool, complex),
                T.can_cast(float, int), T.zeros(2, dtype=float).dtype, T.zeros(2, dtype=int).dtype,
                T.ones(2, dtype=bool).dtype, T.ones(2, dtype=complex).dtype, T.ones(2).to(float).dtype,
                T.ones(2).to(int).dtype, T.tensor([1], dtype=float).dtype, T.arange(3, dtype=float).dtype,
                T.ones(2).new_zeros(2, dtype=int).dtype, T.full((2,), 1, dtype=float).dtype)
    same(f)


@pytest.mark.parametrize("bad", [np.float32, "float32", np.dtype("float32"), 3])
def test_non_dtypes_rejected(bad):
    same(lambda T: T.zeros(2, dtype=bad))
    same(lambda T: T.promote_types(T.float32, bad))
    same(lambda T: T.can_cast(bad, T.float32))


# ---- promotion tables ----------------------------------------------------------

def test_promote_types_all_pairs():
    def f(T):
        return [T.promote_types(getattr(T, a), getattr(T, b)) for a, b in itertools.product(NAMES, NAMES)]
    same(f)


def test_can_cast_all_pairs():
    def f(T):
        return [T.can_cast(getattr(T, a), getattr(T, b)) for a, b in itertools.product(NAMES, NAMES)]
    same(f)


# operands: a tensor with dimensions, a 0-dim tensor, or a Python scalar
OPERANDS = [("dim", n) for n in NAMES] + [("zero", n) for n in NAMES] + [("py", k) for k in SCALARS]


def _operand(T, kind, name, value=1):
    if kind == "dim":
        return T.full((2,), value, dtype=getattr(T, name))
    if kind == "zero":
        return T.full((), value, dtype=getattr(T, name))
    return SCALARS[name]


def _dtype_name(d):
    # torch answers complex32 where torchlike (no complex32) documents complex64
    return str(d).replace("complex32", "complex64")


def _result_types(pairs):
    def f(T):
        out = []
        for x, y in pairs:
            try:
                out.append(_dtype_name(T.result_type(_operand(T, *x), _operand(T, *y))))
            except Exception as e:  # noqa: BLE001
                out.append(type(e).__name__)
        return out
    return f


def test_result_type_all_operand_combinations():
    pairs = list(itertools.product(OPERANDS, OPERANDS))
    same(_result_types(pairs))


def test_result_type_scalars_only_and_errors():
    same(lambda T: [T.result_type(a, b) for a, b in itertools.product(SCALARS.values(), SCALARS.values())])
    same(lambda T: T.result_type(T.ones(1)))
    same(lambda T: T.result_type(T.ones(1), "a"))
    same(lambda T: T.result_type(T.ones(1), None))


NP_SCALARS = [np.bool_(True), np.int8(1), np.int64(2), np.uint8(1), np.float16(1.5), np.float32(2.5),
              np.float64(1.5), np.complex128(1j)]


def test_result_type_numpy_scalars():
    """numpy scalars promote as torch's argument parser reads them (integers as int, np.float64 and
    np.complex128 as float/complex, np.bool_/np.float16/np.float32 as float)."""
    def f(T):
        out = []
        for s in NP_SCALARS:
            for name in NAMES:
                for shape in ((2,), ()):
                    out.append(_dtype_name(T.result_type(T.ones(shape, dtype=getattr(T, name)), s)))
            out.append([_dtype_name(T.result_type(s, v)) for v in SCALARS.values()])
        return out
    same(f)


@pytest.mark.parametrize("name", ["bool", "int32", "float16"])
def test_numpy_scalar_operands_give_tensors(name):
    """``t + np.float32(2)`` and ``np.float32(2) * t`` are tensors of torch's dtype (numpy defers to Tensor)."""
    def f(T):
        out = []
        for scalar in NP_SCALARS:
            x = T.ones(2, dtype=getattr(T, name))
            r, l = x + scalar, scalar * x
            out.append((type(r).__name__, _dtype_name(r.dtype), type(l).__name__, _dtype_name(l.dtype)))
        return out
    same(f)


def _binary_dtypes(op, pairs):
    def f(T):
        out = []
        for x, y in pairs:
            a, b = _operand(T, *x), _operand(T, *y)
            try:
                r = op(a, b)
                out.append((_dtype_name(r.dtype), tuple(r.shape)))
            except Exception as e:  # noqa: BLE001
                out.append(type(e).__name__)
        return out
    return f


# combinations where the promotion rules differ from a naive "widest type wins"
ADD_CASES = [
    (("dim", "int64"), ("dim", "float16")), (("dim", "int32"), ("dim", "float32")), (("dim", "uint8"), ("dim", "int8")),
    (("dim", "float16"), ("dim", "bfloat16")), (("dim", "bool"), ("dim", "bool")), (("dim", "int64"), ("dim", "complex64")),
    (("dim", "float64"), ("dim", "complex64")), (("dim", "uint8"), ("dim", "int64")), (("dim", "int8"), ("dim", "int16")),
    (("dim", "int32"), ("zero", "float64")), (("dim", "float16"), ("zero", "float64")), (("dim", "int8"), ("zero", "int64")),
    (("dim", "uint8"), ("zero", "int8")), (("dim", "bool"), ("zero", "uint8")), (("dim", "float32"), ("zero", "complex128")),
    (("dim", "float64"), ("zero", "complex64")), (("dim", "int16"), ("zero", "complex64")), (("dim", "bfloat16"), ("zero", "float16")),
    (("dim", "int8"), ("py", "int")), (("dim", "uint8"), ("py", "float")), (("dim", "bool"), ("py", "bool")),
    (("dim", "bool"), ("py", "int")), (("dim", "float16"), ("py", "float")), (("dim", "int64"), ("py", "complex")),
    (("dim", "float64"), ("py", "complex")), (("dim", "float16"), ("py", "complex")), (("dim", "bfloat16"), ("py", "complex")),
    (("zero", "int8"), ("zero", "uint8")), (("zero", "float16"), ("zero", "int64")), (("zero", "int32"), ("py", "float")),
    (("zero", "bool"), ("py", "int")), (("zero", "float64"), ("py", "complex")), (("zero", "complex64"), ("dim", "float64")),
    (("py", "float"), ("dim", "int32")), (("py", "complex"), ("zero", "float64")), (("py", "bool"), ("dim", "uint8")),
]


def test_add_result_dtypes():
    same(_binary_dtypes(lambda a, b: a + b, ADD_CASES))


BINARY_OPS = {
    "add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sub": lambda a, b: a - b, "truediv": lambda a, b: a / b,
    "eq": lambda a, b: a == b, "maximum": lambda a, b: torch_or_like(a, b).maximum(a, b),
    "where": lambda a, b: torch_or_like(a, b).where(torch_or_like(a, b).tensor(True), a, b),
}


def torch_or_like(a, b):
    for v in (a, b):
        if isinstance(v, torchlike.Tensor):
            return torchlike
    return torch


@settings(max_examples=80, deadline=None, derandomize=True)
@given(op=st.sampled_from(sorted(BINARY_OPS)), x=st.sampled_from(OPERANDS[:24]), y=st.sampled_from(OPERANDS))
def test_binary_op_result_dtypes(op, x, y):
    """Sampled (op, operand, operand) combinations: each op computes in torch's result dtype."""
    same(_binary_dtypes(BINARY_OPS[op], [(x, y)]))
