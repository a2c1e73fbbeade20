"""torch.masked: reductions and normalisations over the elements a boolean ``mask`` selects.

Each function fills the masked-out elements with the identity of its operation
(0 for sums, 1 for products, -inf/+inf for max/min, NaN for the median) and
then runs the plain operation, so a fully masked slice gives that identity
(or NaN where the operation has none: mean, var, median, softmax), as in
PyTorch's strided implementation.  ``mask=None`` selects everything.
"""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp

from ._registry import _wrap_dim, defop
from ._ops_reduce import _median_dim
from .linalg import _vector_norm_impl

__all__ = ["sum", "prod", "amax", "amin", "argmax", "argmin", "mean", "median", "logsumexp", "norm", "var", "std",
           "cumsum", "cumprod", "softmax", "log_softmax", "softmin", "normalize", "logaddexp"]


def _mask(x, mask):
    if mask is None:
        return jnp.ones(x.shape, bool)
    return jnp.broadcast_to(mask.astype(bool), x.shape)


def _axes(x, dim):
    if dim is None or dim == ():
        return None
    out = [_wrap_dim(d, x.ndim) for d in dim]
    return tuple(out) if x.ndim else None


def _cast(x, dtype):
    return x if dtype is None else x.astype(dtype.np)


def _lowest(dtype):
    return -jnp.inf if jnp.issubdtype(dtype, jnp.inexact) else jnp.iinfo(dtype).min


def _highest(dtype):
    return jnp.inf if jnp.issubdtype(dtype, jnp.inexact) else jnp.iinfo(dtype).max


def _acc(x, dtype):
    if dtype is not None:
        return dtype.np
    if x.dtype == jnp.bool_ or jnp.issubdtype(x.dtype, jnp.integer):
        return jnp.int64
    return x.dtype


def _declare(name, sig, impl, grad):
    return defop(f"_masked_{name}({sig})", impl, grad=grad, dtype="keep", function=False, method=False).function


_RED = "Tensor self, Index? mask, int[]? dim, bool keepdim, ScalarType? dtype"


def _sum(x, mask, dim, keepdim, dtype):
    acc = _acc(x, dtype)
    return jnp.sum(jnp.where(_mask(x, mask), x, 0).astype(acc), axis=_axes(x, dim), keepdims=keepdim)


def _prod(x, mask, dim, keepdim, dtype):
    acc = _acc(x, dtype)
    return jnp.prod(jnp.where(_mask(x, mask), x, 1).astype(acc), axis=_axes(x, dim), keepdims=keepdim)


def _amax(x, mask, dim, keepdim, dtype):
    x = _cast(x, dtype)
    return jnp.max(jnp.where(_mask(x, mask), x, _lowest(x.dtype)), axis=_axes(x, dim), keepdims=keepdim)


def _amin(x, mask, dim, keepdim, dtype):
    x = _cast(x, dtype)
    return jnp.min(jnp.where(_mask(x, mask), x, _highest(x.dtype)), axis=_axes(x, dim), keepdims=keepdim)


def _arg(fn, fill):
    def impl(x, mask, dim, keepdim, dtype):
        out_dtype = x.dtype if dtype is None else dtype.np
        filled = jnp.where(_mask(x, mask), x, fill(x.dtype))
        if dim is None or x.ndim == 0:
            r = fn(filled.reshape(-1))
            if keepdim:
                r = r.reshape((1,) * x.ndim)
        else:
            r = fn(filled, axis=_axes(x, (dim,))[0], keepdims=keepdim)
        return r.astype(out_dtype)
    return impl


def _mean(x, mask, dim, keepdim, dtype):
    x = _cast(x, dtype)
    m = _mask(x, mask)
    axes = _axes(x, dim)
    total = jnp.sum(jnp.where(m, x, 0), axis=axes, keepdims=keepdim)
    count = jnp.sum(m, axis=axes, keepdims=keepdim)
    return total / count.astype(x.dtype)


def _logsumexp(x, mask, dim, keepdim, dtype):
    x = _cast(x, dtype)
    if not jnp.issubdtype(x.dtype, jnp.inexact):      # PyTorch keeps integer inputs' dtype (truncating)
        r = jsp.logsumexp(jnp.where(_mask(x, mask), x.astype(jnp.float64), -jnp.inf), axis=_axes(x, dim),
                          keepdims=keepdim)
        return r.astype(x.dtype)
    return jsp.logsumexp(jnp.where(_mask(x, mask), x, -jnp.inf), axis=_axes(x, dim), keepdims=keepdim)


