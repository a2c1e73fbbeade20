"""Reductions, scans and sorting: declarations only."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp

from . import _dtype as D
from ._registry import FUNCTIONS, METHODS, _return_type, defop


def _axes(x, dim):
    if dim is None or dim == ():
        return None
    n = max(x.ndim, 1)
    out = []
    for d in dim:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        out.append(d % n)
    if x.ndim == 0:
        return None
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return tuple(out)


def _acc_dtype(x, dtype):
    if dtype is not None:
        return dtype.np
    if x.dtype == jnp.bool_ or jnp.issubdtype(x.dtype, jnp.integer):
        return jnp.int64
    return x.dtype


def _wide(dtype):
    """Accumulation dtype: float32 sums accumulate in float64 so that results round as PyTorch's
    cascaded summation does (e.g. the seed's sum prints 25., not 25.0000)."""
    if dtype == jnp.float32 and jax.default_backend() != "tpu":
        return jnp.float64
    return dtype


def _sum(x, dim, keepdim, dtype):
    out = _acc_dtype(x, dtype)
    return jnp.sum(x, axis=_axes(x, dim), keepdims=keepdim, dtype=_wide(out)).astype(out)


def _prod(x, dim, keepdim, dtype):
    return jnp.prod(x, axis=_axes(x, dim), keepdims=keepdim, dtype=_acc_dtype(x, dtype))


def _mean(x, dim, keepdim, dtype):
    if dtype is None and not jnp.issubdtype(x.dtype, jnp.inexact):
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {D._BY_NP[x.dtype].name.capitalize().replace('Int64', 'Long')}")
    out = dtype.np if dtype else x.dtype
    return jnp.mean(x, axis=_axes(x, dim), keepdims=keepdim, dtype=_wide(out)).astype(out)


def _dim_name(stem):
    return lambda args, statics: f"{stem}Backward0" if statics[0] is None else f"{stem}Backward1"


defop("sum(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None)", _sum,
      dtype="keep", saves=(), grad=_dim_name("Sum"))
defop("nansum(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None)",
      lambda x, d, k, t: jnp.nansum(x, axis=_axes(x, d), keepdims=k, dtype=_acc_dtype(x, t)), dtype="keep")
defop("mean(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None)", _mean,
      dtype="keep", saves=(), grad=_dim_name("Mean"))
defop("nanmean(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None)",
      lambda x, d, k, t: jnp.nanmean(x, axis=_axes(x, d), keepdims=k), dtype="keep")
defop("prod(Tensor self, int? dim=None, bool keepdim=False, *, ScalarType? dtype=None)",
      lambda x, d, k, t: _prod(x, None if d is None else (d,), k, t), dtype="keep",
      grad=_dim_name("Prod"))
defop("amax(Tensor self, int[] dim=(), bool keepdim=False)",
      lambda x, d, k: jnp.max(x, axis=_axes(x, d), keepdims=k), dtype="keep")
defop("amin(Tensor self, int[] dim=(), bool keepdim=False)",
      lambda x, d, k: jnp.min(x, axis=_axes(x, d), keepdims=k), dtype="keep")
defop("logsumexp(Tensor self, int[] dim, bool keepdim=False)",
      lambda x, d, k: jsp.logsumexp(x, axis=_axes(x, d), keepdims=k), dtype="float")
defop("all(Tensor self, int[]? dim=None, bool keepdim=False)",
      lambda x, d, k: jnp.all(x, axis=_axes(x, d), keepdims=k), dtype="keep", differentiable=False)
defop("any(Tensor self, int[]? dim=None, bool keepdim=False)",
      lambda x, d, k: jnp.any(x, axis=_axes(x, d), keepdims=k), dtype="keep", differentiable=False)
defop("count_nonzero(Tensor self, int[]? dim=None)",
      lambda x, d: jnp.count_nonzero(x, axis=_axes(x, d)).astype(jnp.int64), dtype="keep",
      differentiable=False)


def _check_empty_reduce(x, name, dim):
    if x.size == 0 and dim is None:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                           "Specify the reduction dim with the 'dim' argument.")


def _max_all(x):
    _check_empty_reduce(x, "max", None)
    return jnp.max(x)


def _min_all(x):
    _check_empty_reduce(x, "min", None)
    return jnp.min(x)


def _arg(fn):
    def f(x, dim, keepdim):
        if dim is None:
            _check_empty_reduce(x, fn.__name__, None)
            r = fn(x.reshape(-1))
            return (r.reshape((1,) * x.ndim) if keepdim else r).astype(jnp.int64)
        d = dim % max(x.ndim, 1)
        return fn(x, axis=d, keepdims=keepdim).astype(jnp.int64) if x.ndim else jnp.asarray(0, jnp.int64)
    return f


