"""Reductions, scans, sorting and ``unique`` against PyTorch: values, dtypes, grad_fn names, gradients.

Same table-driven design as ``test_ops.py`` (whose ``check`` runs a case in both libraries
and differentiates ``sum(out * cotangent)`` w.r.t. every float input).
"""
from __future__ import annotations

import numpy as np
import pytest

from harness import data, same, same_output
from test_ops import _as_dtype, check, ids

X = data(3, 4, seed=1)
X3 = data(2, 3, 4, seed=2)
POS = data(3, 4, seed=3, low=0.5, high=1.5)
XI = data(3, 4, seed=4, dtype=np.int64, low=-5, high=5)
TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0], [0.5, 0.5, 0.5, 0.5]], dtype=np.float32)
WITH_NAN = np.array([[1.0, np.nan, 3.0, 0.0], [2.0, 5.0, -1.0, 4.0], [0.5, 0.25, np.nan, 0.75]], dtype=np.float32)

# ---- sum / mean / prod ---------------------------------------------------------------
SUM_MEAN = [
    ("all", lambda T, f, a: f(a)),
    ("dim0", lambda T, f, a: f(a, 0)),
    ("dim_neg", lambda T, f, a: f(a, -1)),
    ("keepdim", lambda T, f, a: f(a, 1, keepdim=True)),
    ("keepdim_kw", lambda T, f, a: f(a, dim=-2, keepdim=True)),
    ("dims", lambda T, f, a: f(a, (0, 2))),
    ("dims_list_neg", lambda T, f, a: f(a, [-1, 0], True)),
    ("all_dims", lambda T, f, a: f(a, (0, 1, 2))),
    ("empty_dims", lambda T, f, a: f(a, ())),
    ("empty_dims_keepdim", lambda T, f, a: f(a, [], keepdim=True)),
    ("dtype64", lambda T, f, a: f(a, dtype=T.float64)),
    ("dim_dtype", lambda T, f, a: f(a, 1, dtype=T.float64)),
    ("dim_out_of_range", lambda T, f, a: f(a, 3)),
    ("dup_dims", lambda T, f, a: f(a, (0, -3))),
]


@pytest.mark.parametrize("fname", ["sum", "mean", "nansum", "nanmean"])
@pytest.mark.parametrize("name,fn", SUM_MEAN, ids=ids(SUM_MEAN))
def test_sum_mean(name, fn, fname):
    check(lambda T, a: fn(T, getattr(T, fname), a), [X3])
    check(lambda T, a: fn(T, lambda *s, **k: getattr(s[0], fname)(*s[1:], **k), a), [X3])


