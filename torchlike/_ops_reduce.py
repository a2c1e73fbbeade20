"""Reductions, scans, sorting and ``unique``, order statistics (``median``, ``mode``, ``quantile``,
``aminmax``), ``searchsorted``/``bucketize`` and ``Tensor.sum_to_size``: declarations only.

Argument errors (dims out of range, unsupported dtypes) are raised by each op's dtype
rule with PyTorch's exception type, before anything is compiled.  Ops that return an
index together with a value (``max(dim)``, ``sort``, ``cummax``, ...) compute the value
by gathering at the index, so that the gradient goes where PyTorch sends it: to the
selected element, not spread over ties.
"""
from __future__ import annotations

import operator

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
from jax import lax

from . import _dtype as D
from . import _registry as R
from ._ops_pointwise import _no_derivative
from ._registry import FUNCTIONS, OPS, _promoted, _return_type, _wrap_dim, call, defop, rule_float
from ._names import publish
from ._creation import tensor
from ._tensor import Tensor
from ._ops_common import _fn, _op, _private

# ---- helpers ---------------------------------------------------------------------


def _check_dims(t, dims):
    """IndexError / RuntimeError for out-of-range or repeated dims (``dims``: a tuple or None)."""
    if dims is None:
        return
    seen = set()
    for d in dims:
        w = _wrap_dim(d, t._ndim())
        if w in seen:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        seen.add(w)


def _axes(x, dim):
    """JAX axes for ``dim`` (None or () reduce everything)."""
    if dim is None or dim == () or x.ndim == 0:
        return None
    return tuple(d % x.ndim for d in dim)


def _acc_dtype(x, dtype):
    if dtype is not None:
        return dtype.np
    if x.dtype == jnp.bool_ or jnp.issubdtype(x.dtype, jnp.integer):
        return np.dtype(np.int64)
    return x.dtype


def _wide(dtype):
    """Accumulation dtype: float32 sums accumulate in float64 so that results round as PyTorch's
    cascaded summation does (e.g. the seed's sum prints 25., not 25.0000)."""
    if dtype == jnp.float32 and jax.default_backend() != "tpu":
        return jnp.float64
    return dtype


def _word(d):
    return R._type_word(d)


def _dim_name(stem):
    return lambda args, statics: f"{stem}Backward0" if statics[0] is None else f"{stem}Backward1"


def _rule(check, base="keep"):
    """A dtype rule running ``check(tensor, statics)`` first."""
    base_rule = R.DTYPE_RULES[base] if isinstance(base, str) else base

    def rule(args, statics=None):
        check(args[0], statics)
        return base_rule(args, statics)
    # the checks read the input's dtype and shape only: a deferral keyed by them (``Op._dfast``) holds
    rule.by_shape = getattr(base_rule, "by_dtype", False)
    return rule


def _dims_check(t, statics):
    _check_dims(t, statics[0])


def _dim_check(t, statics):
    if statics[0] is not None:
        _wrap_dim(statics[0], t._ndim())


# ---- sum / mean / prod -----------------------------------------------------------
def _sum(x, dim, keepdim, dtype):
    out = _acc_dtype(x, dtype)
    return jnp.sum(x, axis=_axes(x, dim), keepdims=keepdim, dtype=_wide(out)).astype(out)


def _nansum(x, dim, keepdim, dtype):
    out = _acc_dtype(x, dtype)
    return jnp.nansum(x, axis=_axes(x, dim), keepdims=keepdim, dtype=_wide(out)).astype(out)


def _mean(x, dim, keepdim, dtype):
    out = dtype.np if dtype else x.dtype
    return jnp.mean(x, axis=_axes(x, dim), keepdims=keepdim, dtype=_wide(out)).astype(out)


def _mean_check(name):
    def check(t, statics):
        _check_dims(t, statics[0])
        dtype = statics[2]
        if dtype is not None and dtype.category < D.FLOAT:
            raise RuntimeError(f"{name}(): could not infer output dtype. Optional dtype must be either a floating "
                               f"point or complex dtype. Got: {_word(dtype)}")
        if dtype is None and t._dtype.category < D.FLOAT:
            raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a floating point "
                               f"or complex dtype. Got: {_word(t._dtype)}")
    return check


def _nansum_check(t, statics):
    _check_dims(t, statics[0])
    if t._dtype.category == D.COMPLEX:
        raise RuntimeError("nansum on CPU does not support complex inputs")


defop("sum(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None)", _sum,
      dtype=_rule(_dims_check), saves=(), grad=_dim_name("Sum"))
defop("nansum(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None)", _nansum,
      dtype=_rule(_nansum_check))
defop("mean(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None)", _mean,
      dtype=_rule(_mean_check("mean")), saves=(), grad=_dim_name("Mean"))


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """``nansum / (number of non-NaN elements)``, as PyTorch composes it (grad_fn ``DivBackward0``)."""
    if input.dtype.category < D.FLOAT:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_word(input.dtype)}")
    _mean_check("nanmean")(input, (None, None, dtype))
    count = FUNCTIONS["logical_not"](FUNCTIONS["isnan"](input)).sum(dim, keepdim)
    return FUNCTIONS["div"](FUNCTIONS["nansum"](input, dim, keepdim, dtype=dtype), count, out=out)