def _max_dim(fn, argfn):
    def f(x, dim, keepdim):
        if x.ndim == 0:
            return x, jnp.asarray(0, jnp.int64)
        d = dim % x.ndim
        return fn(x, axis=d, keepdims=keepdim), argfn(x, axis=d, keepdims=keepdim).astype(jnp.int64)
    return f


defop("_max_all(Tensor self)", _max_all, dtype="keep", grad="MaxBackward1", function=False, method=False)
defop("_min_all(Tensor self)", _min_all, dtype="keep", grad="MinBackward1", function=False, method=False)
defop("_max_dim(Tensor self, int dim, bool keepdim=False)", _max_dim(jnp.max, jnp.argmax), dtype="keep",
      grad="MaxBackward0", function=False, method=False, returns=("values", "indices"))
defop("_min_dim(Tensor self, int dim, bool keepdim=False)", _max_dim(jnp.min, jnp.argmin), dtype="keep",
      grad="MinBackward0", function=False, method=False, returns=("values", "indices"))
defop("argmax(Tensor self, int? dim=None, bool keepdim=False)", _arg(jnp.argmax), dtype="keep",
      differentiable=False)
defop("argmin(Tensor self, int? dim=None, bool keepdim=False)", _arg(jnp.argmin), dtype="keep",
      differentiable=False)


from ._registry import OPS as _OPS, call as _call  # noqa: E402


def _mk(name):
    all_op, dim_op = _OPS[f"_{name}_all"], _OPS[f"_{name}_dim"]
    binary = "maximum" if name == "max" else "minimum"

    def f(input, dim=None, keepdim=False, *, out=None):
        from ._tensor import Tensor
        if isinstance(dim, Tensor):
            return FUNCTIONS[binary](input, dim, out=out)
        if dim is None:
            return _call(all_op, (input,), (), out)
        return _call(dim_op, (input,), (dim.__index__(), keepdim), out)
    f.__name__ = f.__qualname__ = name
    FUNCTIONS[name] = f
    METHODS[name] = f


_mk("max")
_mk("min")


# ---- variance family -------------------------------------------------------
def _var(x, dim, correction, keepdim):
    axes = _axes(x, dim)
    n = x.size if axes is None else 1
    if axes is not None:
        for a in axes:
            n *= x.shape[a]
    mean = jnp.mean(x, axis=axes, keepdims=True)
    d = x - mean
    sq = jnp.real(d * jnp.conj(d)) if jnp.iscomplexobj(d) else d * d
    return jnp.sum(sq, axis=axes, keepdims=keepdim) / jnp.maximum(n - correction, 0)