@pytest.mark.parametrize("fname", ["sum", "mean", "nansum", "nanmean"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16", "float64", "complex64"])
def test_sum_mean_dtypes(fname, dtype):
    x = _as_dtype(X, dtype)
    tol = dict(rtol=2e-3, atol=2e-3) if dtype == "float16" else {}
    for fn in (lambda T: getattr(T, fname)(T.tensor(x)), lambda T: getattr(T, fname)(T.tensor(x), 1),
               lambda T: getattr(T, fname)(T.tensor(x), 0, dtype=T.float64),
               lambda T: getattr(T, fname)(T.tensor(x), dtype=T.int32)):
        same(fn, **tol)


def test_sum_mean_0dim_and_empty():
    for fname in ("sum", "mean", "prod"):
        check(lambda T, a: getattr(T, fname)(a), [np.asarray(X[0, 0])])
        check(lambda T, a: getattr(T, fname)(a, 0), [np.asarray(X[0, 0])])
        check(lambda T, a: getattr(T, fname)(a, -1, keepdim=True), [np.asarray(X[0, 0])])
        same(lambda T: getattr(T, fname)(T.zeros(0, 3)))
        same(lambda T: getattr(T, fname)(T.zeros(0, 3), 0))
        same(lambda T: getattr(T, fname)(T.zeros(0, 3), 1))


PROD = [
    ("all", lambda T, a: T.prod(a)), ("dim", lambda T, a: a.prod(1)), ("dim_neg_keepdim", lambda T, a: a.prod(-1, True)),
    ("dtype", lambda T, a: a.prod(dtype=T.float64)), ("dim_dtype", lambda T, a: T.prod(a, 0, dtype=T.float64)),
    ("with_zero", lambda T, a: (a * (a > 0.7)).prod(1)), ("with_zero_all", lambda T, a: (a * (a > 0.7)).prod()),
    ("dim_tuple_error", lambda T, a: a.prod((0, 1))),
]


@pytest.mark.parametrize("name,fn", PROD, ids=ids(PROD))
def test_prod(name, fn):
    check(fn, [POS])


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16", "float64", "complex64"])
def test_prod_dtypes(dtype):
    x = _as_dtype(X, dtype)
    same(lambda T: T.prod(T.tensor(x)), rtol=2e-3)
    same(lambda T: T.tensor(x).prod(0), rtol=2e-3)


# ---- max / min -----------------------------------------------------------------------
MAX_MIN = [
    ("all", lambda T, f, a: f(a)),
    ("dim", lambda T, f, a: f(a, 1)),
    ("dim_neg_keepdim", lambda T, f, a: f(a, -1, keepdim=True)),
    ("dim_kw", lambda T, f, a: f(a, dim=0)),
    ("fields", lambda T, f, a: (lambda r: (r.values, r.indices, r[0], r[1], type(r).__name__))(f(a, 1))),
    ("unpack", lambda T, f, a: tuple(f(a, 0))),
    ("binary", lambda T, f, a: f(a, a.flip(0))),
    ("binary_broadcast", lambda T, f, a: f(a, a[0])),
    ("dim_out_of_range", lambda T, f, a: f(a, 2)),
    ("dim_tuple", lambda T, f, a: f(a, (0, 1))),
]


@pytest.mark.parametrize("fname", ["max", "min"])
@pytest.mark.parametrize("name,fn", MAX_MIN, ids=ids(MAX_MIN))
def test_max_min(name, fn, fname):
    check(lambda T, a: fn(T, getattr(T, fname), a), [X])
    check(lambda T, a: fn(T, lambda *s, **k: getattr(s[0], fname)(*s[1:], **k), a), [X])


@pytest.mark.parametrize("fname", ["max", "min"])
def test_max_min_ties_nan_and_dtypes(fname):
    check(lambda T, a: getattr(T, fname)(a, 1), [TIES])          # first index among ties; gradient split
    check(lambda T, a: getattr(T, fname)(a), [TIES])             # full reduction: gradient split among ties
    check(lambda T, a: getattr(T, fname)(a, 1), [WITH_NAN])
    check(lambda T, a: getattr(T, fname)(a), [WITH_NAN])
    for dtype in ["int64", "uint8", "bool", "float16", "float64"]:
        x = _as_dtype(X, dtype)
        same(lambda T: getattr(T, fname)(T.tensor(x)))
        same(lambda T: getattr(T, fname)(T.tensor(x), 0))
    same(lambda T: getattr(T, fname)(T.tensor(X.astype(np.complex64))))
    same(lambda T: getattr(T, fname)(T.zeros(0, 3)))
    same(lambda T: getattr(T, fname)(T.zeros(0, 3), 1))
    same(lambda T: getattr(T, fname)(T.zeros(0, 3), 0))
    check(lambda T, a: getattr(T, fname)(a, 0), [np.asarray(X[0, 0])])


@pytest.mark.parametrize("fname", ["max", "min", "sort", "topk", "kthvalue", "cummax", "cummin", "aminmax"])
def test_return_type_repr(fname):
    args = {"max": (1,), "min": (0,), "sort": (), "topk": (2,), "kthvalue": (2,), "cummax": (0,), "cummin": (1,),
            "aminmax": ()}[fname]
    same_output(lambda T: print(getattr(T, fname)(T.tensor(X), *args)))
    same_output(lambda T: print(getattr(T.tensor(X, requires_grad=True), fname)(*args)))
    same_output(lambda T: print(repr(type(getattr(T, fname)(T.tensor(X), *args)).__module__),
                                type(getattr(T, fname)(T.tensor(X), *args)).__name__))


AMAX = [
    ("amax", lambda T, a: T.amax(a)), ("amax_dim", lambda T, a: a.amax(1)), ("amax_dims", lambda T, a: a.amax((0, 1))),
    ("amax_keepdim", lambda T, a: T.amax(a, -1, keepdim=True)), ("amin", lambda T, a: T.amin(a)),
    ("amin_dim", lambda T, a: a.amin(0)), ("amin_empty_dims", lambda T, a: a.amin(())),
    ("aminmax", lambda T, a: T.aminmax(a)), ("aminmax_dim", lambda T, a: T.aminmax(a, dim=1, keepdim=True)),
    ("argmax", lambda T, a: T.argmax(a)), ("argmax_dim", lambda T, a: a.argmax(1)),
    ("argmax_keepdim", lambda T, a: a.argmax(-1, keepdim=True)), ("argmax_keepdim_nodim", lambda T, a: a.argmax(keepdim=True)),
    ("argmin", lambda T, a: a.argmin()), ("argmin_dim", lambda T, a: T.argmin(a, 0)),
    ("argmin_keepdim", lambda T, a: T.argmin(a, dim=0, keepdim=True)),
]


@pytest.mark.parametrize("name,fn", AMAX, ids=ids(AMAX))
def test_amax_argmax(name, fn):
    check(fn, [X])
    check(fn, [TIES])                  # amax/amin spread the gradient evenly over ties; argmax takes the first
    same(lambda T: fn(T, T.tensor(XI)))
    same(lambda T: fn(T, T.tensor(X > 0)))


def test_argmax_nan_and_empty():
    same(lambda T: T.argmax(T.tensor(WITH_NAN), 1))
    same(lambda T: T.argmin(T.tensor(WITH_NAN)))
    same(lambda T: T.argmax(T.zeros(0, 3)))
    same(lambda T: T.argmax(T.zeros(0, 3), 1))
    same(lambda T: T.amax(T.zeros(0, 3), 0))


# ---- variance family, norms, logsumexp --------------------------------------------------
VAR_STD = [
    ("all", lambda T, f, a: f(a)),
    ("unbiased_false_positional", lambda T, f, a: f(a, False)),
    ("unbiased_true_positional", lambda T, f, a: f(a, True)),
    ("dim", lambda T, f, a: f(a, 1)),
    ("dim_unbiased", lambda T, f, a: f(a, 0, False)),
    ("dim_unbiased_keepdim", lambda T, f, a: f(a, -1, True, True)),
    ("dims", lambda T, f, a: f(a, (0, 1))),
    ("correction0", lambda T, f, a: f(a, correction=0)),
    ("correction2_dim", lambda T, f, a: f(a, dim=1, correction=2)),
    ("correction_float", lambda T, f, a: f(a, 1, correction=0.5)),
    ("unbiased_kw", lambda T, f, a: f(a, dim=0, unbiased=False, keepdim=True)),
    ("dim_none_keepdim", lambda T, f, a: f(a, None, keepdim=True)),
    ("too_few", lambda T, f, a: f(a[:1], 0)),
    ("correction_too_big", lambda T, f, a: f(a, 1, correction=5)),
    ("both_unbiased_and_correction", lambda T, f, a: f(a, 1, unbiased=True, correction=1)),
]


@pytest.mark.parametrize("fname", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("name,fn", VAR_STD, ids=ids(VAR_STD))
def test_var_std(name, fn, fname):
    check(lambda T, a: fn(T, getattr(T, fname), a), [X])
    if "mean" not in fname:
        check(lambda T, a: fn(T, lambda *s, **k: getattr(s[0], fname)(*s[1:], **k), a), [X])


def test_std_of_constant():
    """std's gradient where std is 0 is 0 in PyTorch (not inf * 0)."""
    check(lambda T, a: (a * 0 + 1).std(), [X])
    check(lambda T, a: T.std(a * 0, 1), [X])
    check(lambda T, a: T.std_mean(a[:, :1] * 0 + a[0, 0], 1), [X])


@pytest.mark.parametrize("fname", ["var", "std"])
def test_var_std_dtypes(fname):
    for dtype in ["int64", "bool", "float16", "float64", "complex64"]:
        x = _as_dtype(X, dtype)
        same(lambda T: getattr(T, fname)(T.tensor(x)), rtol=2e-3, atol=2e-3)
        same(lambda T: getattr(T, fname)(T.tensor(x), 0), rtol=2e-3, atol=2e-3)


NORMS = [
    ("default", lambda T, a: a.norm()), ("fro", lambda T, a: T.norm(a, "fro")), ("p2", lambda T, a: T.norm(a, 2)),
    ("p1", lambda T, a: a.norm(1)), ("inf", lambda T, a: a.norm(float("inf"))), ("neg_inf", lambda T, a: a.norm(float("-inf"))),
    ("p3", lambda T, a: a.norm(3)), ("p_half", lambda T, a: a.norm(0.5)),
    ("dim", lambda T, a: a.norm(dim=1)), ("p1_dim", lambda T, a: T.norm(a, 1, dim=0)),
    ("inf_dim_keepdim", lambda T, a: a.norm(float("inf"), -1, keepdim=True)),
    ("fro_dims", lambda T, a: T.norm(a, "fro", dim=(0, 1))), ("p2_dims", lambda T, a: a.norm(2, (0, 1))),
    ("dtype", lambda T, a: a.norm(dtype=T.float64)),
    ("nuc", lambda T, a: a.norm("nuc")),
]


@pytest.mark.parametrize("name,fn", NORMS, ids=ids(NORMS))
def test_norm(name, fn):
    check(fn, [X])


def test_norm_p0():
    # forward only: PyTorch's backward of the 0-"norm" leaves the input's gradient undefined (None),
    # torchlike's is zero (docs/differences.md)
    same(lambda T: T.tensor(X, requires_grad=True).norm(0))
    same(lambda T: T.tensor(X).norm(0, dim=1))


def test_norm_dtypes_and_zero():
    same(lambda T: T.norm(T.tensor(XI)))
    same(lambda T: T.norm(T.tensor(X.astype(np.float64)), 1))
    same(lambda T: T.norm(T.tensor(X.astype(np.complex64))))
    same(lambda T: T.norm(T.tensor(X.astype(np.float16))), rtol=2e-3)
    check(lambda T, a: (a * 0).norm(), [X])          # PyTorch's gradient of the 2-norm at 0 is 0
    check(lambda T, a: (a * 0).norm(dim=1), [X])


LOGSUMEXP = [
    ("dim", lambda T, a: T.logsumexp(a, 1)), ("dim_neg_keepdim", lambda T, a: a.logsumexp(-1, keepdim=True)),
    ("dims", lambda T, a: T.logsumexp(a, (0, 1))), ("large", lambda T, a: T.logsumexp(a * 100, 0)),
    ("neg_inf_row", lambda T, a: T.logsumexp(a.masked_fill(a > -10, float("-inf")), 1)),
    ("no_dim", lambda T, a: T.logsumexp(a)),
]


@pytest.mark.parametrize("name,fn", LOGSUMEXP, ids=ids(LOGSUMEXP))
def test_logsumexp(name, fn):
    check(fn, [X])


def test_logsumexp_dtypes():
    same(lambda T: T.logsumexp(T.tensor(XI), 1))
    same(lambda T: T.logsumexp(T.tensor(X > 0), 0))
    same(lambda T: T.logsumexp(T.tensor(X.astype(np.float64)), 0))


ALL_ANY = [
    ("all", lambda T, a: T.all(a)), ("any", lambda T, a: T.any(a)), ("all_dim", lambda T, a: a.all(1)),
    ("any_dim_keepdim", lambda T, a: a.any(0, keepdim=True)), ("all_dims", lambda T, a: T.all(a, (0, 1))),
    ("any_neg_dim", lambda T, a: a.any(-1)),
]


@pytest.mark.parametrize("dtype", ["float32", "int64", "uint8", "bool", "float64"])
@pytest.mark.parametrize("name,fn", ALL_ANY, ids=ids(ALL_ANY))
def test_all_any(name, fn, dtype):
    x = np.where(X > 0.5, X, 0).astype(dtype)
    same(lambda T: fn(T, T.tensor(x)))
    same(lambda T: fn(T, T.ones(3, 4, dtype=getattr(T, dtype))))
    same(lambda T: fn(T, T.zeros(3, 4, dtype=getattr(T, dtype))))


# ---- scans -----------------------------------------------------------------------------
SCANS = [
    ("cumsum", lambda T, a: T.cumsum(a, 1)), ("cumsum_neg", lambda T, a: a.cumsum(-2)),
    ("cumsum_dtype", lambda T, a: a.cumsum(0, dtype=T.float64)), ("cumprod", lambda T, a: T.cumprod(a, 1)),
    ("cumprod_zero", lambda T, a: (a * (a > 0.3)).cumprod(1)), ("cumprod_dtype", lambda T, a: a.cumprod(0, dtype=T.float64)),
    ("cumsum_inplace", lambda T, a: (a * 1).cumsum_(1)), ("cumprod_inplace", lambda T, a: (a * 1).cumprod_(0)),
    ("cummax", lambda T, a: T.cummax(a, 1)), ("cummax_neg", lambda T, a: a.cummax(-2)),
    ("cummin", lambda T, a: T.cummin(a, 0)), ("logcumsumexp", lambda T, a: T.logcumsumexp(a, 1)),
    ("cumsum_out_of_range", lambda T, a: a.cumsum(2)), ("cumsum_no_dim", lambda T, a: T.cumsum(a)),
]


@pytest.mark.parametrize("name,fn", SCANS, ids=ids(SCANS))
def test_scans(name, fn):
    check(fn, [X])
    check(fn, [TIES])


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16", "float64"])
def test_scan_dtypes(dtype):
    x = _as_dtype(X, dtype)
    tol = dict(rtol=2e-3, atol=2e-3) if dtype == "float16" else {}
    same(lambda T: T.cumsum(T.tensor(x), 1), **tol)
    same(lambda T: T.cumprod(T.tensor(x), 0), **tol)
    same(lambda T: T.cumsum(T.tensor(x), 1, dtype=T.int32), **tol)
    same(lambda T: T.cumsum(T.tensor(x), 0, dtype=T.float64), **tol)
    same(lambda T: T.cummax(T.tensor(x), 1), **tol)
    same(lambda T: T.cummin(T.tensor(x), 0), **tol)


def test_scans_0dim_and_nan():
    check(lambda T, a: (T.cumsum(a, 0), T.cumprod(a, -1), T.cummax(a, 0), T.cummin(a, 0)), [np.asarray(X[0, 0])])
    check(lambda T, a: T.cummax(a, 1), [WITH_NAN])
    check(lambda T, a: T.cummin(a, 1), [WITH_NAN])
    check(lambda T, a: T.cumsum(a, 1), [WITH_NAN])


# ---- sorting ---------------------------------------------------------------------------
SORTS = [
    ("sort", lambda T, a: T.sort(a)), ("sort_dim0", lambda T, a: a.sort(0)),
    ("sort_desc", lambda T, a: T.sort(a, descending=True)), ("sort_desc_dim0", lambda T, a: a.sort(0, True)),
    ("sort_stable", lambda T, a: T.sort(a, stable=True)), ("sort_stable_desc", lambda T, a: a.sort(dim=1, descending=True, stable=True)),
    ("argsort", lambda T, a: T.argsort(a, stable=True)), ("argsort_desc", lambda T, a: a.argsort(0, True, stable=True)),
    ("msort", lambda T, a: T.msort(a)),
    ("topk", lambda T, a: T.topk(a, 2)), ("topk_dim0", lambda T, a: a.topk(2, 0)),
    ("topk_smallest", lambda T, a: a.topk(3, largest=False)), ("topk_k0", lambda T, a: a.topk(0)),
    ("topk_too_big", lambda T, a: a.topk(5)), ("topk_all", lambda T, a: a.topk(4, -1)),
    ("kthvalue", lambda T, a: T.kthvalue(a, 2)), ("kthvalue_dim0_keepdim", lambda T, a: a.kthvalue(1, 0, True)),
    ("kthvalue_too_big", lambda T, a: a.kthvalue(5)),
]


@pytest.mark.parametrize("name,fn", SORTS, ids=ids(SORTS))
def test_sorting(name, fn):
    check(fn, [X])


STABLE_WITH_TIES = [s for s in SORTS if "stable" in s[0] or s[0].startswith("argsort")]


@pytest.mark.parametrize("name,fn", STABLE_WITH_TIES, ids=ids(STABLE_WITH_TIES))
def test_sorting_ties_stable(name, fn):
    """With ties, only a stable sort has a defined order of indices: compare it exactly."""
    check(fn, [TIES])
    same(lambda T: fn(T, T.tensor(XI)))
    same(lambda T: fn(T, T.tensor(XI > 0)))


def test_sorting_ties_values():
    """Unstable sorts, topk and kthvalue with ties: the values are defined; the indices (and so where the
    gradient goes) are not, so only the values are compared."""
    for fn in (lambda T, a: T.sort(a, 1).values, lambda T, a: T.sort(a, 0, True).values,
               lambda T, a: a.topk(2).values, lambda T, a: a.kthvalue(2).values):
        same(lambda T: fn(T, T.tensor(TIES, requires_grad=True)))


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16", "float64"])
def test_sorting_dtypes(dtype):
    x = _as_dtype(data(3, 4, seed=9, low=-2, high=2) * 3, dtype)
    same(lambda T: T.sort(T.tensor(x), stable=True))
    same(lambda T: T.sort(T.tensor(x), descending=True, stable=True))
    same(lambda T: T.argsort(T.tensor(x), 0, stable=True))
    same(lambda T: T.topk(T.tensor(x), 1).values)
    same(lambda T: T.kthvalue(T.tensor(x), 1, 0).values)


def test_sorting_nan_and_0dim():
    check(lambda T, a: T.sort(a, 1), [WITH_NAN])
    check(lambda T, a: T.sort(a, 1, descending=True), [WITH_NAN])
    check(lambda T, a: T.argsort(a, 1, stable=True), [WITH_NAN])
    check(lambda T, a: (T.sort(a), a.topk(1), a.kthvalue(1), a.argsort()), [np.asarray(X[0, 0])])


# ---- unique -----------------------------------------------------------------------------
UNIQ = np.array([[3, 1, 2, 3], [1, 1, 0, 2], [3, 1, 2, 3]], dtype=np.int64)
UNIQUE = [
    ("plain", lambda T, a: T.unique(a)),
    ("method", lambda T, a: a.unique()),
    ("inverse", lambda T, a: T.unique(a, return_inverse=True)),
    ("counts", lambda T, a: T.unique(a, return_counts=True)),
    ("both", lambda T, a: a.unique(return_inverse=True, return_counts=True)),
    ("dim0", lambda T, a: T.unique(a, dim=0)),
    ("dim1_all", lambda T, a: T.unique(a, return_inverse=True, return_counts=True, dim=1)),
    ("dim_neg", lambda T, a: T.unique(a, dim=-2, return_counts=True)),
    ("sorted_false_1d", lambda T, a: T.unique(a.reshape(-1)[:1], sorted=False)),
    ("consecutive", lambda T, a: T.unique_consecutive(a.reshape(-1), return_inverse=True, return_counts=True)),
    ("consecutive_dim", lambda T, a: T.unique_consecutive(a, dim=0)),
    ("empty", lambda T, a: T.unique(a[:0])),
    ("0dim", lambda T, a: T.unique(a[0, 0], return_inverse=True, return_counts=True)),
]


@pytest.mark.parametrize("dtype", ["int64", "float32", "bool", "uint8", "float64"])
@pytest.mark.parametrize("name,fn", UNIQUE, ids=ids(UNIQUE))
def test_unique(name, fn, dtype):
    same(lambda T: fn(T, T.tensor(UNIQ.astype(dtype))))


def test_unique_requires_grad_input():
    """unique is not differentiable: outputs carry no grad_fn even when the input requires grad."""
    same(lambda T: T.unique(T.tensor(UNIQ.astype(np.float32), requires_grad=True), return_inverse=True))
    same(lambda T: T.unique(T.tensor(UNIQ.astype(np.float32) * 0.5, requires_grad=True) * 2, dim=1))