publish("nanmean", nanmean, method=True)


def _prod(x, dim, keepdim, dtype):
    out = _acc_dtype(x, dtype)
    if dim is None:
        r = jnp.prod(x, dtype=out)
        return r.reshape((1,) * x.ndim) if keepdim else r
    return jnp.prod(x, axis=dim % max(x.ndim, 1) if x.ndim else None, keepdims=keepdim and x.ndim > 0, dtype=out)


defop("prod(Tensor self, int? dim=None, bool keepdim=False, *, ScalarType? dtype=None)", _prod,
      dtype=_rule(_dim_check), grad=_dim_name("Prod"))

# ---- amax / amin / max / min / argmax ---------------------------------------------


def _empty_dims(t, dims, name):
    shape = t.shape
    if t.numel() != 0:
        return
    if not dims:
        if name.startswith("arg"):      # PyTorch's exception types differ here
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")
    for d in dims:
        if shape and shape[_wrap_dim(d, len(shape))] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {_wrap_dim(d, len(shape))} to have non-zero size.")


def _amax_check(name):
    def check(t, statics):
        if t._dtype.category == D.COMPLEX:
            raise NotImplementedError(f"\"{name[1:]}_values_cpu\" not implemented for '{_word(t._dtype)}'")
        _check_dims(t, statics[0])
        _empty_dims(t, statics[0], name)
    return check


def _evenly(fn):
    """``fn`` (max/min over ``axes``) whose gradient is shared evenly by the elements equal to the
    result - NaNs included when the result is NaN - as PyTorch's amax/amin/max()/min() do."""
    def reduce(x, axes, keepdim):
        if not jnp.issubdtype(x.dtype, jnp.inexact):
            return fn(x, axis=axes, keepdims=keepdim)

        @jax.custom_vjp
        def f(x):
            return fn(x, axis=axes, keepdims=keepdim)

        def fwd(x):
            return f(x), x

        def bwd(x, g):
            v = fn(x, axis=axes, keepdims=True)
            hit = (x == v) | (jnp.isnan(x) & jnp.isnan(v))
            share = jnp.where(hit, 1.0, 0.0).astype(x.dtype)
            share = share / jnp.sum(share, axis=axes, keepdims=True)
            if not keepdim:
                g = jnp.expand_dims(g, axes) if axes is not None else g
            return (share * g,)
        f.defvjp(fwd, bwd)
        return f(x)
    return reduce


_amax, _amin = _evenly(jnp.max), _evenly(jnp.min)
defop("amax(Tensor self, int[] dim=(), bool keepdim=False)", lambda x, d, k: _amax(x, _axes(x, d), k),
      dtype=_rule(_amax_check("amax")))
defop("amin(Tensor self, int[] dim=(), bool keepdim=False)", lambda x, d, k: _amin(x, _axes(x, d), k),
      dtype=_rule(_amax_check("amin")))


def _select(x, idx, d, keepdim):
    """The elements of ``x`` at ``idx`` along ``d`` (gradient to those elements only)."""
    v = jnp.take_along_axis(x, jnp.expand_dims(idx, d), axis=d)
    return v if keepdim else jnp.squeeze(v, d)


def _argext(fn):
    def f(x, dim, keepdim):
        if dim is None:
            r = fn(x.reshape(-1))
            return (r.reshape((1,) * x.ndim) if keepdim else r).astype(jnp.int64)
        if x.ndim == 0:
            return jnp.asarray(0, jnp.int64)
        return fn(x, axis=dim % x.ndim, keepdims=keepdim).astype(jnp.int64)
    return f


def _max_dim(argfn):
    def f(x, dim, keepdim):
        if x.ndim == 0:
            return x, jnp.asarray(0, jnp.int64)
        d = dim % x.ndim
        idx = argfn(x, axis=d)
        return _select(x, idx, d, keepdim), (jnp.expand_dims(idx, d) if keepdim else idx).astype(jnp.int64)
    return f


def _arg_check(name):
    def check(t, statics):
        if t._dtype is D.bool or t._dtype.category == D.COMPLEX:
            raise RuntimeError(f"{name}(): does not support {'bool' if t._dtype is D.bool else 'complex'} input")
        dim = statics[0]
        if dim is not None:
            _wrap_dim(dim, t._ndim())
        _empty_dims(t, None if dim is None else (dim,), name)
    return check


def _ext_check(name):
    def check(t, statics):
        if t._dtype.category == D.COMPLEX:
            if not statics:
                raise NotImplementedError(f"\"{name}_all\" not implemented for '{_word(t._dtype)}'")
            raise RuntimeError(f"{name}(): does not support complex input")
        dims = None if not statics else (statics[0],)
        if dims:
            _wrap_dim(dims[0], t._ndim())
        _empty_dims(t, dims, name)
    return check


_MAX_ALL = defop("_max_all(Tensor self)", lambda x: _amax(x, None, False), dtype=_rule(_ext_check("max")),
                 grad="MaxBackward1", function=False, method=False)
_MIN_ALL = defop("_min_all(Tensor self)", lambda x: _amin(x, None, False), dtype=_rule(_ext_check("min")),
                 grad="MinBackward1", function=False, method=False)
