"""Tensor constructors against PyTorch: tensor/as_tensor/from_numpy, filled tensors, ranges, eye.

Values, dtypes, shapes, strides and errors all come from PyTorch at test time.
``linspace``/``logspace`` must equal PyTorch's values bit for bit in float32 and
float64.
"""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import torchlike
from harness import same, to_numpy

NP_DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64,
             np.complex64, np.complex128, np.uint16, np.uint32, np.uint64]


@pytest.fixture(autouse=True)
def restore_default_dtype():
    yield
    torch.set_default_dtype(torch.float32)
    torchlike.set_default_dtype(torchlike.float32)


def _meta(t):
    return (t, t.dtype, tuple(t.shape), t.stride(), t.is_contiguous(), t.requires_grad, t.is_leaf, repr(t.device))


# ---- torch.tensor ----------------------------------------------------------------

DATA = [
    1, 2.5, True, 1 + 2j, [], [[]], [[], []], [1, 2, 3], [1.0, 2], [True, False], [True, 2], [True, 1.5],
    [1, 2 + 1j], [[1, 2], [3, 4]], [[[1.5], [2]], [[3], [4]]], (1, 2), [(1, 2), [3, 4]], range(4),
    [[True], [1.5]], [-0.0, float("inf"), float("nan")], [2 ** 62, -2 ** 63], [2 ** 63], [-2 ** 63 - 1], 2 ** 64,
    [1e39], [[1, 2], [3]], [[1, 2], [3, 4, 5]], [[1, 2], 3], [1, [2, 3]], [[[1], [2]], [[3], [4, 5]]],
    ["a"], [1, "a"], "abc", b"ab", None, [None], [1, None], {1: 2}, [1.5, None],
]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_from_python_data(data):
    same(lambda T: _meta(T.tensor(data)))


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int32", "int64", "float16", "bfloat16", "float32",
                                   "float64", "complex64", "complex128"])
def test_tensor_with_dtype(dtype):
    cases = [[1, 0], [1.7, -1.7], [0.5, 0.0], [True, False], [300, -1], [1e10], [float("inf")], [float("nan")],
             [2 ** 40], [1 + 2j], [[1, 2]], 3, 1.5, [-3.5], [300.5], [2 ** 63 - 1]]

    def f(T):
        out = []
        for c in cases:
            try:
                out.append(T.tensor(c, dtype=getattr(T, dtype)))
            except Exception as e:  # noqa: BLE001
                out.append(type(e).__name__)
        return out
    same(f)


def test_tensor_from_numpy_scalars():
    scalars = [np.float32(1.5), np.float64(1), np.int32(1), np.int8(-3), np.uint8(200), np.bool_(True),
               np.float16(1.5), np.complex64(1 + 1j), np.complex128(2j), np.int64(2 ** 62), np.uint16(3)]
    same(lambda T: [_meta(T.tensor(s)) for s in scalars])
    same(lambda T: [_meta(T.tensor([s, s])) for s in scalars])
    same(lambda T: [T.tensor([np.float32(1), 2.0]), T.tensor([np.int32(1), 2]), T.tensor([np.float16(1), np.int8(2)]),
                    T.tensor([1, np.float64(1.5)]), T.tensor([np.int8(1), 2.5]), T.tensor([1, np.array(2)])])


def test_tensor_default_dtype_float64():
    def f(T):
        T.set_default_dtype(T.float64)
        return [T.tensor(1.5), T.tensor([1, 2.5]), T.tensor([np.float32(1), 2.0]), T.tensor(1j), T.tensor([])]
    same(f)


@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=lambda d: np.dtype(d).name)
def test_tensor_from_numpy_array(np_dtype):
    a = (np.arange(6).reshape(2, 3) % 2).astype(np_dtype)
    same(lambda T: [_meta(T.tensor(a)), _meta(T.tensor(a[0])), _meta(T.tensor(a[0, 0])), _meta(T.as_tensor(a)),
                    _meta(T.from_numpy(a)), _meta(T.asarray(a))])


