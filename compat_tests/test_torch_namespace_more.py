"""The rest of the torch namespace and of the Tensor methods (issue 12): factories (``range``, ``tril_indices``,
windows, ``frombuffer``, ``from_file``), ``gcd``/``lcm``, the torch-namespace spellings of nn ops, the low-level
RNN ops, predicates and legacy Tensor methods; each compared with PyTorch."""
from __future__ import annotations

import array
import warnings

import numpy as np
import pytest
import torch

import torchlike
from harness import data, same, same_message


# ---- gcd / lcm ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm(name):
    a, b = data(4, 3, dtype=np.int64, low=-30, high=30), data(3, dtype=np.int64, low=-12, high=12, seed=1)

    def f(T):
        x, y = T.tensor(a), T.tensor(b)
        fn = getattr(T, name)
        z = x.clone()
        r = getattr(z, name + "_")(y)
        w = x.clone()
        getattr(T, name + "_")(w, y)
        return [fn(x, y), getattr(x, name)(y), r is z, z, w, fn(x.int(), y.short()), fn(x.to(T.uint8), y.abs()),
                fn(T.tensor([0, 0, 7]), T.tensor([0, 5, 0])), fn(x, y, out=T.empty(0, dtype=T.int64))]
    same(f)


@pytest.mark.parametrize("case", ["float", "bool", "scalar", "inplace_widen", "complex"])
@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm_errors(name, case):
    def f(T):
        x = T.tensor([4, 6])
        fn = getattr(T, name)
        return {"float": lambda: fn(x.float(), x), "bool": lambda: fn(x.bool(), x.bool()),
                "scalar": lambda: fn(x, 3), "inplace_widen": lambda: getattr(x.int(), name + "_")(x),
                "complex": lambda: fn(x.cfloat(), x)}[case]()
    same(f)
    if case != "inplace_widen":
        same_message(f)


# ---- factories --------------------------------------------------------------------------------------

def test_range():
    def f(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = [T.range(1, 4), T.range(0, 1, 0.3), T.range(1, 4, dtype=T.int32), T.range(-1.5, 2),
                 T.range(5, 1, -2), T.range(0, 2, dtype=T.float64, requires_grad=True),
                 T.range(1, 4, out=T.empty(2))]
        return r + [len(w), str(w[0].message), w[0].category.__name__]
    same(f)


@pytest.mark.parametrize("case", ["one_arg", "zero_step", "sign", "bool"])
def test_range_errors(case):
    def f(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {"one_arg": lambda: T.range(5), "zero_step": lambda: T.range(1, 4, 0),
                    "sign": lambda: T.range(4, 1), "bool": lambda: T.range(0, 1, dtype=T.bool)}[case]()
    same(f)
    if case != "bool":
        same_message(f)


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_tri_indices(name):
    def f(T):
        fn = getattr(T, name)
        return [fn(r, c, o) for r, c, o in ((3, 4, 1), (4, 3, -1), (3, 3, 0), (0, 3, 0), (5, 2, -7), (2, 5, 9),
                                            (1, 1, 0))] + [fn(3, 3, dtype=T.int32), fn(row=2, col=3, offset=1)]
    same(f)


@pytest.mark.parametrize("case", ["neg_row", "neg_col", "float"])
def test_tri_indices_errors(case):
    def f(T):
        return {"neg_row": lambda: T.tril_indices(-1, 3), "neg_col": lambda: T.triu_indices(3, -2),
                "float": lambda: T.tril_indices(3, 3, dtype=T.float32)}[case]()
    same(f)
    same_message(f)


WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
def test_windows(name):
    def f(T):
        fn = getattr(T, name)
        return [fn(n, periodic) for n in (0, 1, 2, 5, 8) for periodic in (True, False)] + [
            fn(6), fn(7, dtype=T.float64), fn(4, requires_grad=True)]
    same(f, atol=1e-6)
    # PyTorch computes a float16 window in float16 (0.4998 for 0.5); ours is float64 rounded once
    same(lambda T: getattr(T, name)(5, periodic=False, dtype=T.float16), atol=1e-3)


def test_window_parameters():
    same(lambda T: [T.hamming_window(6, True, 0.5, 0.4), T.hamming_window(6, False, alpha=0.6, beta=0.3),
                    T.kaiser_window(7, True, 5.0), T.kaiser_window(7, False, beta=0.5),
                    T.kaiser_window(9, dtype=T.float64)], atol=1e-6)


@pytest.mark.parametrize("case", ["negative", "int_dtype", "bool_dtype"])
@pytest.mark.parametrize("name", ["hann_window", "kaiser_window"])
def test_window_errors(name, case):
    def f(T):
        fn = getattr(T, name)
        return {"negative": lambda: fn(-1), "int_dtype": lambda: fn(4, dtype=T.int64),
                "bool_dtype": lambda: fn(4, dtype=T.bool)}[case]()
    same(f)
    same_message(f)


def test_frombuffer():
    def f(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            ro = T.frombuffer(b"abc", dtype=T.uint8)
        return [T.frombuffer(bytearray(b"\x01\x00\x00\x00\x02\x00\x00\x00"), dtype=T.int32),
                T.frombuffer(array.array("f", [1, 2, 3]), dtype=T.float32, count=2, offset=4),
                T.frombuffer(memoryview(np.arange(6, dtype=np.float64)), dtype=T.float64, offset=8),
                T.frombuffer(bytearray(8), dtype=T.float32, requires_grad=True),
                ro, len(w), w[0].category.__name__]
    same(f)


@pytest.mark.parametrize("case", ["multiple", "empty", "offset", "count", "not_buffer", "count_zero"])
def test_frombuffer_errors(case):
    def f(T):
        return {"multiple": lambda: T.frombuffer(bytearray(b"abc"), dtype=T.int32),
                "empty": lambda: T.frombuffer(bytearray(b""), dtype=T.int32),
                "offset": lambda: T.frombuffer(bytearray(8), dtype=T.float32, offset=9),
                "count": lambda: T.frombuffer(bytearray(8), dtype=T.float32, count=5),
                "not_buffer": lambda: T.frombuffer([1, 2], dtype=T.float32),
                "count_zero": lambda: T.frombuffer(bytearray(8), dtype=T.float32, count=0)}[case]()
    same(f)
    same_message(f)


def test_from_file(tmp_path):
    fn = tmp_path / "raw.bin"
    fn.write_bytes(np.arange(8, dtype=np.float32).tobytes())

    def f(T):
        return [T.from_file(str(fn), size=4), T.from_file(str(fn), False, 8, dtype=T.float32),
                T.from_file(str(fn), size=32, dtype=T.uint8), T.from_file(str(fn)), T.from_file(str(fn), size=3,
                                                                                                 dtype=T.float64)]
    same(f)


@pytest.mark.parametrize("case", ["too_small", "missing"])
def test_from_file_errors(tmp_path, case):
    fn = tmp_path / "raw.bin"
    fn.write_bytes(bytes(16))

    def f(T):
        return {"too_small": lambda: T.from_file(str(fn), size=5, dtype=T.int32),
                "missing": lambda: T.from_file(str(tmp_path / "nope.bin"), size=2)}[case]()
    same(f)
    same_message(f)