_MAX_DIM = defop("_max_dim(Tensor self, int dim, bool keepdim=False)", _max_dim(jnp.argmax),
                 dtype=_rule(_ext_check("max")), grad="MaxBackward0", function=False, method=False)
_MIN_DIM = defop("_min_dim(Tensor self, int dim, bool keepdim=False)", _max_dim(jnp.argmin),
                 dtype=_rule(_ext_check("min")), grad="MinBackward0", function=False, method=False)
_MAX_DIM.returns = _return_type("max", ("values", "indices"))
_MIN_DIM.returns = _return_type("min", ("values", "indices"))
defop("argmax(Tensor self, int? dim=None, bool keepdim=False)", _argext(jnp.argmax), dtype=_rule(_arg_check("argmax")),
      differentiable=False)
defop("argmin(Tensor self, int? dim=None, bool keepdim=False)", _argext(jnp.argmin), dtype=_rule(_arg_check("argmin")),
      differentiable=False)


def _extremum(name, all_op, dim_op):
    binary = "maximum" if name == "max" else "minimum"

    def f(input, dim=None, keepdim=False, *, out=None):
        if not isinstance(input, R._Tensor):
            got = ", ".join(type(a).__name__ for a in (input, dim) if a is not None)
            raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected "
                            f"a Tensor as argument 1 ('input')")
        if isinstance(dim, R._Tensor):
            return FUNCTIONS[binary](input, dim, out=out)
        if dim is None:
            return call(all_op, (input,), (), out)
        try:
            d = operator.index(dim)
        except TypeError:
            raise TypeError(f"{name}() received an invalid combination of arguments - got dim of type "
                            f"{type(dim).__name__}") from None
        return call(dim_op, (input,), (d, bool(keepdim)), out)
    f.__name__ = f.__qualname__ = name
    publish(name, f, method=True)


_extremum("max", _MAX_ALL, _MAX_DIM)
_extremum("min", _MIN_ALL, _MIN_DIM)

# ---- variance family ----------------------------------------------------------------


def _var(x, dim, correction, keepdim):
    """Variance with PyTorch's edge cases: ``n - correction <= 0`` gives inf/nan, and the
    gradient still divides by ``n - correction`` (negative included), as PyTorch's formula does."""
    axes = _axes(x, dim)
    n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    mean = jnp.mean(x, axis=axes, keepdims=True)
    d = x - mean
    sq = jnp.real(d * jnp.conj(d)) if jnp.iscomplexobj(d) else d * d
    s = jnp.sum(sq, axis=axes, keepdims=keepdim)
    dof = n - correction
    out = s / dof
    if dof < 0:
        out = out + jax.lax.stop_gradient(s / 0.0 - out)
    return out


def _var_check(t, statics):
    _check_dims(t, statics[0])
    if t._dtype.category < D.FLOAT:
        raise RuntimeError("std and var only support floating point and complex dtypes")


def _var_mean_impl(post):
    def impl(x, dim, correction, keepdim):
        return post(_var(x, dim, correction, keepdim)), jnp.mean(x, axis=_axes(x, dim), keepdims=keepdim)
    return impl