def test_tensor_from_numpy_array_with_dtype():
    a = np.array([[1.7, -2.2], [3.0, 0.0]])
    same(lambda T: [T.tensor(a, dtype=T.float32), T.tensor(a, dtype=T.int32), T.tensor(a, dtype=T.bool),
                    T.as_tensor(a, dtype=T.float16), T.tensor(a.astype(np.int64), dtype=T.float64)])


def test_tensor_lists_of_arrays_and_tensors():
    same(lambda T: _meta(T.tensor([np.array([1, 2], np.int32), np.array([3, 4], np.int32)])))
    same(lambda T: _meta(T.tensor([np.array([1.5]), [2]])))
    same(lambda T: T.tensor([np.array([1, 2]), np.array([1, 2, 3])]))
    same(lambda T: T.tensor([[1, 2], np.array([1, 2, 3])]))
    same(lambda T: T.tensor([np.array(1.5), 2]))
    same(lambda T: _meta(T.tensor([T.tensor(1), T.tensor(2)])))
    same(lambda T: _meta(T.tensor([T.tensor(1), T.tensor(1.5)])))
    same(lambda T: _meta(T.tensor([T.tensor(1, dtype=T.int32), 2.5])))
    same(lambda T: _meta(T.tensor([T.tensor(1, dtype=T.int32), np.int8(1)])))
    same(lambda T: _meta(T.tensor([T.tensor([1.]), T.tensor([2.])])))
    same(lambda T: _meta(T.tensor([[T.tensor(1.), 2], [3, 4]])))
    same(lambda T: T.tensor([T.tensor([1., 2.])]))
    same(lambda T: T.tensor([T.tensor([1, 2]), T.tensor([3, 4])]))
    same(lambda T: _meta(T.tensor([T.tensor(1.5, requires_grad=True) * 2])))


