"""torch.special: declarations over ``jax.scipy.special`` (and aliases of top-level ops).

Ops with a JAX implementation are declared with ``defop`` (differentiable, grad_fn
named as PyTorch names it).  The Bessel/Airy functions PyTorch evaluates with
Cephes and does not differentiate (``bessel_j0``, ``bessel_y0``,
``modified_bessel_k0``, ``airy_ai``, ...) have no JAX counterpart: they run
SciPy's float64 implementations on the host (``jax.pure_callback``) and round
to the input's dtype; they are not differentiable, as in PyTorch.  The
orthogonal-polynomial families take the degree ``n`` as a tensor (truncated to
an integer, negative degrees give 0) and evaluate the three-term recurrence.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
from jax import lax

from ._ops_pointwise import _no_derivative
from ._polygamma import _polygamma_fn_of
from ._registry import FUNCTIONS, defop
from ._names import publish, publish_in
from ._tensor import Tensor

__all__ = []


def _publish(op, name):
    return publish_in(globals(), op, name)


def _special(name, impl, grad=None, *, sig="Tensor self", differentiable=True):
    op = defop(f"special_{name}({sig})", impl, grad=grad, dtype="float", function=False, method=False,
               differentiable=differentiable)
    return _publish(op, name)


# ---- aliases of top-level ops (PyTorch's special.X is torch.X, same grad_fn) --------------------
_ALIASES = {"expit": "sigmoid", "exp2": "exp2", "expm1": "expm1", "erf": "erf", "erfc": "erfc", "erfinv": "erfinv",
            "gammaln": "lgamma", "digamma": "digamma", "psi": "digamma", "i0": "i0", "sinc": "sinc", "log1p": "log1p", "xlogy": "xlogy", "logsumexp": "logsumexp", "logit": "logit",
            "polygamma": "polygamma", "multigammaln": "mvlgamma", "softmax": "softmax",
            "log_softmax": "log_softmax", "gammainc": "igamma", "gammaincc": "igammac"}


def round(input, *, decimals=0, out=None):     # noqa: A001 - torch.special.round
    """``torch.round`` with PyTorch's ``decimals`` overload (grad_fn ``RoundBackward1``)."""
    return FUNCTIONS["round"](input, decimals=decimals, out=out)


__all__.append("round")