def _var_arguments(name, dim, unbiased, keepdim, correction):
    """PyTorch's overloads: ``(input, unbiased)``, ``(input, dim, unbiased, keepdim)``, ``correction=``."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both unbiased and correction")
    if correction is None:
        correction = 0 if unbiased is False else 1
    if dim is not None:
        dim = R._ints(dim)
    return dim, float(correction), bool(keepdim)


def _make_var(name, post):
    op = defop(f"_{name}(Tensor self, int[]? dim, float correction, bool keepdim)",
               lambda x, d, c, k: post(_var(x, d, c, k)), dtype=_rule(_var_check, "float"), function=False,
               method=False, grad=f"{name.title()}Backward0")
    both = defop(f"_{name}_mean(Tensor self, int[]? dim, float correction, bool keepdim)", _var_mean_impl(post),
                 dtype=_rule(_var_check, "float"), function=False, method=False, grad=f"{name.title()}MeanBackward0")

    def f(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
        return call(op, (input,), _var_arguments(name, dim, unbiased, keepdim, correction), out)

    def f_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return call(both, (input,), _var_arguments(name + "_mean", dim, unbiased, keepdim, correction))
    f.__name__ = f.__qualname__ = name
    f_mean.__name__ = f_mean.__qualname__ = name + "_mean"
    publish(name, f, method=True)
    publish(name + "_mean", f_mean)


def _std(v):
    """sqrt with PyTorch's std gradient at 0: zero (sqrt's would be inf * 0)."""
    zero = v == 0
    return jnp.where(zero, jnp.zeros((), v.dtype), jnp.sqrt(jnp.where(zero, jnp.ones((), v.dtype), v)))


_make_var("var", lambda v: v)
_make_var("std", _std)

# ---- norms ----------------------------------------------------------------------------


def _vector_norm(x, ord, dim, keepdim, dtype):
    if dtype is not None:
        x = x.astype(dtype.np)
    axes = _axes(x, dim)
    a = jnp.abs(x)
    if ord == 2:
        s = jnp.sum(a * a, axis=axes, keepdims=keepdim)
        # the gradient at the zero vector is 0 in PyTorch (sqrt's would be inf * 0)
        zero = s == 0
        return jnp.where(zero, 0.0, jnp.sqrt(jnp.where(zero, 1.0, s))).astype(s.dtype)
    if ord == float("inf"):
        return jnp.max(a, axis=axes, keepdims=keepdim)
    if ord == float("-inf"):
        return jnp.min(a, axis=axes, keepdims=keepdim)
    if ord == 0:
        return jnp.sum(a != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
    if ord == 1:
        return jnp.sum(a, axis=axes, keepdims=keepdim)
    return jnp.sum(a ** ord, axis=axes, keepdims=keepdim) ** (1.0 / ord)


def _norm_check(t, statics):
    if t._dtype.category < D.FLOAT:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_word(t._dtype)}")
    _check_dims(t, statics[1])


def _norm_dtype(args, statics):
    _norm_check(args[0], statics)
    return None


_VNORM = defop("vector_norm(Tensor self, float ord=2, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None)",
               _vector_norm, dtype=_norm_dtype, method=False, function=False, grad="LinalgVectorNormBackward0")


def _nuclear(x, dims, keepdim):
    d0, d1 = (d % x.ndim for d in dims)
    m = jnp.moveaxis(x, (d0, d1), (-2, -1))
    s = jnp.linalg.svd(m, compute_uv=False).sum(-1)
    if keepdim:
        s = jnp.expand_dims(s, tuple(sorted((d0, d1))))
    return s


def _nuclear_check(args, statics):
    t = args[0]
    dims = statics[0]
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dims)}")
    _check_dims(t, dims)
    if t._dtype.category < D.FLOAT:
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_word(t._dtype)}")
    return None


_NUC = defop("_nuclear_norm(Tensor self, int[] dim, bool keepdim)", _nuclear, dtype=_nuclear_check, method=False,
             function=False, grad="SumBackward1")


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: vector norms (``p`` a number, or ``'fro'``) and the nuclear norm (``'nuc'``)."""
    if isinstance(dim, int):
        dim = (dim,)
    if p == "nuc":
        dims = tuple(dim) if dim is not None else tuple(range(input.ndim))
        return call(_NUC, (input,), (dims, bool(keepdim)), out)
    if p == "fro" or p is None:
        if dim is not None and len(dim) > 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
        p = 2
    return call(_VNORM, (input,), (float(p), None if dim is None else tuple(dim), bool(keepdim), dtype), out)


publish("norm", norm, method=True)

# ---- logsumexp, all / any -----------------------------------------------------------------


def _logsumexp(x, dim, keepdim):
    axes = _axes(x, dim)
    m = jnp.max(x, axis=axes, keepdims=True)
    m = jax.lax.stop_gradient(jnp.where(jnp.isfinite(m), m, 0))
    r = jnp.log(jnp.sum(jnp.exp(x - m), axis=axes, keepdims=True)) + m
    return r if keepdim else (jnp.squeeze(r, axes) if axes is not None else r.reshape(()))


defop("logsumexp(Tensor self, int[] dim, bool keepdim=False)", _logsumexp, dtype=_rule(_dims_check, "float"))


def _all_any(fn):
    def f(x, dim, keepdim):
        r = fn(x, axis=_axes(x, dim), keepdims=keepdim)
        return r.astype(jnp.uint8) if x.dtype == jnp.uint8 else r    # PyTorch keeps uint8
    return f


defop("all(Tensor self, int[]? dim=None, bool keepdim=False)", _all_any(jnp.all), dtype=_rule(_dims_check),
      differentiable=False)
defop("any(Tensor self, int[]? dim=None, bool keepdim=False)", _all_any(jnp.any), dtype=_rule(_dims_check),
      differentiable=False)
defop("count_nonzero(Tensor self, int[]? dim=None)",
      lambda x, d: jnp.count_nonzero(x, axis=_axes(x, d)).astype(jnp.int64), dtype=_rule(_dims_check),
      differentiable=False)

# ---- scans ----------------------------------------------------------------------------------


def _cum(fn):
    def f(x, dim, dtype):
        x = x.astype(_acc_dtype(x, dtype))
        if x.ndim == 0:
            return x
        return fn(x, axis=dim % x.ndim)
    return f


def _scan_check(t, statics):
    _wrap_dim(statics[0], t._ndim())


def _cumext_check(name):
    def check(t, statics):
        if t._dtype.category == D.COMPLEX:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_word(t._dtype)}'")
        _wrap_dim(statics[0], t._ndim())
    return check


defop("cumsum(Tensor self, int dim, *, ScalarType? dtype=None)", _cum(jnp.cumsum), dtype=_rule(_scan_check),
      inplace=True, saves=())
defop("cumprod(Tensor self, int dim, *, ScalarType? dtype=None)", _cum(jnp.cumprod), dtype=_rule(_scan_check),
      inplace=True)
defop("logcumsumexp(Tensor self, int dim)",
      lambda x, d: jax.lax.cumlogsumexp(x, axis=d % max(x.ndim, 1)) if x.ndim else x,
      dtype=_rule(_scan_check, "float"))