_SUM = _declare("sum", _RED, _sum, "SumBackward1")
_PROD = _declare("prod", _RED, _prod, "ProdBackward1")
_AMAX = _declare("amax", _RED, _amax, "AmaxBackward0")
_AMIN = _declare("amin", _RED, _amin, "AminBackward0")
_MEAN = _declare("mean", _RED, _mean, "DivBackward0")
_LOGSUMEXP = _declare("logsumexp", _RED, _logsumexp, "LogsumexpBackward0")
_ARGMAX = defop(f"_masked_argmax(Tensor self, Index? mask, int? dim, bool keepdim, ScalarType? dtype)",
                _arg(jnp.argmax, _lowest), dtype="keep", function=False, method=False, differentiable=False).function
_ARGMIN = defop(f"_masked_argmin(Tensor self, Index? mask, int? dim, bool keepdim, ScalarType? dtype)",
                _arg(jnp.argmin, _highest), dtype="keep", function=False, method=False, differentiable=False).function


def _dims(dim):
    if dim is None:
        return None
    return (dim,) if isinstance(dim, int) else tuple(dim)


def _reduction(op):
    def f(input, dim=None, *, keepdim=False, dtype=None, mask=None):
        return op(input, mask, _dims(dim), keepdim, dtype)
    return f


sum = _reduction(_SUM)          # noqa: A001
prod = _reduction(_PROD)
amax = _reduction(_AMAX)
amin = _reduction(_AMIN)
mean = _reduction(_MEAN)
logsumexp = _reduction(_LOGSUMEXP)


def argmax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    return _ARGMAX(input, mask, dim, keepdim, dtype)


def argmin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    return _ARGMIN(input, mask, dim, keepdim, dtype)


# ---- median, norm, var/std --------------------------------------------------------------------------
def _median(x, mask, dim, keepdim, dtype):
    x = _cast(x, dtype)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.float32)
    filled = jnp.where(_mask(x, mask), x, jnp.nan)
    if x.ndim == 0:
        return filled
    return _median_dim(filled, dim, keepdim, True)[0]


_MEDIAN = defop("_masked_median(Tensor self, Index? mask, int dim, bool keepdim, ScalarType? dtype)", _median,
                grad="NanmedianBackward1", dtype="keep", function=False, method=False).function


def median(input, dim=-1, *, keepdim=False, dtype=None, mask=None):
    return _MEDIAN(input, mask, dim, keepdim, dtype)


def _norm(x, mask, ord, dim, keepdim, dtype):
    x = _cast(x, dtype)
    fill = jnp.inf if ord == float("-inf") or ord < 0 else 0
    filled = jnp.where(_mask(x, mask), x, jnp.asarray(fill, x.dtype) if fill else jnp.zeros((), x.dtype))
    return _vector_norm_impl(filled, ord, dim, keepdim, None)


_NORM = defop("_masked_norm(Tensor self, Index? mask, Scalar ord, int[]? dim, bool keepdim, ScalarType? dtype)",
              _norm, grad="LinalgVectorNormBackward0", dtype="keep", function=False, method=False).function


def norm(input, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None):
    return _NORM(input, mask, ord, _dims(dim), keepdim, dtype)


def _var(x, mask, dim, correction, keepdim, dtype, take_sqrt):
    x = _cast(x, dtype)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.float32)
    m = _mask(x, mask)
    axes = _axes(x, dim)
    count = jnp.sum(m, axis=axes, keepdims=True).astype(x.dtype)
    mu = jnp.sum(jnp.where(m, x, 0), axis=axes, keepdims=True) / count
    d = jnp.where(m, x - mu, 0)
    ssd = jnp.sum(d * jnp.conj(d) if jnp.iscomplexobj(d) else d * d, axis=axes, keepdims=keepdim)
    denom = count - correction
    if not keepdim:
        denom = denom.reshape(ssd.shape)
    ok = denom > 0
    v = jnp.where(ok, ssd / jnp.where(ok, denom, 1), jnp.nan)
    return jnp.sqrt(v) if take_sqrt else v


_VAR = defop("_masked_var(Tensor self, Index? mask, int[]? dim, float correction, bool keepdim, ScalarType? dtype, "
             "bool take_sqrt)", _var, grad=lambda args, statics: "SqrtBackward0" if statics[-1] else "DivBackward0", dtype="keep", function=False, method=False).function