def test_tensor_from_tensor_copies_and_detaches():
    def f(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor(a)
        c = T.tensor(a, dtype=T.float64, requires_grad=True)
        with T.no_grad():
            a.mul_(3)
        return _meta(a), _meta(b), _meta(c)
    same(f)


def test_tensor_requires_grad():
    same(lambda T: _meta(T.tensor([1.0, 2.0], requires_grad=True)))
    same(lambda T: _meta(T.tensor([1 + 1j], requires_grad=True)))
    same(lambda T: T.tensor([1, 2], requires_grad=True))
    same(lambda T: T.tensor([True], requires_grad=True))
    same(lambda T: T.tensor([1, 2], dtype=T.float32, requires_grad=True).requires_grad)
    same(lambda T: T.tensor(np.array([1, 2]), requires_grad=True))


def test_tensor_keyword_arguments():
    same(lambda T: _meta(T.tensor([1, 2], dtype=T.float64, device="cpu")))
    same(lambda T: _meta(T.tensor([1, 2], device=T.device("cpu"))))
    same(lambda T: T.tensor([1, 2], dtype="float32"))
    same(lambda T: T.tensor([1, 2], device="foo"))
    same(lambda T: T.tensor([1, 2], dtype=np.float32))


def test_tensor_from_jax_array():
    import jax.numpy as jnp
    a = jnp.arange(6.0).reshape(2, 3)
    same(lambda T: _meta(T.tensor(a)) if T is torchlike else _meta(T.tensor(np.asarray(a))))


# ---- from_numpy / as_tensor ------------------------------------------------------

@pytest.mark.parametrize("np_dtype", NP_DTYPES, ids=lambda d: np.dtype(d).name)
def test_from_numpy_keeps_dtype(np_dtype):
    a = np.array([[0, 1, 2], [3, 4, 5]]).astype(np_dtype)
    same(lambda T: _meta(T.from_numpy(a)))


@pytest.mark.parametrize("np_dtype", [np.object_, np.str_, np.longdouble, "datetime64[s]", np.void],
                         ids=lambda d: np.dtype(d).name)
def test_from_numpy_unsupported_dtypes(np_dtype):
    a = np.zeros(2, np_dtype)
    same(lambda T: T.from_numpy(a))
    same(lambda T: T.tensor(a))
    same(lambda T: T.as_tensor(a))


def test_from_numpy_not_an_array():
    same(lambda T: T.from_numpy([1, 2]))
    same(lambda T: T.from_numpy(3))
    same(lambda T: T.from_numpy(T.ones(2)))


STRIDED = {
    "every_other_column": lambda a: a[:, ::2], "transposed": lambda a: a.T, "every_other_row": lambda a: a[::2],
    "fortran": np.asfortranarray, "transposed_sliced": lambda a: a.T[:, 1:],
    "fortran_3d": lambda a: np.asfortranarray(a.reshape(3, 1, 4)), "broadcast": lambda a: np.broadcast_to(a[0], (2, 4)),
    "reversed": lambda a: a[::-1], "column": lambda a: a[:, 1],
}


@pytest.mark.parametrize("name", sorted(STRIDED))
def test_numpy_strides_and_layout(name):
    a = STRIDED[name](np.arange(12.).reshape(3, 4))
    same(lambda T: [_meta(T.tensor(a)), _meta(T.from_numpy(a)), _meta(T.as_tensor(a))])


def test_from_numpy_fortran_array_views_like_torch():
    a = np.asfortranarray(np.arange(6.).reshape(2, 3))
    same(lambda T: T.from_numpy(a).view(-1))
    same(lambda T: _meta(T.from_numpy(a).t()))
    same(lambda T: _meta(T.from_numpy(a).contiguous()))
    same(lambda T: _meta(T.from_numpy(a)[1]))


def test_as_tensor_of_tensor_is_identity_when_nothing_changes():
    def f(T):
        t = T.ones(3)
        return T.as_tensor(t) is t, T.as_tensor(t, dtype=T.float32) is t, T.as_tensor(t, device="cpu") is t, \
            _meta(T.as_tensor(t, dtype=T.int64)), T.asarray(t) is t, T.asarray(t, copy=True) is t
    same(f)


def test_as_tensor_of_python_data():
    same(lambda T: [_meta(T.as_tensor([1, 2])), _meta(T.as_tensor([1., 2.], dtype=T.float64)), _meta(T.as_tensor(3.5)),
                    _meta(T.asarray([1, 2])), _meta(T.asarray([[1.5]], requires_grad=True))])


# ---- zeros / ones / empty / full ---------------------------------------------------

@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_filled_size_forms(name):
    def f(T):
        fn = getattr(T, name)
        out = [fn(2, 3), fn((2, 3)), fn([2, 3]), fn(T.Size([2, 3])), fn(()), fn([]), fn(0), fn(2, 0),
               fn(size=(2, 3)), fn(np.int64(2)), fn(T.tensor(2)), fn(2, 3, dtype=T.int32), fn(2, dtype=T.bool),
               fn(2, requires_grad=True), fn(2, device="cpu"), fn(2, dtype=T.complex64), fn(1, 2, 1, 3)]
        if name == "empty":
            return [(t.dtype, tuple(t.shape), t.requires_grad, repr(t.device)) for t in out]
        return [_meta(t) for t in out]
    same(f)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("args", [(-1,), (2, -3), (2.5,), ("a",), (None,), ((2,), 3), (), (2 ** 62, 2 ** 62)],
                         ids=repr)
def test_filled_size_errors(name, args):
    same(lambda T: getattr(T, name)(*args))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_filled_dtype_errors(name):
    same(lambda T: getattr(T, name)(2, dtype=T.int64, requires_grad=True))
    same(lambda T: getattr(T, name)(2, dtype="float"))
    same(lambda T: getattr(T, name)(2, device="foo"))
    same(lambda T: getattr(T, name)(2, device="cuda"))


FILLS = [1.5, 3, True, 1j, np.float32(1), np.bool_(True), np.int32(2), np.float64(2.5), -0.0, float("inf")]


def test_full_dtype_inference():
    same(lambda T: [_meta(T.full((2,), v)) for v in FILLS])
    same(lambda T: [_meta(T.full([2], v)) for v in FILLS])
    same(lambda T: [_meta(T.full((2,), T.tensor(v))) for v in (1.5, 3, True)])
    same(lambda T: _meta(T.full(size=(2, 2), fill_value=7)))


def test_full_with_dtype_and_errors():
    same(lambda T: [T.full((2,), 2.7, dtype=T.int64), T.full((2,), 2, dtype=T.float16),
                    T.full((2,), True, dtype=T.float32), T.full((1, 2), 1.5, dtype=T.complex64),
                    _meta(T.full((2,), 1.5, requires_grad=True))])
    for bad in [lambda T: T.full(2, 1.0), lambda T: T.full((2,), T.tensor([1.5])), lambda T: T.full((2,), "a"),
                lambda T: T.full((-1,), 1.0), lambda T: T.full((2,), 300, dtype=T.uint8),
                lambda T: T.full((2,), 3, requires_grad=True), lambda T: T.full((2,), None),
                lambda T: T.full((2,), float("nan"), dtype=T.int32)]:
        same(bad)


LIKE_SOURCES = [lambda T: T.ones(2, 3), lambda T: T.ones((), dtype=T.int32), lambda T: T.zeros(2, dtype=T.bool),
                lambda T: T.ones(3, requires_grad=True), lambda T: T.ones(2, 3).t()]


@pytest.mark.parametrize("src", range(len(LIKE_SOURCES)))
def test_like_variants(src):
    def f(T):
        x = LIKE_SOURCES[src](T)
        out = [T.zeros_like(x), T.ones_like(x), T.full_like(x, 7), T.full_like(x, 2.5),
               T.zeros_like(x, dtype=T.float64), T.ones_like(x, dtype=T.float32, requires_grad=True),
               T.full_like(x, 1, device="cpu"), T.empty_like(x).shape]
        return [_meta(t) for t in out[:-1]] + [out[-1]]
    same(f)


def test_like_errors():
    same(lambda T: T.zeros_like(T.ones(2, dtype=T.int64), requires_grad=True))
    same(lambda T: T.full_like(T.ones(2), T.tensor([1.0, 2.0])))
    same(lambda T: T.ones_like([1, 2]))


# ---- arange ------------------------------------------------------------------------

ARANGE = [
    (5,), (1, 5), (0, 1, 0.1), (1, 0, -0.1), (0, 1, 0.3), (0., 3), (0, 10, 3), (10, 0, -3), (-1.5, 2.5, 0.7),
    (0, 0), (2 ** 53, 2 ** 53 + 3), (0, 3, True), (0.5,), (-3,), (1, -2, -1), (0, 1, 1 / 3), (1e-3, 1e-2, 1e-3),
    (-10, 10, 0.1), (0, 100, 0.01), (np.int64(4),), (np.float32(2.5),),
]


@pytest.mark.parametrize("args", ARANGE, ids=repr)
def test_arange_values(args):
    """Exact element count and dtype; float values within float tolerance (PyTorch's vectorised CPU
    kernel rounds some elements differently in the last bit)."""
    same(lambda T: T.arange(*args), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int8", "float16", "bfloat16", "float32", "float64"])
def test_arange_with_dtype(dtype):
    cases = [(0, 5), (1, 2.5), (0, 1, 0.25), (-3, 0), (0, 10, 3), (2.5, -2.5, -0.5)]
    same(lambda T: [T.arange(*c, dtype=getattr(T, dtype)) for c in cases], rtol=1e-6, atol=1e-6)


def test_arange_tensor_bounds_and_keywords():
    same(lambda T: [T.arange(T.tensor(3)), T.arange(T.tensor(3.)), T.arange(T.tensor(1), 4),
                    T.arange(start=1, end=4), T.arange(end=3), T.arange(0, 5, step=2), T.arange(5, dtype=float),
                    _meta(T.arange(3.0, requires_grad=True))])


@pytest.mark.parametrize("args,kw", [
    ((0, 1, 0), {}), ((0, -1), {}), ((5, 1, 1), {}), ((0, 5, 0.5), {"dtype": "int64"}), ((float("nan"),), {}),
    ((float("inf"),), {}), ((0, 1e20, 1), {}), ((0, 3), {"dtype": "bool"}), ((0, 3), {"dtype": "complex64"}),
    ((3,), {"requires_grad": True}), ((3,), {"dtype": "float"}), (("a",), {}), ((None,), {}),
], ids=repr)
def test_arange_errors(args, kw):
    def f(T):
        k = dict(kw)
        if isinstance(k.get("dtype"), str) and hasattr(T, k["dtype"]) and k["dtype"] != "float":
            k["dtype"] = getattr(T, k["dtype"])
        return T.arange(*args, **k)
    same(f)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(start=st.floats(-50, 50), length=st.floats(0, 60), step=st.floats(0.01, 5), neg=st.booleans(),
       dtype=st.sampled_from(["float32", "float64"]))
def test_arange_float_element_count_and_values(start, length, step, neg, dtype):
    end = start + length
    if neg:
        start, end, step = end, start, -step
    same(lambda T: T.arange(start, end, step, dtype=getattr(T, dtype)), rtol=1e-6, atol=1e-6)


# ---- linspace / logspace -------------------------------------------------------------

def _lin_cases():
    rng = np.random.default_rng(0)
    cases = [(0, 2 * math.pi, 25), (0, 1, 10), (-1, 1, 7), (1, 0, 11), (0.1, 0.7, 1000), (3, 3, 5), (0, 1, 2),
             (0, 1, 1), (0, 1, 0), (-5.3, 17.9, 33), (1e-3, 1e3, 257), (0, 1, 100001), (-1e10, 1e10, 17)]
    cases += [(float(rng.uniform(-100, 100)), float(rng.uniform(-100, 100)), int(rng.integers(2, 3000)))
              for _ in range(60)]
    return cases


LIN = _lin_cases()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linspace_bit_exact(dtype):
    for s, e, k in LIN:
        expected = torch.linspace(s, e, k, dtype=getattr(torch, dtype)).numpy()
        actual = to_numpy(torchlike.linspace(s, e, k, dtype=getattr(torchlike, dtype)))
        assert actual.dtype == expected.dtype
        np.testing.assert_array_equal(actual, expected, err_msg=f"linspace({s}, {e}, {k}, dtype={dtype})")


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int16"])
def test_linspace_integer_dtypes_exact(dtype):
    rng = np.random.default_rng(1)
    cases = [(0, 10, 4), (10, 0, 4), (-7, 7, 6), (0, 100, 7), (3, 3, 3), (0, 1, 5), (0.5, 3.7, 5), (-2.5, 3.7, 5)]
    cases += [(int(rng.integers(0, 100)), int(rng.integers(0, 100)), int(rng.integers(2, 60))) for _ in range(40)]
    same(lambda T: [T.linspace(s, e, k, dtype=getattr(T, dtype)) for s, e, k in cases])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_linspace_half_precision_close(dtype):
    """float16/bfloat16: within a few units of the dtype's precision of the range's magnitude (documented:
    not bit-equal, PyTorch rounds its half-precision steps differently; very long half-precision ranges,
    where torch's kernel underflows, are not compared)."""
    eps = 2.0 ** -10 if dtype == "float16" else 2.0 ** -7
    for s, e, k in [c for c in LIN if c[2] <= 3000]:
        same(lambda T: T.linspace(s, e, k, dtype=getattr(T, dtype)), rtol=0, atol=4 * eps * max(abs(s), abs(e), 1))


def test_linspace_forms_and_errors():
    same(lambda T: [_meta(T.linspace(0, 1, steps=3)), _meta(T.linspace(T.tensor(0.), T.tensor(1.), 3)),
                    _meta(T.linspace(0, 1, 3, requires_grad=True)), _meta(T.linspace(0, 1j, 3)),
                    _meta(T.linspace(0, 1, 3, dtype=T.complex64)), _meta(T.linspace(2, 5, 1)),
                    _meta(T.linspace(0, 1, 0)), _meta(T.linspace(0, 1, T.tensor(3))),
                    _meta(T.linspace(1, 2, 4, dtype=T.float64, device="cpu"))])
    for bad in [lambda T: T.linspace(0, 1, 2.5), lambda T: T.linspace(0, 1), lambda T: T.linspace(0, 1, -1),
                lambda T: T.linspace(T.tensor([0.]), 1, 3), lambda T: T.linspace(0, 1, 3, dtype=T.bool),
                lambda T: T.linspace(0, 1, 3, dtype=T.int64, requires_grad=True)]:
        same(bad)


def test_linspace_default_dtype_float64():
    def f(T):
        T.set_default_dtype(T.float64)
        return T.linspace(0, 1, 7), T.linspace(0, 1j, 3)
    same(f, rtol=0, atol=0)


def _log_cases():
    rng = np.random.default_rng(2)
    cases = [(0, 1, 5, 10.0), (-2, 2, 9, 10.0), (0, 10, 11, 2.0), (1, 3, 7, math.e), (0.5, -1.5, 13, 3.0),
             (0, 1, 1, 10.0), (0, 1, 0, 10.0)]
    cases += [(float(rng.uniform(-5, 5)), float(rng.uniform(-5, 5)), int(rng.integers(2, 200)),
               float(rng.choice([2.0, 10.0, math.e, 1.5, 7.0]))) for _ in range(40)]
    return cases


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logspace_bit_exact(dtype):
    for s, e, k, b in _log_cases():
        expected = torch.logspace(s, e, k, base=b, dtype=getattr(torch, dtype)).numpy()
        actual = to_numpy(torchlike.logspace(s, e, k, base=b, dtype=getattr(torchlike, dtype)))
        np.testing.assert_array_equal(actual, expected, err_msg=f"logspace({s}, {e}, {k}, base={b})")


def test_logspace_other_dtypes_and_errors():
    same(lambda T: [T.logspace(0, 2.5, 4, dtype=T.int64), T.logspace(0, 2.5, 4, base=2, dtype=T.int32),
                    T.logspace(0, 2.5, 4, dtype=T.uint8), T.logspace(0, 2.5, 4, dtype=T.complex64),
                    T.logspace(0, 2.5, 4, dtype=T.float16), T.logspace(0, 1j, 3), T.logspace(0, 1, 3, 2),
                    _meta(T.logspace(0, 1, 3, requires_grad=True))], rtol=1e-3)
    for bad in [lambda T: T.logspace(0, 1, -1), lambda T: T.logspace(0, 1, 3, dtype=T.bool),
                lambda T: T.logspace(0, 1, 2.5)]:
        same(bad)


# ---- eye -------------------------------------------------------------------------------

def test_eye():
    same(lambda T: [_meta(T.eye(3)), _meta(T.eye(2, 3)), _meta(T.eye(3, 2)), _meta(T.eye(0)), _meta(T.eye(1, 0)),
                    _meta(T.eye(3, dtype=T.int64)), _meta(T.eye(2, dtype=T.bool)), _meta(T.eye(2, m=3)),
                    _meta(T.eye(n=2)), _meta(T.eye(2, requires_grad=True)), _meta(T.eye(2, device="cpu"))])
    for bad in [lambda T: T.eye(-1), lambda T: T.eye(2, -1), lambda T: T.eye(2.5), lambda T: T.eye(2, 1.5),
                lambda T: T.eye(2, dtype=T.int32, requires_grad=True)]:
        same(bad)


# ---- out= ------------------------------------------------------------------------------

def test_creation_out_argument():
    def f(T):
        o1, o2, o3, o4 = T.empty(0), T.empty(5, dtype=T.float64), T.empty(0, dtype=T.int32), T.empty(2, 2)
        r = [T.arange(4, out=o1), T.linspace(0, 1, 5, out=o2), T.zeros(3, out=o3), T.eye(2, out=o4)]
        return [(x is o, x) for x, o in zip(r, (o1, o2, o3, o4))]
    same(f)


@pytest.mark.parametrize("call", ["empty(10**13)", "randn(10**12)", "rand(10**12)", "zeros(10**12)",
                                  "ones(10**11, 10**2)", "full((10**12,), 1.)", "arange(10**13)",
                                  "empty(2**63)", "empty(2**62, 4)", "randint(5, (10**12,))"])
def test_impossible_allocations_fail_at_the_call(call):
    """An allocation no machine memory can hold raises at the call with PyTorch's exception type
    (never a tensor that fails at its first read, nor a JAX or numpy error)."""
    same(lambda T: eval(f"T.{call}"))