def _cumext(later_wins):
    """cummax/cummin: the running extreme and the index it was last seen at (NaN wins and sticks;
    among equal values the later index wins, as in PyTorch); values gathered at the indices."""
    def f(x, dim):
        if x.ndim == 0:
            return x, jnp.asarray(0, jnp.int64)
        d = dim % x.ndim
        n = x.shape[d]
        idx = jnp.broadcast_to(jnp.arange(n).reshape([n if k == d else 1 for k in range(x.ndim)]), x.shape)

        def combine(a, b):
            (va, ia), (vb, ib) = a, b
            take_b = later_wins(va, vb)
            return jnp.where(take_b, vb, va), jnp.where(take_b, ib, ia)
        _, best = jax.lax.associative_scan(combine, (jax.lax.stop_gradient(x), idx), axis=d)
        return jnp.take_along_axis(x, best, axis=d), best.astype(jnp.int64)
    return f


def _nan(v):
    return jnp.isnan(v) if jnp.issubdtype(v.dtype, jnp.inexact) else jnp.zeros(v.shape, bool)


def _later_max(a, b):
    if a.dtype == jnp.bool_:
        return b >= a
    return _nan(b) | (~_nan(a) & (b >= a))


def _later_min(a, b):
    if a.dtype == jnp.bool_:
        return b <= a
    return _nan(b) | (~_nan(a) & (b <= a))


defop("cummax(Tensor self, int dim)", _cumext(_later_max), dtype=_rule(_cumext_check("cummax")),
      returns=("values", "indices"))
defop("cummin(Tensor self, int dim)", _cumext(_later_min), dtype=_rule(_cumext_check("cummin")),
      returns=("values", "indices"))

# ---- sorting ----------------------------------------------------------------------------------


def _sort_key(x, descending):
    """An ascending key for ``x``: NaN sorts last ascending and first descending, as in PyTorch."""
    if x.dtype == jnp.bool_:
        return ~x if descending else x
    if not descending:
        return x
    if jnp.issubdtype(x.dtype, jnp.floating):
        return jnp.where(jnp.isnan(x), -jnp.inf, -x), jnp.isnan(x)
    if jnp.issubdtype(x.dtype, jnp.unsignedinteger):
        return jnp.iinfo(x.dtype).max - x
    return -x.astype(jnp.int64) if x.dtype != jnp.int64 else ~x     # ~x orders int64 descending without overflow


def _argsort(x, d, descending):
    key = _sort_key(x, descending)
    if isinstance(key, tuple):        # descending floats: NaNs first, then by -x
        key, nan = key
        order = jnp.argsort(key, axis=d, stable=True)
        nan_first = jnp.argsort(~jnp.take_along_axis(nan, order, d), axis=d, stable=True)
        return jnp.take_along_axis(order, nan_first, d)
    return jnp.argsort(key, axis=d, stable=True)


def _sort(x, dim, descending, stable):
    if x.ndim == 0:
        return x, jnp.asarray(0, jnp.int64)
    d = dim % x.ndim
    idx = _argsort(jax.lax.stop_gradient(x), d, descending)
    return jnp.take_along_axis(x, idx, d), idx.astype(jnp.int64)


def _sort_check(t, statics):
    if t._dtype.category == D.COMPLEX:
        raise RuntimeError(" Sort does not support complex dtypes on CPU")
    _wrap_dim(statics[0], t._ndim())


_SORT = defop("_sort(Tensor self, int dim=-1, bool descending=False, bool stable=False)", _sort,
              dtype=_rule(_sort_check), grad="SortBackward0", function=False, method=False)
_SORT.returns = _return_type("sort", ("values", "indices"))
_SORT_STABLE = defop("_sort_stable(Tensor self, int dim=-1, bool descending=False)",
                     lambda x, d, desc: _sort(x, d, desc, True), dtype=_rule(_sort_check), grad="SortBackward1",
                     function=False, method=False)
_SORT_STABLE.returns = _SORT.returns


def sort(input, dim=-1, descending=False, stable=None, *, out=None):
    """Sorted values and their indices.  Ties keep their order (every sort here is stable);
    passing ``stable`` selects PyTorch's other overload (grad_fn ``SortBackward1``)."""
    if stable is not None:
        return call(_SORT_STABLE, (input,), (int(dim), bool(descending)), out)
    return call(_SORT, (input,), (int(dim), bool(descending), False), out)


def argsort(input, *args, stable=None, **kwargs):
    """``argsort(input, dim=-1, descending=False)`` or ``argsort(input, *, stable, dim=-1, descending=False)``."""
    if stable is not None and args:
        raise TypeError("argsort() received an invalid combination of arguments: with 'stable', 'dim' and "
                        "'descending' are keyword-only")
    if len(args) > 2:
        raise TypeError(f"argsort() takes from 1 to 3 positional arguments but {len(args) + 1} were given")
    params = dict(zip(("dim", "descending"), args))
    for k, v in kwargs.items():
        if k not in ("dim", "descending") or k in params:
            raise TypeError(f"argsort() got an unexpected keyword argument '{k}'")
        params[k] = v
    return sort(input, params.get("dim", -1), params.get("descending", False), stable)[1]


publish("sort", sort, method=True)
publish("argsort", argsort, method=True)


def _topk(x, k, dim, largest, sorted_):
    if x.ndim == 0:
        return x.reshape(()), jnp.asarray(0, jnp.int64)
    d = dim % x.ndim
    idx = _argsort(jax.lax.stop_gradient(x), d, descending=largest)
    idx = jax.lax.slice_in_dim(idx, 0, k, axis=d)
    return jnp.take_along_axis(x, idx, d), idx.astype(jnp.int64)