def var(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    if correction is None:
        correction = 0 if unbiased is False else 1
    return _VAR(input, mask, _dims(dim), float(correction), keepdim, dtype, False)


def std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    if correction is None:
        correction = 0 if unbiased is False else 1
    return _VAR(input, mask, _dims(dim), float(correction), keepdim, dtype, True)


# ---- along one dimension ---------------------------------------------------------------------------------
_ALONG = "Tensor self, Index? mask, int dim, ScalarType? dtype"


def _cum(fn, fill):
    def impl(x, mask, dim, dtype):
        x = _cast(x, dtype) if dtype is not None else (x.astype(jnp.int64) if not jnp.issubdtype(x.dtype, jnp.inexact)
                                                        else x)
        filled = jnp.where(_mask(x, mask), x, fill)
        return fn(filled, axis=dim % builtins.max(x.ndim, 1)) if x.ndim else filled
    return impl


def _softmax_like(kind):
    def impl(x, mask, dim, dtype):
        x = _cast(x, dtype)
        m = _mask(x, mask)
        scalar = x.ndim == 0
        if scalar:
            x, m = x.reshape(1), m.reshape(1)
        d = dim % x.ndim
        filled = jnp.where(m, -x if kind == "softmin" else x, -jnp.inf)
        r = jax.nn.log_softmax(filled, axis=d) if kind == "log_softmax" else jax.nn.softmax(filled, axis=d)
        return r.reshape(()) if scalar else r
    return impl


_CUMSUM = defop(f"_masked_cumsum({_ALONG})", _cum(jnp.cumsum, 0), grad="CumsumBackward0", dtype="keep",
                function=False, method=False).function
_CUMPROD = defop(f"_masked_cumprod({_ALONG})", _cum(jnp.cumprod, 1), grad="CumprodBackward0", dtype="keep",
                 function=False, method=False).function
_SOFTMAX = defop(f"_masked_softmax({_ALONG})", _softmax_like("softmax"), grad="SoftmaxBackward0", dtype="keep",
                 function=False, method=False).function
_LOG_SOFTMAX = defop(f"_masked_log_softmax({_ALONG})", _softmax_like("log_softmax"), grad="LogSoftmaxBackward0",
                     dtype="keep", function=False, method=False).function
_SOFTMIN = defop(f"_masked_softmin({_ALONG})", _softmax_like("softmin"), grad="SoftmaxBackward0", dtype="keep",
                 function=False, method=False).function


def _along(op):
    def f(input, dim, *, dtype=None, mask=None):
        return op(input, mask, dim, dtype)
    return f


cumsum = _along(_CUMSUM)
cumprod = _along(_CUMPROD)
softmax = _along(_SOFTMAX)
log_softmax = _along(_LOG_SOFTMAX)
softmin = _along(_SOFTMIN)


def _normalize(x, mask, ord, dim, eps, dtype):
    x = _cast(x, dtype)
    filled = jnp.where(_mask(x, mask), x, jnp.zeros((), x.dtype))
    n = _vector_norm_impl(filled, ord, (dim,), True, None)
    return filled / jnp.maximum(n, eps)


_NORMALIZE = defop("_masked_normalize(Tensor self, Index? mask, Scalar ord, int dim, float eps, ScalarType? dtype)",
                   _normalize, grad="DivBackward0", dtype="keep", function=False, method=False).function


def normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None):
    return _NORMALIZE(input, mask, ord, dim, eps, dtype)


def _logaddexp(x, y, xm, ym, dtype):
    x, y = _cast(x, dtype), _cast(y, dtype)
    return jnp.logaddexp(jnp.where(_mask(x, xm), x, -jnp.inf), jnp.where(_mask(y, ym), y, -jnp.inf))


_LOGADDEXP = defop("_masked_logaddexp(Tensor self, Tensor other, Index? input_mask, Index? other_mask, "
                   "ScalarType? dtype)", _logaddexp, grad="LogaddexpBackward0", dtype="promote", function=False,
                   method=False).function


def logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None):
    return _LOGADDEXP(input, other, input_mask, other_mask, dtype)


from ._masked_tensor import MaskedTensor, as_masked_tensor, is_masked_tensor, masked_tensor  # noqa: E402,F401

__all__ += ["MaskedTensor", "masked_tensor", "as_masked_tensor", "is_masked_tensor"]
