"""Statistics: histograms (``histc``, ``histogram``, ``bincount``), ``cov`` and ``corrcoef``.  (Order
statistics, ``median``/``quantile``/``mode``, are reductions: ``_ops_reduce``.)"""
from __future__ import annotations

import builtins

import jax.numpy as jnp
import numpy as np
from jax import lax

from . import _dtype as D
from ._registry import _return_type, _type_word
from ._tensor import Tensor
from ._ops_common import _float_only, _fn, _op, _private

# ---- histograms --------------------------------------------------------------------------------------
def _histc(x, bins, lo, hi):
    if bins <= 0:
        raise RuntimeError("torch.histc(): bins must be > 0, but got " f"{bins} for bins")
    x = x.reshape(-1)
    lo = jnp.asarray(lo, x.dtype)
    hi = jnp.asarray(hi, x.dtype)
    if x.size:
        same = lo == hi
        lo = jnp.where(same, jnp.min(x), lo)
        hi = jnp.where(same, jnp.max(x), hi)
    same = lo == hi
    lo, hi = jnp.where(same, lo - 1, lo), jnp.where(same, hi + 1, hi)
    inside = (x >= lo) & (x <= hi) & ~jnp.isnan(x)
    b = ((x - lo) * bins / (hi - lo)).astype(jnp.int64)
    b = jnp.where(b == bins, bins - 1, b)
    b = jnp.where(inside, b, bins)
    return jnp.zeros(bins + 1, x.dtype).at[b].add(1)[:bins]


_op("histc(Tensor self, int bins=100, Scalar min=0, Scalar max=0)", _histc, dtype=_float_only("histogram_cpu"),
    differentiable=False)