def _topk_check(t, statics):
    k, dim = statics[0], statics[1]
    d = _wrap_dim(dim, t._ndim())
    size = t.shape[d] if t._ndim() else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if t._dtype is D.bool or t._dtype.category == D.COMPLEX:
        raise RuntimeError(f" topk does not support {'bool' if t._dtype is D.bool else 'complex'} dtypes on CPU")


defop("topk(Tensor self, int k, int dim=-1, bool largest=True, bool sorted=True)", _topk, dtype=_rule(_topk_check),
      returns=("values", "indices"))


def _kth(x, k, dim, keepdim):
    if x.ndim == 0:
        return x, jnp.asarray(0, jnp.int64)
    d = dim % x.ndim
    idx = jax.lax.slice_in_dim(_argsort(jax.lax.stop_gradient(x), d, False), k - 1, k, axis=d)
    v = jnp.take_along_axis(x, idx, d)
    if not keepdim:
        v, idx = jnp.squeeze(v, d), jnp.squeeze(idx, d)
    return v, idx.astype(jnp.int64)


def _kth_check(t, statics):
    k, dim = statics[0], statics[1]
    d = _wrap_dim(dim, t._ndim())
    size = t.shape[d] if t._ndim() else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if t._dtype is D.bool or t._dtype.category == D.COMPLEX:
        raise NotImplementedError(f"\"kthvalue_cpu\" not implemented for '{_word(t._dtype)}'")


defop("kthvalue(Tensor self, int k, int dim=-1, bool keepdim=False)", _kth, dtype=_rule(_kth_check),
      returns=("values", "indices"))

# ---- unique (the output shape depends on the values: computed on the host) ------------------------


def _unique_values(x, positions, dim, kind):
    """The unique values, gathered from ``x`` at their first positions; PyTorch has no derivative."""
    op = {"unique2": "_unique2", "dim": "unique_dim", "consecutive": "unique_consecutive"}[kind]

    def gather(a, p):
        return a.reshape(-1)[p] if dim is None else jnp.take(a, p, axis=dim % max(a.ndim, 1))
    return _no_derivative(gather, op, f"the derivative for '{op}' is not implemented.", NotImplementedError)(
        x, positions)


_UNIQUE_NAMES = {"unique2": "Unique2Backward0", "dim": "UniqueDimBackward0", "consecutive": "UniqueConsecutiveBackward0"}
_UNIQUE = defop("_unique_values(Tensor self, Index positions, int? dim, str kind)", _unique_values, dtype="keep",
                function=False, method=False, out=False, grad=lambda args, statics: _UNIQUE_NAMES[statics[1]])


def _host_array(t):
    return np.asarray(t.detach()._arr())


