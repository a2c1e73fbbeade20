"""``assert_close(actual, expected)``: tensors (and numpy arrays) compare attribute by attribute (shape,
device, dtype, optionally strides) and then value by value with ``|a - e| <= atol + rtol * |e|``;
Python numbers, bools and None compare as scalars; sequences and mappings element by element, the
failing item named in the message.  Failures are ``AssertionError``; inputs no rule handles are a
``TypeError``; messages are PyTorch's."""
from __future__ import annotations

import collections.abc
import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
import torchlike as torch     # the public face, read when called (not an import cycle)

# (rtol, atol) by dtype when neither is given; other dtypes compare exactly
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex32": (1e-3, 1e-5), "complex64": (1.3e-6, 1e-5),
               "complex128": (1e-7, 1e-7)}


class _Mismatch(Exception):
    def __init__(self, exc_type, message):
        super().__init__(message)
        self.exc_type = exc_type
        self.message = message


def _default_tolerances(*dtypes):
    rtols, atols = zip(*(_TOLERANCES.get(d.name, (0.0, 0.0)) for d in dtypes))
    return max(rtols), max(atols)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Assert that ``actual`` and ``expected`` are close (see the module docstring)."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype, check_stride=check_stride)
    try:
        _compare(actual, expected, (), options)
    except _Mismatch as m:
        text = m.message
        if msg is not None:
            text = msg(text) if callable(msg) else msg
        raise m.exc_type(text) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated: ``assert_close`` with dtype promotion and ``equal_nan=True``."""
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future "
                  "release. Please use `torch.testing.assert_close()` instead.", FutureWarning, stacklevel=2)
    T = Tensor
    actual = actual if isinstance(actual, T) else torch.as_tensor(actual)
    expected = expected if isinstance(expected, T) else torch.as_tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _default_tolerances(actual.dtype, expected.dtype)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True,
                 check_dtype=False, check_stride=False, msg=msg or None)


def _is_tensor_like(x):
    return isinstance(x, (Tensor, np.ndarray))


def _compare(actual, expected, path, options):
    try:
        _compare_pair(actual, expected, path, options)
    except _Mismatch as m:
        if path and "\n\nThe failure occurred for item" not in m.message:
            where = "".join(f"[{p!r}]" for p in path)
            raise _Mismatch(m.exc_type, f"{m.message}\n\nThe failure occurred for item {where}") from None
        raise


def _no_pair(actual, expected):
    return _Mismatch(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                                f"{type(expected)}.")


def _compare_pair(actual, expected, path, options):
    if actual is None or expected is None:
        if actual is not expected:
            raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}")
        return
    if isinstance(actual, (bool, np.bool_)) and isinstance(expected, (bool, np.bool_)):
        if bool(actual) != bool(expected):
            raise _Mismatch(AssertionError, f"Booleans mismatch: {actual} is not {expected}")
        return
    numbers = (int, float, complex, np.number)
    if isinstance(actual, numbers) and isinstance(expected, numbers) and not isinstance(actual, bool) \
            and not isinstance(expected, bool):
        if type(actual) is not type(expected):
            raise _Mismatch(AssertionError, f"The (d)types do not match: {type(actual)} != {type(expected)}.")
        dt = {int: D.int64, float: D.float64, complex: D.complex128}.get(type(actual)) or \
            D.from_numpy_dtype(np.asarray(actual).dtype)
        _compare_values(np.asarray(actual, dt.np), np.asarray(expected, dt.np), dt, options, scalar=True)
        return
    if _is_tensor_like(actual) and _is_tensor_like(expected):
        _compare_tensors(actual, expected, options)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        if set(actual) != set(expected):
            missing = sorted(set(expected) - set(actual), key=repr)
            extra = sorted(set(actual) - set(expected), key=repr)
            raise _Mismatch(AssertionError, "The keys of the mappings do not match:\n"
                                            f"Missing keys in the actual mapping: {missing}\n"
                                            f"Additional keys in the actual mapping: {extra}")
        for k in expected:
            _compare(actual[k], expected[k], path + (k,), options)
        return
    sequence = collections.abc.Sequence
    if isinstance(actual, sequence) and isinstance(expected, sequence) \
            and not isinstance(actual, (str, bytes)) and not isinstance(expected, (str, bytes)):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + (i,), options)
        return
    raise _no_pair(actual, expected)


def _as_parts(x):
    """(numpy values, dtype, device text, strides, is numpy)."""
    if isinstance(x, np.ndarray):
        dt = D.from_numpy_dtype(x.dtype)
        return x, dt, "cpu", tuple(s // x.itemsize for s in x.strides), tuple(x.shape)
    t = x.detach()
    return (np.asarray(t.resolve_conj()._arr()), t.dtype, str(t.device), t.stride(), tuple(t.shape))


def _compare_tensors(actual, expected, options):
    T = Tensor
    if isinstance(actual, T) != isinstance(expected, T):
        raise _no_pair(actual, expected)
    if isinstance(actual, T) and not options["allow_subclasses"] and type(actual) is not type(expected):
        raise _no_pair(actual, expected)
    a, a_dt, a_dev, a_strides, a_shape = _as_parts(actual)
    e, e_dt, e_dev, e_strides, e_shape = _as_parts(expected)
    size = "torch.Size"
    if a_shape != e_shape:
        raise _Mismatch(AssertionError, f"The values for attribute 'shape' do not match: {size}({list(a_shape)}) "
                                        f"!= {size}({list(e_shape)}).")
    if options["check_device"] and a_dev != e_dev:
        raise _Mismatch(AssertionError, f"The values for attribute 'device' do not match: {a_dev} != {e_dev}.")
    if options["check_dtype"] and a_dt is not e_dt:
        raise _Mismatch(AssertionError, f"The values for attribute 'dtype' do not match: {a_dt} != {e_dt}.")
    if options["check_stride"] and a_strides != e_strides:
        raise _Mismatch(AssertionError, f"The values for attribute 'stride()' do not match: {a_strides} != "
                                        f"{e_strides}.")
    dt = a_dt
    if a_dt is not e_dt:
        dt = D.promote_types(a_dt, e_dt)
        a, e = a.astype(dt.np), e.astype(dt.np)
    _compare_values(a, e, dt, options, scalar=a.ndim == 0, tolerance_dtypes=(a_dt, e_dt))


def _compare_values(a, e, dt, options, scalar, tolerance_dtypes=None):
    rtol, atol = options["rtol"], options["atol"]
    if rtol is None:
        rtol, atol = _default_tolerances(*(tolerance_dtypes or (dt,)))
    exact = dt.category < D.FLOAT
    original = a, e
    if exact:           # differences of integers and bools in int64, the relative ones in float32
        a, e = a.astype(np.int64), e.astype(np.int64)
        abs_diff = np.abs(a - e)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel_diff = abs_diff.astype(np.float32) / np.abs(e).astype(np.float32)
        close = a == e
    else:
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            abs_diff = np.abs(a - e)
            rel_diff = abs_diff / np.abs(e)
            finite = np.isfinite(a) & np.isfinite(e)
            close = np.where(finite, abs_diff <= atol + rtol * np.abs(e), a == e)
        if options["equal_nan"]:
            close = close | (np.isnan(a) & np.isnan(e))
    if close.all():
        return
    word = "equal" if exact else "close"
    tol_abs = "" if exact else f" (up to {atol} allowed)"
    tol_rel = "" if exact else f" (up to {rtol} allowed)"
    if scalar:
        got, want = _item(original[0]), _item(original[1])     # the differences as Python numbers
        diff = abs(got - want)
        rel = diff / abs(want) if want != 0 else float("inf") if diff else float("nan")
        raise _Mismatch(AssertionError, f"Scalars are not {word}!\n\nExpected {want} but got {got}.\n"
                                        f"Absolute difference: {diff}{tol_abs}\n"
                                        f"Relative difference: {rel}{tol_rel}")
    n_bad, n = int((~close).sum()), close.size
    i_abs, i_rel = _argmax(abs_diff), _argmax(rel_diff)
    raise _Mismatch(AssertionError,
                    f"Tensor-likes are not {word}!\n\nMismatched elements: {n_bad} / {n} ({100 * n_bad / n:.1f}%)\n"
                    f"Greatest absolute difference: {_item(abs_diff[i_abs])} at index {i_abs}{tol_abs}\n"
                    f"Greatest relative difference: {_item(rel_diff[i_rel])} at index {i_rel}{tol_rel}")


def _item(x):
    x = np.asarray(x)
    if x.dtype.kind == "b":
        return bool(x)
    if x.dtype.kind in "iu":
        return int(x)
    if x.dtype.kind == "c":
        return complex(x)
    return float(x.astype(np.float64)) if x.dtype.itemsize < 4 or x.dtype.name == "bfloat16" else float(x)


def _argmax(x):
    """The index of the largest element, NaN counting as the largest (as torch.argmax does)."""
    flat = x.reshape(-1).astype(np.float64) if x.dtype.name == "bfloat16" else x.reshape(-1)
    nan = np.isnan(flat) if flat.dtype.kind == "f" else np.zeros(flat.shape, bool)
    i = int(np.argmax(nan)) if nan.any() else int(np.argmax(flat))
    return tuple(int(k) for k in np.unravel_index(i, x.shape))