def __getattr__(name):
    """Aliases resolve at use, so that top-level ops declared in any module are found."""
    target = _ALIASES.get(name)
    if target is not None and target in FUNCTIONS:
        return FUNCTIONS[target]
    raise AttributeError(f"module 'torchlike.special' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_ALIASES))


__all__ += list(_ALIASES)


# ---- differentiable special functions ---------------------------------------------------------
_special("i0e", jsp.i0e, "SpecialI0EBackward0")
_special("i1", jsp.i1, "SpecialI1Backward0")
_special("i1e", jsp.i1e, "SpecialI1EBackward0")
_special("ndtr", jsp.ndtr, "MulBackward1")
_special("ndtri", jsp.ndtri, "SpecialNdtriBackward0")
_special("log_ndtr", jsp.log_ndtr, "SpecialLogNdtrBackward0")
_special("entr", jsp.entr, "SpecialEntrBackward0")


@jax.custom_jvp
def _erfcx(x):
    """exp(x^2) * erfc(x), evaluated in float64 (asymptotic series where erfc underflows)."""
    w = x.astype(jnp.float64)
    big = w > 25.0
    safe = jnp.where(big, 1.0, w)
    direct = jnp.exp(safe * safe) * jsp.erfc(safe)
    wb = jnp.where(big, w, 30.0)
    inv2 = 1.0 / (wb * wb)
    asym = (1.0 - 0.5 * inv2 + 0.75 * inv2 * inv2 - 1.875 * inv2 ** 3) / (wb * math.sqrt(math.pi))
    return jnp.where(big, asym, direct).astype(x.dtype)


@_erfcx.defjvp
def _erfcx_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    y = _erfcx(x)
    return y, (2 * x * y - 2 / math.sqrt(math.pi)) * dx


_special("erfcx", _erfcx, "SpecialErfcxBackward0")


def _xlog1py_name(args, statics):
    if not isinstance(args[0], Tensor):
        return "SpecialXlog1PyBackward1"
    if not isinstance(args[1], Tensor):
        return "SpecialXlog1PyBackward2"
    return "SpecialXlog1PyBackward0"


_special("xlog1py", jsp.xlog1py, _xlog1py_name, sig="Tensor self, Tensor other")


def _zeta_name(args, statics):
    if not isinstance(args[0], Tensor):
        return "SpecialZetaBackward1"
    if not isinstance(args[1], Tensor):
        return "SpecialZetaBackward2"
    return "SpecialZetaBackward0"


@jax.custom_vjp
def _zeta(s, q):
    return jsp.zeta(s, q)


def _zeta_fwd(s, q):
    return jsp.zeta(s, q), (s, q)


def _zeta_bwd(res, g):
    s, q = res      # d/dq zeta(s, q) = -s zeta(s + 1, q); PyTorch has no derivative in s (the op below)
    return jnp.zeros_like(s), g * -s * jsp.zeta(s + 1, q)


_zeta.defvjp(_zeta_fwd, _zeta_bwd)
_ZETA = defop("special_zeta(Tensor self, Tensor other)", _zeta, grad=_zeta_name, dtype="float", function=False,
              method=False)
_ZETA_S_GRAD = defop("_special_zeta_s_grad(Tensor self, Tensor other)",
                     _no_derivative(jsp.zeta, "zeta", "the derivative for 'zeta' is not implemented.",
                                    NotImplementedError),
                     grad=_zeta_name, dtype="float", function=False, method=False)


def zeta(input, other, *, out=None):
    """The Hurwitz zeta function; differentiable in ``other`` only (its backward in ``input`` raises
    PyTorch's NotImplementedError)."""
    op = _ZETA_S_GRAD if isinstance(input, Tensor) and input.requires_grad else _ZETA
    return op.function(input, other, out=out)


__all__.append("zeta")


# ---- polygamma / multigammaln (top-level torch.polygamma, torch.mvlgamma too) ---------------------
def _polygamma(x, n):
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return _polygamma_fn_of(n)(x)


_POLYGAMMA = defop("_polygamma(Tensor self, int n)", _polygamma, grad="PolygammaBackward0", dtype="float",
                   function=False, method=False)
_polygamma_fn = _POLYGAMMA.function


def polygamma(n, input, *, out=None):
    """torch.special.polygamma(n, input): the n-th derivative of the digamma function."""
    return _polygamma_fn(input, n, out=out)


def _polygamma_method(self, n):
    return _polygamma_fn(self, n)


def _mvlgamma(x, p):
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    i = jnp.arange(p, dtype=x.dtype)
    return jnp.sum(jsp.gammaln(x[..., None] - i / 2), axis=-1) + p * (p - 1) / 4 * math.log(math.pi)


_MVLGAMMA = defop("_mvlgamma(Tensor self, int p)", _mvlgamma, grad="MvlgammaBackward0", dtype="float",
                  function=False, method=False)
_mvlgamma_fn = _MVLGAMMA.function


def multigammaln(input, p, *, out=None):
    """torch.special.multigammaln / torch.mvlgamma: the multivariate log-gamma of dimension ``p``."""
    return _mvlgamma_fn(input, p, out=out)


for _name, _fn in (("polygamma", polygamma), ("mvlgamma", multigammaln)):
    publish(_name, _fn)
publish("polygamma", method=_polygamma_method)
publish("mvlgamma", method=lambda self, p: _mvlgamma_fn(self, p))
globals()["polygamma"] = polygamma
globals()["multigammaln"] = multigammaln
__all__ += [n for n in ("polygamma", "multigammaln") if n not in __all__]


# ---- Bessel and Airy functions (SciPy on the host; not differentiable) -----------------------------
def _host(fname, index=None):
    def impl(x):
        import scipy.special as ss
        f = getattr(ss, fname)
        dtype = x.dtype

        def run(a):
            r = f(np.asarray(a, np.float64))
            if index is not None:
                r = r[index]
            return np.asarray(r, dtype=dtype)
        return jax.pure_callback(run, jax.ShapeDtypeStruct(x.shape, dtype), x, vmap_method="expand_dims")
    impl.__name__ = fname
    return impl


for _name, _fname in (("bessel_j0", "j0"), ("bessel_j1", "j1"), ("bessel_y0", "y0"), ("bessel_y1", "y1"),
                      ("modified_bessel_k0", "k0"), ("modified_bessel_k1", "k1"),
                      ("scaled_modified_bessel_k0", "k0e"), ("scaled_modified_bessel_k1", "k1e")):
    _special(_name, _host(_fname), differentiable=False)
_special("airy_ai", _host("airy", 0), differentiable=False)
_special("modified_bessel_i0", jsp.i0, differentiable=False)
_special("modified_bessel_i1", jsp.i1, differentiable=False)


def _spherical_j0(x):
    small = jnp.abs(x) < 0.5
    safe = jnp.where(small, 1.0, x)
    x2 = x * x
    series = 1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72 * (1 - x2 / 110))))
    return jnp.where(jnp.isinf(x), 0.0, jnp.where(small, series, jnp.sin(safe) / safe)).astype(x.dtype)