def _unique_result(input, positions, inverse, counts, dim, kind, return_inverse, return_counts):
    values = call(_UNIQUE, (input, tensor(positions.astype(np.int64))), (dim, kind))
    out = [values]
    if return_inverse:
        out.append(tensor(inverse.astype(np.int64)))
    if return_counts:
        out.append(tensor(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Sorted unique values (PyTorch's CPU kernel sorts whatever ``sorted`` says), their inverse
    indices and counts; computed with numpy on the host (PyTorch synchronises here too)."""
    a = _host_array(input)
    if dim is None:
        _, first, inverse, counts = np.unique(a.reshape(-1), return_index=True, return_inverse=True,
                                              return_counts=True)
        return _unique_result(input, first, inverse.reshape(a.shape), counts, None, "unique2", return_inverse,
                              return_counts)
    d = _wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        a = a.reshape(1)
    _, first, inverse, counts = np.unique(a, return_index=True, return_inverse=True, return_counts=True, axis=d)
    return _unique_result(input, first, inverse.reshape(-1), counts, d, "dim", return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal values (or slices along ``dim``); computed on the host."""
    a = _host_array(input)
    if dim is None:
        flat = a.reshape(-1)
        start = np.concatenate([[True], flat[1:] != flat[:-1]]) if flat.size else np.zeros(0, bool)
        inverse = (np.cumsum(start) - 1).reshape(a.shape)
        d = None
    else:
        d = _wrap_dim(dim, a.ndim)
        rows = np.moveaxis(a, d, 0).reshape(a.shape[d], -1) if a.ndim else a.reshape(1, 1)
        start = np.concatenate([[True], np.any(rows[1:] != rows[:-1], axis=1)]) if rows.shape[0] else \
            np.zeros(0, bool)
        inverse = np.cumsum(start) - 1
    positions = np.nonzero(start)[0]
    counts = np.diff(np.append(positions, start.size))
    return _unique_result(input, positions, inverse, counts, d, "consecutive", return_inverse, return_counts)


for _name, _f in (("unique", unique), ("unique_consecutive", unique_consecutive)):
    publish(_name, _f, method=True)


# ---- order statistics ----------------------------------------------------------------------------------
def _median_all(x, ignore_nan):
    if x.size == 0:
        return jnp.asarray(jnp.nan, x.dtype) if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.zeros((), x.dtype)
    v, _ = _median_dim(x.reshape(-1), 0, False, ignore_nan)
    return v


def _median_dim(x, dim, keepdim, ignore_nan):
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    d = _wrap_dim(dim, x.ndim)
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    order = jnp.argsort(x, axis=d, stable=True)      # NaNs last
    floating = jnp.issubdtype(x.dtype, jnp.inexact)
    if floating:
        nans = jnp.sum(jnp.isnan(x), axis=d, keepdims=True)
    if ignore_nan and floating:
        k = jnp.maximum((n - nans - 1) // 2, 0)
    else:
        k = jnp.full((1,) * x.ndim, (n - 1) // 2)
    idx = jnp.take_along_axis(order, jnp.broadcast_to(k, x.shape[:d] + (1,) + x.shape[d + 1:]), axis=d)
    if floating and not ignore_nan:
        first_nan = jnp.argmax(jnp.isnan(x), axis=d, keepdims=True)
        idx = jnp.where(nans > 0, first_nan, idx)
    if floating and ignore_nan:
        idx = jnp.where(nans == n, 0, idx)
    val = jnp.take_along_axis(x, idx, axis=d)
    if not keepdim:
        val, idx = jnp.squeeze(val, d), jnp.squeeze(idx, d)
    return val, idx.astype(jnp.int64)


for _name, _skip_nan, _stem in (("median", False, "Median"), ("nanmedian", True, "Nanmedian")):
    _all = _private(f"_{_name}_all(Tensor self)", (lambda nan: lambda x: _median_all(x, nan))(_skip_nan),
                    grad=f"{_stem}Backward0", dtype="keep")
    _dim_op = _private(f"_{_name}_dim(Tensor self, int dim, bool keepdim=False)",
                       (lambda nan: lambda x, d, k: _median_dim(x, d, k, nan))(_skip_nan), grad=f"{_stem}Backward1",
                       dtype="keep", returns=("values", "indices"))
    OPS[f"_{_name}_dim"].returns = _return_type(_name, ("values", "indices"))

    def _median(input, dim=None, keepdim=False, *, out=None, _all=_all, _dim_op=_dim_op):
        if dim is None:
            return _all(input, out=out)
        return _dim_op(input, dim, keepdim, out=out)
    _fn(_name, _median, method=True)


def _mode(x, dim, keepdim):
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    d = _wrap_dim(dim, x.ndim)
    xm = jnp.moveaxis(x, d, -1)
    n = xm.shape[-1]
    if n == 0:
        raise IndexError("mode(): Expected reduction dim to have non-zero size.")
    order = jnp.argsort(xm, axis=-1, stable=True)
    s = jnp.take_along_axis(xm, order, axis=-1)
    # run lengths: for each sorted position, the count of equal values up to and including it
    start = jnp.concatenate([jnp.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]], axis=-1)
    pos = jnp.arange(n)
    run_start = lax.cummax(jnp.where(start, pos, 0), axis=s.ndim - 1)
    count = pos - run_start + 1
    # the most frequent value, the smallest among ties: the first position reaching the maximum count
    best = jnp.argmax(count == jnp.max(count, axis=-1, keepdims=True), axis=-1)[..., None]
    val = jnp.take_along_axis(s, best, axis=-1)
    # PyTorch returns the last index of that value in the input
    idx = jnp.max(jnp.where(xm == val, pos, -1), axis=-1, keepdims=True)
    val = jnp.take_along_axis(xm, idx, axis=-1)
    val, idx = jnp.moveaxis(val, -1, d), jnp.moveaxis(idx, -1, d)
    if not keepdim:
        val, idx = jnp.squeeze(val, d), jnp.squeeze(idx, d)
    return val, idx.astype(jnp.int64)


_op("mode(Tensor self, int dim=-1, bool keepdim=False)", _mode, dtype="keep", returns=("values", "indices"))


def _quantile(x, q, dim, keepdim, interpolation, ignore_nan, q_scalar):
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, midpoint or nearest. "
                           f"Got {interpolation}")
    name = "nanquantile" if ignore_nan else "quantile"
    if x.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if q.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if dim is None:
        xs = x.reshape(-1)
        d = 0
    else:
        d = _wrap_dim(dim, x.ndim)
        xs = x if x.ndim else x.reshape(1)
    xs = jnp.moveaxis(xs, d, -1)
    s = jnp.sort(xs, axis=-1)                           # NaNs last
    n = s.shape[-1]
    nans = jnp.sum(jnp.isnan(s), axis=-1, keepdims=True)
    valid = n - nans if ignore_nan else jnp.full_like(nans, n)
    qv = q.reshape(-1).astype(s.dtype)                  # (Q,)
    ranks = qv * (valid - 1).astype(s.dtype)            # (..., Q)
    if interpolation == "lower":
        ranks = jnp.floor(ranks)
    elif interpolation == "higher":
        ranks = jnp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = jnp.round(ranks)
    lo_i = jnp.clip(jnp.floor(ranks), 0, n - 1).astype(jnp.int64)
    hi_i = jnp.clip(jnp.ceil(ranks), 0, n - 1).astype(jnp.int64)
    lo = jnp.take_along_axis(s, lo_i, axis=-1)
    hi = jnp.take_along_axis(s, hi_i, axis=-1)
    if interpolation == "midpoint":
        w = jnp.where(hi_i > lo_i, 0.5, 0.0).astype(s.dtype)
    else:
        w = (ranks - jnp.floor(ranks)).astype(s.dtype)
    r = jnp.where(w < 0.5, lo + w * (hi - lo), hi - (hi - lo) * (1 - w))
    if ignore_nan:
        r = jnp.where(valid == 0, jnp.nan, r)
    else:
        r = jnp.where(nans > 0, jnp.nan, r)
    r = jnp.moveaxis(r, -1, 0)                          # (Q, ...)
    if keepdim:
        if dim is None:
            r = r.reshape((r.shape[0],) + (1,) * x.ndim)
        elif x.ndim:
            r = jnp.expand_dims(r, d + 1)
    if q_scalar:
        r = r[0]
    return r


def _quantile_dtype(name):
    def rule(args, statics=None):
        x, q = args
        if x._dtype.category < D.FLOAT:
            raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
        if hasattr(q, "_dtype") and q._dtype is not x._dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        return x._dtype
    return rule


for _name, _skip_nan in (("quantile", False), ("nanquantile", True)):
    _q_op = _private(f"_{_name}(Tensor self, Tensor q, int? dim, bool keepdim, str interpolation, bool ignore_nan, "
                     "bool q_scalar)", _quantile, grad="SqueezeBackward4", dtype=_quantile_dtype(_name))

    def _quantile_fn(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None, _q_op=_q_op,
                     _nan=_skip_nan, _name=_name):
        scalar = not isinstance(q, Tensor)
        if scalar:
            if not 0 <= q <= 1:
                raise RuntimeError(f"{_name}() q must be in the range [0, 1] but got {q}")
        return _q_op(input, q, dim, keepdim, interpolation, _nan, scalar or q.ndim == 0, out=out)
    _fn(_name, _quantile_fn, method=True)


_fn("msort", lambda input, *, out=None: FUNCTIONS["sort"](input, 0)[0], method=True)


def _aminmax(x, dim, keepdim):
    if x.size == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    axis = None if dim is None else _wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        axis = None
    kd = keepdim and axis is not None
    lo, hi = jnp.min(x, axis=axis, keepdims=kd), jnp.max(x, axis=axis, keepdims=kd)
    if keepdim and axis is None and x.ndim:
        lo, hi = lo.reshape((1,) * x.ndim), hi.reshape((1,) * x.ndim)
    return lo, hi


_op("aminmax(Tensor self, *, int? dim=None, bool keepdim=False)", _aminmax, dtype="keep", returns=("min", "max"))


# ---- searching a sorted sequence ----------------------------------------------------------------------
def _searchsorted(seq, x, sorter, out_int32, right, side):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    if sorter is not None:
        seq = jnp.take_along_axis(seq, sorter, axis=-1)
    s = "right" if right else "left"
    dt = jnp.int32 if out_int32 else jnp.int64
    if seq.ndim <= 1:
        return jnp.searchsorted(seq, x, side=s).astype(dt)
    if seq.shape[:-1] != x.shape[:-1]:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions "
                           "of boundaries tensor and input value tensor must match")
    fs = seq.reshape(-1, seq.shape[-1])
    fx = x.reshape(-1, x.shape[-1])
    r = jax.vmap(lambda a, v: jnp.searchsorted(a, v, side=s))(fs, fx)
    return r.reshape(x.shape).astype(dt)


def _search_dtype(args, statics=None):
    seq, x = args[0], args[1]
    d = _promoted([seq, x])
    return (d, d, None)


_SEARCHSORTED = _private("_searchsorted(Tensor sorted_sequence, Tensor self, Tensor? sorter, bool out_int32, "
                         "bool right, str? side)", _searchsorted, differentiable=False, dtype=_search_dtype)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
    return _SEARCHSORTED(sorted_sequence, input, sorter, out_int32, right, side, out=out)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return _SEARCHSORTED(boundaries, input, None, out_int32, right, None, out=out)


_fn("searchsorted", searchsorted)
_fn("bucketize", bucketize)


# ---- Tensor.sum_to_size ----------------------------------------------------------------------------------
def _sum_to_size(self, *size):
    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    if len(size) == 1 and isinstance(size[0], (list, tuple)):
        size = tuple(size[0])
    size = tuple(size)
    if not size:
        return self.sum()
    lead = self.ndim - len(size)
    if lead < 0:
        raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size "
                           f"{{{', '.join(map(str, self.shape))}}}.")
    dims = list(range(lead)) + [lead + i for i, n in enumerate(size) if n == 1 and self.shape[lead + i] != 1]
    for i, n in enumerate(size):
        if n != 1 and n != self.shape[lead + i]:
            raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size "
                               f"{{{', '.join(map(str, self.shape))}}}.")
    r = self.sum(dims, keepdim=True) if dims else self
    return r.reshape(size) if lead else r


_fn("sum_to_size", _sum_to_size, method=True, function=False)


# out= rules stricter than the registry's default: PyTorch refuses an out= tensor sharing any memory
# with an input (not only partly) for ops whose output is not elementwise in their inputs, and an
# out= tensor of another dtype for some ops
for _name in ("kthvalue", "_max_dim", "_min_dim"):
    OPS[_name].out_no_alias = True
OPS["aminmax"].out_exact_dtype = True