def _var_args(dim, unbiased, correction):
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _make_var(name, post):
    from ._registry import defop as _defop
    op = _defop(f"_{name}(Tensor self, int[]? dim, float correction, bool keepdim)",
                lambda x, d, c, k: post(_var(x, d, c, k)), dtype="float", function=False, method=False,
                grad=f"{name.capitalize()}Backward0")

    def f(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
        if isinstance(dim, bool):       # std(input, unbiased)
            dim, unbiased = None, dim
        if isinstance(dim, int):
            dim = (dim,)
        dim, correction = _var_args(None if dim is None else tuple(dim), unbiased, correction)
        return _call(op, (input,), (dim, float(correction), keepdim), out)
    f.__name__ = f.__qualname__ = name
    FUNCTIONS[name] = f
    METHODS[name] = f

    def both(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return f(input, dim, unbiased, keepdim, correction=correction), FUNCTIONS["mean"](
            input, dim if dim is None or not isinstance(dim, bool) else None, keepdim)
    FUNCTIONS[name + "_mean"] = both


_make_var("var", lambda v: v)
_make_var("std", jnp.sqrt)


# ---- norms -----------------------------------------------------------------
def _vector_norm(x, ord, dim, keepdim):
    axes = _axes(x, dim)
    a = jnp.abs(x)
    if ord == 2:
        return jnp.sqrt(jnp.sum(a * a, axis=axes, keepdims=keepdim))
    if ord == float("inf"):
        return jnp.max(a, axis=axes, keepdims=keepdim)
    if ord == float("-inf"):
        return jnp.min(a, axis=axes, keepdims=keepdim)
    if ord == 0:
        return jnp.sum(a != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
    if ord == 1:
        return jnp.sum(a, axis=axes, keepdims=keepdim)
    return jnp.sum(a ** ord, axis=axes, keepdims=keepdim) ** (1.0 / ord)


_VNORM = defop("vector_norm(Tensor self, float ord=2, int[]? dim=None, bool keepdim=False)", _vector_norm,
               dtype="float", method=False, function=False, grad="LinalgVectorNormBackward0")


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        raise NotImplementedError("nuclear norm is not supported yet")
    if isinstance(dim, int):
        dim = (dim,)
    return _call(_VNORM, (input,), (float(p), None if dim is None else tuple(dim), keepdim), out)


FUNCTIONS["norm"] = METHODS["norm"] = norm


# ---- scans -----------------------------------------------------------------
def _cum(fn):
    def f(x, dim, dtype):
        if x.ndim == 0:
            return x.astype(_acc_dtype(x, dtype))
        return fn(x.astype(_acc_dtype(x, dtype)), axis=dim % x.ndim)
    return f


defop("cumsum(Tensor self, int dim, *, ScalarType? dtype=None)", _cum(jnp.cumsum), dtype="keep",
      inplace=True, saves=())
defop("cumprod(Tensor self, int dim, *, ScalarType? dtype=None)", _cum(jnp.cumprod), dtype="keep",
      inplace=True)
defop("logcumsumexp(Tensor self, int dim)",
      lambda x, d: jax.lax.cumlogsumexp(x, axis=d % max(x.ndim, 1)) if x.ndim else x, dtype="float")


def _cumext(fn, argcmp):
    def f(x, dim):
        if x.ndim == 0:
            return x, jnp.asarray(0, jnp.int64)
        d = dim % x.ndim
        vals = fn(x, axis=d)
        n = x.shape[d]
        ar = jnp.arange(n).reshape([n if k == d else 1 for k in range(x.ndim)])
        hit = jnp.where(x == vals, ar, -1)
        idx = jax.lax.cummax(hit, axis=d)
        return vals, idx.astype(jnp.int64)
    return f


defop("cummax(Tensor self, int dim)", _cumext(jax.lax.cummax, None), dtype="keep",
      returns=("values", "indices"))
defop("cummin(Tensor self, int dim)", _cumext(jax.lax.cummin, None), dtype="keep",
      returns=("values", "indices"))


# ---- sorting ---------------------------------------------------------------
def _sort(x, dim, descending, stable):
    if x.ndim == 0:
        return x, jnp.asarray(0, jnp.int64)
    d = dim % x.ndim
    key = -x if descending and not jnp.issubdtype(x.dtype, jnp.bool_) else x
    if descending and jnp.issubdtype(x.dtype, jnp.bool_):
        key = ~x
    if descending and jnp.issubdtype(x.dtype, jnp.floating):
        # NaNs sort first when descending (they are "largest"), as in torch
        key = jnp.where(jnp.isnan(x), -jnp.inf, -x)
        idx = jnp.argsort(key, axis=d, stable=True)
        nan_first = jnp.argsort(~jnp.isnan(jnp.take_along_axis(x, idx, d)), axis=d, stable=True)
        idx = jnp.take_along_axis(idx, nan_first, d)
    else:
        idx = jnp.argsort(key, axis=d, stable=True)
    return jnp.take_along_axis(x, idx, d), idx.astype(jnp.int64)


def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    return _call(_SORT, (input,), (int(dim), bool(descending), bool(stable)), out)


_SORT = defop("_sort(Tensor self, int dim=-1, bool descending=False, bool stable=False)", _sort,
              dtype="keep", grad="SortBackward0", function=False, method=False)
_SORT.returns = _return_type("sort", ("values", "indices"))
FUNCTIONS["sort"] = METHODS["sort"] = sort


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable)[1]


FUNCTIONS["argsort"] = METHODS["argsort"] = argsort


def _topk(x, k, dim, largest, sorted_):
    d = dim % max(x.ndim, 1)
    if k > (x.shape[d] if x.ndim else 1):
        raise RuntimeError("selected index k out of range")
    xs = jnp.moveaxis(x, d, -1) if x.ndim else x.reshape(1)
    v, i = jax.lax.top_k(xs if largest else -xs, k)
    if not largest:
        v = -v
    if x.ndim:
        v, i = jnp.moveaxis(v, -1, d), jnp.moveaxis(i, -1, d)
    else:
        v, i = v.reshape(()), i.reshape(())
    return v, i.astype(jnp.int64)


defop("topk(Tensor self, int k, int dim=-1, bool largest=True, bool sorted=True)", _topk, dtype="keep",
      returns=("values", "indices"))


def _kth(x, k, dim, keepdim):
    d = dim % max(x.ndim, 1)
    s, i = _sort(x, d, False, True)
    v = jnp.take(s, k - 1, axis=d)
    ix = jnp.take(i, k - 1, axis=d)
    if keepdim:
        v, ix = jnp.expand_dims(v, d), jnp.expand_dims(ix, d)
    return v, ix


defop("kthvalue(Tensor self, int k, int dim=-1, bool keepdim=False)", _kth, dtype="keep",
      returns=("values", "indices"))
