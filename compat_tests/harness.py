"""Differential-testing harness: run the same code under PyTorch and torchlike.

``same(fn)`` calls ``fn(T)`` once with ``T = torch`` and once with
``T = torchlike`` and asserts that the two results agree: structure, and for
each tensor its shape, dtype, values (within tolerance), ``requires_grad``,
``is_leaf`` and grad_fn name.  If PyTorch raises, torchlike must raise the same
exception type.  Inputs that need randomness should come from ``data()``
(numpy, seeded), never from the libraries' own generators.
"""
from __future__ import annotations

import contextlib
import io
import math
import warnings

import numpy as np
import torch

import torchlike

LIBS = (torch, torchlike)


class Raised:
    def __init__(self, exc):
        self.exc = exc

    def __repr__(self):
        return f"Raised({type(self.exc).__name__}: {self.exc})"


def run(fn, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(lib)
        except Exception as exc:  # noqa: BLE001 - compared below
            return Raised(exc)


def capture_stdout(fn, lib):
    """What ``fn(lib)`` prints (and the exception type name if it raises)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        r = run(fn, lib)
    if isinstance(r, Raised):
        buf.write(f"<raised {type(r.exc).__name__}>")
    return buf.getvalue()


def is_tensor(x):
    return isinstance(x, (torch.Tensor, torchlike.Tensor))


def to_numpy(t):
    if isinstance(t, torch.Tensor):
        t = t.detach().resolve_conj()
        if t.dtype == torch.bfloat16:
            return t.float().numpy()
        return t.numpy()
    a = np.asarray(t.detach()._arr())
    if a.dtype.name == "bfloat16":
        a = a.astype(np.float32)
    return a


def grad_fn_name(t):
    fn = t.grad_fn
    return None if fn is None else type(fn).__name__


def assert_same(expected, actual, *, rtol=1.3e-6, atol=1e-5, path="result", check_grad_fn=True,
                check_values=True):
    """Recursive comparison of a PyTorch result with a torchlike result."""
    if isinstance(expected, Raised):
        assert isinstance(actual, Raised), f"{path}: PyTorch raised {expected!r}, torchlike returned {actual!r}"
        assert type(actual.exc).__name__ == type(expected.exc).__name__ or isinstance(
            actual.exc, type(expected.exc)), f"{path}: PyTorch raised {expected!r}, torchlike raised {actual!r}"
        return
    if isinstance(actual, Raised):
        raise AssertionError(f"{path}: torchlike raised {actual!r}; PyTorch returned {expected!r}") from actual.exc
    if is_tensor(expected):
        assert is_tensor(actual), f"{path}: expected a tensor, got {type(actual).__name__}"
        assert tuple(expected.shape) == tuple(actual.shape), f"{path}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
        assert str(expected.dtype) == str(actual.dtype), f"{path}: dtype {actual.dtype} != {expected.dtype}"
        assert expected.requires_grad == actual.requires_grad, f"{path}: requires_grad {actual.requires_grad} != {expected.requires_grad}"
        if check_grad_fn:
            assert grad_fn_name(expected) == grad_fn_name(actual), \
                f"{path}: grad_fn {grad_fn_name(actual)} != {grad_fn_name(expected)}"
        if check_values:
            e, a = to_numpy(expected), to_numpy(actual)
            if e.dtype.kind in "fc":
                np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=path)
            else:
                np.testing.assert_array_equal(a, e, err_msg=path)
        return
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)), f"{path}: expected a sequence, got {type(actual).__name__}"
        assert len(expected) == len(actual), f"{path}: length {len(actual)} != {len(expected)}"
        if hasattr(expected, "_fields"):
            assert getattr(actual, "_fields", None) == expected._fields, f"{path}: fields differ"
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_same(e, a, rtol=rtol, atol=atol, path=f"{path}[{i}]", check_grad_fn=check_grad_fn,
                        check_values=check_values)
        return
    if isinstance(expected, dict):
        assert set(expected) == set(actual), f"{path}: keys differ"
        for k in expected:
            assert_same(expected[k], actual[k], rtol=rtol, atol=atol, path=f"{path}[{k!r}]",
                        check_grad_fn=check_grad_fn, check_values=check_values)
        return
    if isinstance(expected, (torch.dtype, torchlike.dtype)):
        assert str(expected) == str(actual), f"{path}: {actual} != {expected}"
        return
    if isinstance(expected, torch.Size):
        assert tuple(expected) == tuple(actual) and repr(expected) == repr(actual), f"{path}: {actual!r} != {expected!r}"
        return
    if isinstance(expected, float) and isinstance(actual, float):
        if math.isnan(expected):
            assert math.isnan(actual), f"{path}: {actual} != nan"
        else:
            assert actual == expected or abs(actual - expected) <= atol + rtol * abs(expected), \
                f"{path}: {actual} != {expected}"
        return
    assert type(expected).__name__ == type(actual).__name__ or (
        isinstance(expected, (int, float, bool)) and isinstance(actual, (int, float, bool))), \
        f"{path}: type {type(actual).__name__} != {type(expected).__name__}"
    assert expected == actual, f"{path}: {actual!r} != {expected!r}"


def same(fn, **kw):
    """Run ``fn(T)`` with PyTorch and torchlike and assert the results agree."""
    expected = run(fn, torch)
    actual = run(fn, torchlike)
    assert_same(expected, actual, **kw)
    return expected, actual


def same_message(fn):
    """``fn(T)`` raises under both libraries, with the same exception text."""
    msgs = []
    for lib in LIBS:
        try:
            fn(lib)
        except Exception as exc:  # noqa: BLE001 - compared below
            msgs.append(str(exc))
        else:
            raise AssertionError(f"{lib.__name__} raised nothing")
    assert msgs[0] == msgs[1], msgs


def same_output(fn):
    """Run ``fn(T)`` with both libraries and assert they print exactly the same text."""
    e = capture_stdout(fn, torch)
    a = capture_stdout(fn, torchlike)
    assert a == e, f"printed text differs:\n--- PyTorch\n{e}\n--- torchlike\n{a}"
    return e


def outcomes(calls):
    """Each call's result, or the name of the exception it raised: errors compared by type alongside values
    (``same`` compares the lists)."""
    out = []
    for call in calls:
        try:
            out.append(call())
        except Exception as e:      # noqa: BLE001 - compared by type
            out.append(type(e).__name__)
    return out


def data(*shape, seed=0, dtype=np.float32, low=-2.0, high=2.0):
    """Deterministic numpy input data."""
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(int(low), int(high) + 1, size=shape).astype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    return rng.uniform(low, high, size=shape).astype(dtype)


def same_results(a, b, path=""):
    """Structure, dtypes and values (float32 tolerance) of two result trees (results pickled by
    the processes of a distributed run)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), path
        assert (a.dtype, a.shape) == (b.dtype, b.shape), path
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=path)
    elif isinstance(a, dict):
        assert sorted(a) == sorted(b), path
        for k in a:
            same_results(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            same_results(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"