_special("spherical_bessel_j0", _spherical_j0, differentiable=False)


# ---- orthogonal polynomials -------------------------------------------------------------------------
def _recurrence(p0, p1, step, x, n):
    """Evaluate p_n(x) by a three-term recurrence, element-wise in ``n`` (n < 0 gives 0)."""
    top = jnp.maximum(jnp.max(n, initial=1), 1)

    def body(k, pq):
        p, q = pq
        r = step(k, x, p, q)
        keep = k <= n
        return jnp.where(keep, q, p), jnp.where(keep, r, q)

    _, q = lax.fori_loop(2, top + 1, body, (p0, p1))
    out = jnp.where(n == 0, p0, q)
    return jnp.where(n < 0, jnp.zeros_like(x), out)


def _poly(kind, shifted=False):
    def impl(x, n):
        x, n = jnp.broadcast_arrays(x, n)
        n = n.astype(jnp.int64) if not jnp.issubdtype(n.dtype, jnp.integer) else n
        xs = x + x - 1 if shifted else x
        one = jnp.ones_like(x)
        two_x = xs + xs
        if kind == "T":
            r = _recurrence(one, xs, lambda k, x, p, q: two_x * q - p, xs, n)
            at_one = jnp.where((xs > 0) | (n % 2 == 0), 1.0, -1.0)
        elif kind == "U":
            r = _recurrence(one, two_x, lambda k, x, p, q: two_x * q - p, xs, n)
            at_one = jnp.where((xs > 0) | (n % 2 == 0), n + 1, -(n + 1))
        elif kind == "V":
            r = _recurrence(one, two_x - 1, lambda k, x, p, q: two_x * q - p, xs, n)
            at_one = jnp.where(xs > 0, 1, jnp.where(n % 2 == 0, n + n + 1, -(n + n + 1)))
        elif kind == "W":
            r = _recurrence(one, two_x + 1, lambda k, x, p, q: two_x * q - p, xs, n)
            at_one = jnp.where(xs > 0, n + n + 1, jnp.where(n % 2 == 0, 1, -1))
        elif kind == "H":
            return _recurrence(one, two_x, lambda k, x, p, q: two_x * q - (2 * (k - 1)).astype(x.dtype) * p, xs, n)
        elif kind == "He":
            return _recurrence(one, xs, lambda k, x, p, q: x * q - (k - 1).astype(x.dtype) * p, xs, n)
        elif kind == "L":
            return _recurrence(one, 1 - xs, lambda k, x, p, q:
                               ((2 * k - 1 - x) * q - (k - 1) * p) / k, xs, n)
        elif kind == "P":
            r = _recurrence(one, xs, lambda k, x, p, q: ((2 * k - 1) * x * q - (k - 1) * p) / k, xs, n)
            at_one = jnp.where((xs > 0) | (n % 2 == 0), 1.0, -1.0)
        r = jnp.where((jnp.abs(xs) == 1) & (n >= 0), at_one.astype(x.dtype), r)
        return r
    return impl


for _name, _kind in (("chebyshev_polynomial_t", "T"), ("chebyshev_polynomial_u", "U"),
                     ("chebyshev_polynomial_v", "V"), ("chebyshev_polynomial_w", "W"),
                     ("hermite_polynomial_h", "H"), ("hermite_polynomial_he", "He"),
                     ("laguerre_polynomial_l", "L"), ("legendre_polynomial_p", "P")):
    _special(_name, _poly(_kind), sig="Tensor self, Tensor n", differentiable=False)
for _kind in ("T", "U", "V", "W"):
    _special(f"shifted_chebyshev_polynomial_{_kind.lower()}", _poly(_kind, shifted=True), sig="Tensor self, Tensor n",
             differentiable=False)