def bincount(input, weights=None, minlength=0):
    """Counts of each value of a 1-D non-negative integer tensor (``weights``: sums of them), at least
    ``minlength`` long.  The length depends on the values, so they are read on the host, as PyTorch's kernel
    reads them; the result records no gradient (PyTorch's has none either)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bincount(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.dtype.category != D.INT:
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{_type_word(input.dtype)}\'')
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    values = np.asarray(input.detach()._arr()).astype(np.int64)
    if input.ndim != 1 or (values.size and values.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != values.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    n = builtins.max(int(values.max()) + 1 if values.size else 0, minlength)
    if weights is None:
        out, dtype = np.bincount(values, minlength=n), D.int64
    else:
        dtype = D.float32 if weights.dtype is D.float32 else D.float64
        out = np.bincount(values, np.asarray(weights.detach()._arr()).astype(np.float64), minlength=n)
    return Tensor._wrap(jnp.asarray(out.astype(dtype.np)))


_fn("bincount", bincount, method=True)


def _histogram(x, edges_in, weight, bins, rng, density):
    x = x.reshape(-1)
    w = None if weight is None else weight.reshape(-1)
    if edges_in is not None:
        edges = edges_in.astype(x.dtype)
    else:
        if rng is not None:
            lo, hi = jnp.asarray(rng[0], x.dtype), jnp.asarray(rng[1], x.dtype)
        elif x.size:
            lo, hi = jnp.min(x), jnp.max(x)
        else:
            lo, hi = jnp.asarray(0, x.dtype), jnp.asarray(0, x.dtype)
        same = lo == hi
        lo, hi = jnp.where(same, lo - 0.5, lo), jnp.where(same, hi + 0.5, hi)
        edges = lo + (hi - lo) * jnp.arange(bins + 1, dtype=x.dtype) / bins
        edges = edges.at[-1].set(hi)
    nb = edges.shape[0] - 1
    idx = jnp.searchsorted(edges, x, side="right") - 1
    idx = jnp.where(x == edges[-1], nb - 1, idx)
    inside = (x >= edges[0]) & (x <= edges[-1])
    idx = jnp.where(inside, idx, nb)
    hist = jnp.zeros(nb + 1, x.dtype).at[idx].add(jnp.ones_like(x) if w is None else w.astype(x.dtype))[:nb]
    if density:
        widths = jnp.diff(edges)
        hist = hist / (jnp.sum(hist) * widths)
    return hist, edges


_HISTOGRAM = _private("_histogram(Tensor self, Tensor? bins_tensor, Tensor? weight, int bins, any range, bool density)",
                      _histogram, differentiable=False, dtype=_float_only("histogram"),
                      returns=("hist", "bin_edges"))


_HISTOGRAM_RESULT = _return_type("histogram", ("hist", "bin_edges"))     # made at import: torch.return_types lists it


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    r = _HISTOGRAM_RESULT
    if isinstance(bins, Tensor):
        h, e = _HISTOGRAM(input, bins, weight, 0, None, density)
    else:
        h, e = _HISTOGRAM(input, None, weight, int(bins), None if range is None else tuple(float(v) for v in range),
                          density)
    return r(h, e)


_fn("histogram", histogram, method=True)


# ---- covariance, correlation -------------------------------------------------------------------------
def _cov(x, fweights, aweights, correction):
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {x.ndim} "
                           "dimensions")
    obs = x.reshape(1, -1) if x.ndim < 2 else x
    for name, w in (("fweights", fweights), ("aweights", aweights)):
        if w is None:
            continue
        if w.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                               f"{w.ndim} dimensions")
        if w.size != obs.shape[1]:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                               f"input but got {w.size} != {obs.shape[1]}")
    if fweights is not None and not jnp.issubdtype(fweights.dtype, jnp.integer):
        raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                           f"{_type_word(D._BY_NP[fweights.dtype])} dtype")
    if aweights is not None and not jnp.issubdtype(aweights.dtype, jnp.floating):
        raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                           f"{_type_word(D._BY_NP[aweights.dtype])} dtype")
    if not jnp.issubdtype(obs.dtype, jnp.inexact):
        obs = obs.astype(jnp.float32)
    n = obs.shape[1]
    w = None
    if fweights is not None:
        w = fweights.astype(obs.dtype)
    if aweights is not None:
        w = aweights.astype(obs.dtype) if w is None else w * aweights.astype(obs.dtype)
    if w is None:
        avg = jnp.mean(obs, axis=1)
        w_sum = jnp.asarray(n, obs.dtype)
        norm = w_sum - correction
    else:
        w_sum = jnp.sum(w)
        avg = jnp.sum(obs * w, axis=1) / w_sum
        if aweights is None or correction == 0:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * jnp.sum(w * aweights.astype(obs.dtype)) / w_sum
    norm = jnp.maximum(norm, 0)
    xm = obs - avg[:, None]
    xw = xm if w is None else xm * w
    c = xw @ jnp.conj(xm).T / norm
    return jnp.squeeze(c) if x.ndim < 2 or obs.shape[0] == 1 else c


def _cov_dtype(args, statics=None):
    x = args[0]
    d = x._dtype if x._dtype.category >= D.FLOAT else D.get_default_dtype()
    return (d, None, None)


_COV = _private("_cov(Tensor self, Tensor? fweights, Tensor? aweights, int correction)", _cov,
                grad="SqueezeBackward0", dtype=_cov_dtype)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) of ``input`` over its columns (observations)."""
    return _COV(input, fweights, aweights, int(correction))


def _corrcoef(x):
    c = _cov(x, None, None, 1)
    if c.ndim == 0:
        return c / c
    d = jnp.diagonal(c)
    std = jnp.sqrt(jnp.real(d))
    c = c / std[:, None] / std[None, :]
    if jnp.iscomplexobj(c):
        return lax.complex(jnp.clip(c.real, -1, 1), jnp.clip(c.imag, -1, 1))
    return jnp.clip(c, -1, 1)


_CORRCOEF = _private("_corrcoef(Tensor self)", _corrcoef, grad="ClampBackward1",
                     dtype=lambda args, statics=None: args[0]._dtype if args[0]._dtype.category >= D.FLOAT
                     else D.get_default_dtype())
_fn("cov", cov, method=True)
_fn("corrcoef", lambda input: _CORRCOEF(input), method=True)
