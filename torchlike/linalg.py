"""torch.linalg: declarations over ``jax.numpy.linalg`` / ``jax.lax.linalg``.

Every function here is an op declared once with ``defop`` (its grad_fn is the
class PyTorch names, its backward JAX's vjp of the implementation) and published
under its ``torch.linalg`` name; a few are composites of declared ops, as in
PyTorch.  The legacy top-level spellings (``torch.det``, ``torch.svd``,
``torch.cholesky``, ``Tensor.inverse``, ...) are declared here too, next to
their ``linalg`` counterparts.

Errors that depend on the values of the input (a singular matrix in
``inv``/``solve``/``lu_factor``, a matrix that is not positive-definite in
``cholesky``, NaN in ``svd``) are raised as PyTorch raises them
(:class:`LinAlgError`, PyTorch's messages, the batch element named): each of
these is a composite over its ``*_ex`` op, which returns LAPACK's ``info``
codes, and reads those codes on the host once (PyTorch synchronizes there too).
Under a JAX trace (``torchlike.compile``, ``torch.func`` transforms) the codes
cannot be read, and nothing is raised (docs/differences.md).
"""
from __future__ import annotations

import builtins
import math

import jax
import jax.numpy as jnp
import numpy as np
import jax.scipy.linalg as jsl
from jax import lax

from . import _dtype as D
from ._registry import FUNCTIONS, _promoted, _type_word, _wrap_dim, defop
from ._names import publish, publish_in
from ._creation import tensor
from ._registry import _return_type
from ._registry import call
from ._registry import FUNCTIONS as F
from ._registry import _Tensor
from ._creation import zeros
from ._ops_common import _float_only, _op

__all__ = []


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError (PyTorch's class is named ``_LinAlgError``; so is this one)."""


LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"
_LinAlgError = LinAlgError


# ---- declaring -----------------------------------------------------------------
def _publish(op, name):
    """Make the op's generated function ``torch.linalg.<name>``."""
    return publish_in(globals(), op, name)


def _linop(sig, impl, name, *, grad, dtype=None, **kw):
    op = defop(sig, impl, grad=grad, function=False, method=False, dtype=dtype or _float_input(name), **kw)
    return _publish(op, name)


def _top(sig, impl, *, grad, dtype, method=True, **kw):
    """A legacy top-level op (``torch.det``, ``Tensor.det``)."""
    return defop(sig, impl, grad=grad, dtype=dtype, method=method, **kw).function


def _composite(fn, name, *, top=None, method=None):
    """Publish a composite (written in terms of declared ops) as ``torch.linalg.<name>``."""
    if name is not None:
        fn.__name__ = fn.__qualname__ = name
        globals()[name] = fn
        __all__.append(name)
    if top:
        publish(top, fn)
    if method:
        publish(method, method=fn)
    return fn


# ---- dtype rules and checks ------------------------------------------------------
def _float_input(name, n=None):
    """linalg ops take floating or complex tensors; several inputs must share one dtype."""
    def rule(args, statics=None):
        ts = [a for a in args[:n] if a is not None and hasattr(a, "_dtype")]
        if not ts:
            return _promoted(args)
        d = ts[0]._dtype
        if d.category < D.FLOAT:
            raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_type_word(d)}")
        for other, label in zip(ts[1:], "BCD"):
            if other._dtype is not d:
                raise RuntimeError(f"{name}: Expected A and {label} to have the same dtype, but found A of type "
                                   f"{_type_word(d)} and {label} of type {_type_word(other._dtype)} instead")
        if n is not None:
            return tuple(d if i < n else None for i in range(len(args)))
        return d
    return rule


def _matrix(a, name, arg="A"):
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")


def _square(a, name, arg="A"):
    _matrix(a, name, arg)
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: {arg} must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


def _mH(x):
    x = jnp.swapaxes(x, -1, -2)
    return jnp.conj(x) if jnp.iscomplexobj(x) else x


def _real_dtype(x):
    return jnp.real(jnp.zeros((), x.dtype)).dtype


def _batch_broadcast(a, b, core_a=2, core_b=2):
    """Broadcast the batch dimensions of ``a`` and ``b`` against each other."""
    batch = jnp.broadcast_shapes(a.shape[:a.ndim - core_a], b.shape[:b.ndim - core_b])
    return (jnp.broadcast_to(a, batch + a.shape[a.ndim - core_a:]),
            jnp.broadcast_to(b, batch + b.shape[b.ndim - core_b:]))


def _info_from_diag(diag, nonfinite=False):
    """LAPACK's info: 1 + the index of the first exactly zero pivot (``getrf``: NaN is not a failure), or
    with ``nonfinite`` also of the first NaN/inf one (a failed Cholesky step); 0 when none."""
    bad = (diag == 0) | ~jnp.isfinite(diag) if nonfinite else diag == 0
    return jnp.where(bad.any(-1), jnp.argmax(bad, -1) + 1, 0).astype(jnp.int32)


# ---- value-dependent errors, read from info codes on the host -------------------------------------
def _codes(info):
    """``info`` (a Tensor or JAX array) as numpy, or None where no element failed or the value cannot be
    read (a JAX tracer: under ``torchlike.compile`` / ``torch.func`` nothing is raised)."""
    a = info._arr() if hasattr(info, "_arr") else info
    if isinstance(a, jax.core.Tracer):
        return None
    codes = np.asarray(a)
    return codes if codes.any() else None


def _raise(codes, batched, name, message, cls=LinAlgError):
    """Raise PyTorch's error for the first failed element: ``name: (Batch element i): message(code)``."""
    flat = codes.reshape(-1)
    i = int(np.flatnonzero(flat)[0])
    where = f"(Batch element {i}): " if batched else ""
    raise cls(f"{name}: {where}{message(int(flat[i]))}")


def _check(info, A, name, message, cls=LinAlgError):
    codes = _codes(info)
    if codes is not None:
        _raise(codes, A.ndim > 2, name, message, cls)


def _singular_inverse(code):
    return (f"The diagonal element {code} is zero, the inversion could not be completed because the input matrix "
            "is singular.")


def _singular_solve(code):
    return "The solver failed because the input matrix is singular."


def _not_positive_definite(code):
    return ("The factorization could not be completed because the input is not positive-definite (the leading "
            f"minor of order {code} is not positive-definite).")


def _zero_pivot(code):
    return (f"U[{code},{code}] is zero and using it on lu_solve would result in a division by zero. If you still "
            "want to perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, "
            "pivot)")


def _svd_nonfinite(code):
    return "The algorithm failed to converge because the input matrix contained non-finite values."


@jax.jit
def _nan_info(a):
    """1 for each matrix holding a NaN (LAPACK's SVD fails to converge on it; inf gives NaN results)."""
    return jnp.isnan(a).any((-2, -1)).astype(jnp.int32)


@jax.jit
def _zero_diagonal_info(a):
    return _info_from_diag(jnp.diagonal(a, axis1=-2, axis2=-1))


def _check_svd_input(A, name="linalg.svd"):
    """LinAlgError for a NaN in ``A``, where LAPACK's SVD fails (one jitted reduction and one host read)."""
    if A.ndim < 2 or min(A.shape[-2:]) == 0:
        return
    a = A._arr()
    if not isinstance(a, jax.core.Tracer):
        _check(_nan_info(a), A, name, _svd_nonfinite)


def _with_out(res, out):
    return res if out is None else _to_out(res, out)


def _named_float_input(args, statics):
    """``_float_input`` for ops whose last static argument is the public name their messages use."""
    return _float_input(statics[-1])(args, statics)


# ---- inverse, determinant ---------------------------------------------------------
def _inv_info(a):
    if a.shape[-1] == 0:
        return jnp.zeros(a.shape[:-2], jnp.int32)
    lu, _, _ = lax.linalg.lu(lax.stop_gradient(a))
    return _info_from_diag(jnp.diagonal(lu, axis1=-2, axis2=-1))


def _inv_ex(a, name):
    _square(a, name)
    return jnp.linalg.inv(a), _inv_info(a)


_INV_EX = defop("linalg_inv_ex(Tensor A, str name='linalg.inv')", _inv_ex, grad="LinalgInvExBackward0",
                function=False, method=False, dtype=_named_float_input, returns=("inverse", "info")).function


def inv_ex(A, *, check_errors=False, out=None):
    """torch.linalg.inv_ex: ``(inverse, info)``; ``info`` is LAPACK's (the first zero pivot of A's LU)."""
    res = _INV_EX(A)
    if check_errors:
        _check(res.info, A, "linalg.inv_ex", _singular_inverse)
    return _with_out(res, out)


def inv(A, *, out=None):
    """torch.linalg.inv: raises LinAlgError for a singular matrix (the batch element named)."""
    return _with_out(_checked_inverse(A, "linalg.inv"), out)


def _checked_inverse(A, name):
    res = _INV_EX(A, name)
    _check(res.info, A, name, _singular_inverse)
    return res.inverse


_composite(inv_ex, "inv_ex")
_composite(inv, "inv")
_composite(lambda input, *, out=None: inv(input, out=out), None, top="inverse", method="inverse")


def _det(a):
    _square(a, "linalg.det")
    if a.size == 0:     # det of 0x0 matrices is 1; an empty batch is empty
        return jnp.ones(a.shape[:-2], a.dtype) + 0 * jnp.sum(a)
    return jnp.linalg.det(a)


def _slogdet(a):
    _square(a, "linalg.slogdet")
    if a.size == 0:
        z = 0 * jnp.sum(a)
        return jnp.ones(a.shape[:-2], a.dtype) + z, jnp.zeros(a.shape[:-2], _real_dtype(a)) + jnp.real(z)
    sign, logabs = jnp.linalg.slogdet(a)
    return sign, logabs


def _logdet(a):
    _square(a, "logdet")
    sign, logabs = jnp.linalg.slogdet(a)
    if jnp.iscomplexobj(a):
        return jnp.log(sign) + logabs
    return jnp.where(sign < 0, jnp.nan, jnp.where(sign == 0, -jnp.inf, logabs))


_linop("linalg_det(Tensor A)", _det, "det", grad="LinalgDetBackward0")
_linop("linalg_slogdet(Tensor A)", _slogdet, "slogdet", grad="LinalgSlogdetBackward0",
       returns=("sign", "logabsdet"))
_top("det(Tensor self)", _det, grad="LinalgDetBackward0", dtype=_float_input("linalg.det"))
_top("slogdet(Tensor self)", _slogdet, grad="LinalgSlogdetBackward0", dtype=_float_input("linalg.slogdet"),
     returns=("sign", "logabsdet"))
_top("logdet(Tensor self)", _logdet, grad="WhereBackward0", dtype=_float_input("logdet"))


# ---- solves -----------------------------------------------------------------------
def _is_vector_rhs(a, b):
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])


def _solve_impl(a, b, left, name):
    _square(a, name)
    vector = _is_vector_rhs(a, b)
    if vector:
        b = b[..., None]
    if not left:
        a, b = jnp.swapaxes(a, -1, -2), jnp.swapaxes(b, -1, -2)
    if b.shape[-2] != a.shape[-1]:
        shape_b = f"{b.shape[-2]}x{b.shape[-1]}"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({a.shape[-2]}x{a.shape[-1]} and {shape_b})")
    a, b = _batch_broadcast(a, b)
    x = jnp.linalg.solve(a, b)
    if not left:
        x = jnp.swapaxes(x, -1, -2)
    return x[..., 0] if vector else x


_SOLVE_EX = defop("linalg_solve_ex(Tensor A, Tensor B, *, bool left=True, str name='linalg.solve')",
                  lambda a, b, left, name: (_solve_impl(a, b, left, name), _inv_info(a)),
                  grad="LinalgSolveExBackward0", function=False, method=False, dtype=_named_float_input,
                  returns=("result", "info")).function


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """torch.linalg.solve_ex: ``(result, info)``; ``info`` is LAPACK's (the first zero pivot of A's LU)."""
    res = _SOLVE_EX(A, B, left=left, name="linalg.solve_ex")
    if check_errors:
        _check(res.info, A, "torch.linalg.solve_ex", _singular_solve)
    return _with_out(res, out)


def solve(A, B, *, left=True, out=None):
    """torch.linalg.solve: raises LinAlgError for a singular ``A`` (the batch element named)."""
    res = _SOLVE_EX(A, B, left=left)
    _check(res.info, A, "torch.linalg.solve", _singular_solve)
    return _with_out(res.result, out)


_composite(solve_ex, "solve_ex")
_composite(solve, "solve")


def _solve_triangular(a, b, upper, left, unitriangular):
    _square(a, "linalg.solve_triangular")
    _matrix(b, "linalg.solve_triangular", "B")
    a, b = _batch_broadcast(a, b)
    return lax.linalg.triangular_solve(a, b, left_side=left, lower=not upper, unit_diagonal=unitriangular)


_linop("linalg_solve_triangular(Tensor A, Tensor B, *, bool upper, bool left=True, bool unitriangular=False)",
       _solve_triangular, "solve_triangular", grad="LinalgSolveTriangularBackward0",
       dtype=_float_input("linalg.solve_triangular"))


def _triangular_solve(b, a, upper, transpose, unitriangular):
    _square(a, "triangular_solve")
    a2, b2 = _batch_broadcast(a, b)
    x = lax.linalg.triangular_solve(a2, b2, left_side=True, lower=not upper, transpose_a=transpose,
                                    unit_diagonal=unitriangular)
    return x, jnp.broadcast_to(a, a2.shape)


_top("triangular_solve(Tensor self, Tensor A, bool upper=True, bool transpose=False, bool unitriangular=False)",
     _triangular_solve, grad="TriangularSolveBackward0", dtype=_float_input("triangular_solve"),
     returns=("solution", "cloned_coefficient"))


# ---- Cholesky -------------------------------------------------------------------------
def _hermitian_input(a, lower):
    """The Hermitian matrix LAPACK sees (one triangle of ``a``), with the Hermitian gradient PyTorch returns.

    For Hermitian perturbations only the Hermitian part of a gradient matters, and PyTorch's backward of
    cholesky/eigh returns exactly that part; so the value reads the triangle and the gradient flows
    through ``(a + a^H) / 2``.
    """
    tri = jnp.tril(a) + _mH(jnp.tril(a, -1)) if lower else jnp.triu(a) + _mH(jnp.triu(a, 1))
    sym = (a + _mH(a)) / 2
    return sym + lax.stop_gradient(tri - sym)


def _cholesky(a, upper, name="linalg.cholesky"):
    _square(a, name)
    l_ = jnp.linalg.cholesky(_hermitian_input(a, True), symmetrize_input=False)
    return _mH(l_) if upper else l_


def _cholesky_info(l_):
    """1 where the factorization failed (XLA's Cholesky then returns NaN); the order comes from the host."""
    if l_.shape[-1] == 0:
        return jnp.zeros(l_.shape[:-2], jnp.int32)
    return _info_from_diag(jnp.diagonal(lax.stop_gradient(l_), axis1=-2, axis2=-1), nonfinite=True)


def _cholesky_ex(a, upper, name):
    l_ = _cholesky(a, upper, name)
    return l_, _cholesky_info(l_)


def _leading_minor_not_pd(m):
    """LAPACK potrf's info for one Hermitian matrix: the order of the first leading minor that is not
    positive-definite (a binary search over Cholesky factorizations of leading minors), 0 if none."""
    def pd(k):
        try:
            return bool(np.isfinite(np.linalg.cholesky(m[:k, :k])).all())
        except np.linalg.LinAlgError:
            return False
    n = m.shape[-1]
    if pd(n):
        return 0
    lo, hi = 0, n                  # minor lo is positive-definite, minor hi is not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if pd(mid) else (lo, mid)
    return hi


def _exact_cholesky_info(A, info):
    """``info`` with each failed element's code replaced by LAPACK's (the leading minor's order), read on the
    host: XLA reports only that a factorization failed.  Unchanged where nothing failed or under a trace."""
    codes = _codes(info)
    if codes is None:
        return info, None
    a = np.asarray(A.detach()._arr())
    a = np.tril(a) + np.conj(np.swapaxes(np.tril(a, -1), -1, -2))     # the triangle the factorization reads
    flat, mats = codes.reshape(-1).copy(), a.reshape((-1,) + a.shape[-2:])
    for i in np.flatnonzero(flat):
        flat[i] = _leading_minor_not_pd(mats[i]) or flat[i]
    codes = flat.reshape(codes.shape)
    return tensor(codes, dtype=D.int32, device=info.device), codes


_CHOLESKY_EX = defop("linalg_cholesky_ex(Tensor A, *, bool upper=False, str name='linalg.cholesky')", _cholesky_ex,
                     grad="LinalgCholeskyExBackward0", function=False, method=False, dtype=_named_float_input,
                     returns=("L", "info")).function
_CHOLESKY_LEGACY = defop("_cholesky_with_info(Tensor self, bool upper=False, str name='cholesky')", _cholesky_ex,
                         grad="CholeskyBackward0", function=False, method=False, dtype=_named_float_input,
                         returns=("L", "info")).function


def _checked_cholesky(op, A, upper, name):
    res = op(A, upper=upper)
    _, codes = _exact_cholesky_info(A, res.info)
    if codes is not None:
        _raise(codes, A.ndim > 2, name, _not_positive_definite)
    return res.L


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """torch.linalg.cholesky_ex: ``(L, info)``; ``info`` is LAPACK's: the order of the first leading minor
    that is not positive-definite (read on the host when a factorization failed)."""
    res = _CHOLESKY_EX(A, upper=upper, name="linalg.cholesky_ex")
    info, codes = _exact_cholesky_info(A, res.info)
    if check_errors and codes is not None:
        _raise(codes, A.ndim > 2, "linalg.cholesky_ex", _not_positive_definite)
    return _with_out(_return_type("linalg_cholesky_ex", ("L", "info"))(res.L, info), out)


def cholesky(A, *, upper=False, out=None):
    """torch.linalg.cholesky: raises LinAlgError for a matrix that is not positive-definite."""
    return _with_out(_checked_cholesky(_CHOLESKY_EX, A, upper, "linalg.cholesky"), out)


def _cholesky_top(input, upper=False, *, out=None):
    """torch.cholesky (legacy; grad_fn CholeskyBackward0)."""
    return _with_out(_checked_cholesky(_CHOLESKY_LEGACY, input, upper, "cholesky"), out)


_composite(cholesky_ex, "cholesky_ex")
_composite(cholesky, "cholesky")
_composite(_cholesky_top, None, top="cholesky", method="cholesky")


def _triangle_value(l_, upper):
    """The value of the factor's triangle (what LAPACK reads); the gradient of the full matrix (as PyTorch's
    backward formulas of cholesky_inverse/cholesky_solve do not mask it)."""
    tri = jnp.triu(l_) if upper else jnp.tril(l_)
    return l_ + lax.stop_gradient(tri - l_)


def _cholesky_inverse(l_, upper):
    _square(l_, "cholesky_inverse", "input")
    l_ = _triangle_value(l_, upper)
    a = _mH(l_) @ l_ if upper else l_ @ _mH(l_)
    return jnp.linalg.inv(a)


def _cholesky_solve(b, l_, upper):
    _square(l_, "cholesky_solve", "A")
    l_, b = _batch_broadcast(l_, b)
    l_ = _triangle_value(l_, upper)
    if upper:
        l_ = _mH(l_)
    lv = lax.stop_gradient(l_)
    y = lax.linalg.triangular_solve(lv, lax.stop_gradient(b), left_side=True, lower=True)
    x = lax.linalg.triangular_solve(lv, y, left_side=True, lower=True, transpose_a=True,
                                    conjugate_a=jnp.iscomplexobj(l_))
    # the value from the two triangular solves; the derivative of (L L^H)^-1 B for the full L, as PyTorch's
    x_full = jnp.linalg.solve(l_ @ _mH(l_), b)
    return x + (x_full - lax.stop_gradient(x_full))


_CHOLESKY_INVERSE = _top("cholesky_inverse(Tensor self, bool upper=False)", _cholesky_inverse,
                         grad="CholeskyInverseBackward0", dtype=_float_input("cholesky_inverse"), method=False,
                         function=False)     # published below, with the singularity check


def _cholesky_inverse_checked(input, upper=False, *, out=None):
    """torch.cholesky_inverse: LinAlgError for a zero on the factor's diagonal (a singular matrix)."""
    res = _CHOLESKY_INVERSE(input, upper, out=out)
    if input.ndim >= 2 and input.shape[-1] > 0 and input.shape[-1] == input.shape[-2]:
        a = input._arr()
        if not isinstance(a, jax.core.Tracer):
            _check(_zero_diagonal_info(a), input, "cholesky_inverse", _singular_inverse)
    return res


publish("cholesky_inverse", _cholesky_inverse_checked, method=True)
_top("cholesky_solve(Tensor self, Tensor input2, bool upper=False)", _cholesky_solve, grad="CholeskySolveBackward0",
     dtype=_float_input("cholesky_solve"))


# ---- QR, SVD, eigen-decompositions ----------------------------------------------------
def _qr(a, mode):
    _matrix(a, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    if mode == "r":
        r = jnp.linalg.qr(a, mode="r")
        return jnp.zeros((0,), a.dtype), r
    q, r = jnp.linalg.qr(a, mode=mode)
    return q, r


_linop("linalg_qr(Tensor A, str mode='reduced')", _qr, "qr", grad="LinalgQrBackward0", returns=("Q", "R"))
_top("qr(Tensor self, bool some=True)", lambda a, some: _qr(a, "reduced" if some else "complete"),
     grad="LinalgQrBackward0", dtype=_float_input("qr"), returns=("Q", "R"))


def _svd(a, full_matrices, driver=None, name="linalg.svd"):
    _matrix(a, name)
    m, n = a.shape[-2:]
    k = min(m, n)
    if k == 0 or not full_matrices or m == n:
        u, s, vh = jnp.linalg.svd(a, full_matrices=full_matrices)
        return u, s, vh
    # full matrices: the first k singular vectors are differentiable (reduced SVD); the completion of the
    # bases is constant, as in PyTorch (whose backward ignores U[..., k:] and Vh[..., k:, :])
    u, s, vh = jnp.linalg.svd(a, full_matrices=False)
    uf, _, vhf = jnp.linalg.svd(lax.stop_gradient(a), full_matrices=True)
    if m > k:
        u = jnp.concatenate([u, uf[..., k:]], axis=-1)
    if n > k:
        vh = jnp.concatenate([vh, vhf[..., k:, :]], axis=-2)
    return u, s, vh


_SVD = defop("linalg_svd(Tensor A, bool full_matrices=True, *, str? driver=None)", _svd, grad="LinalgSvdBackward0",
             function=False, method=False, dtype=_float_input("linalg.svd"), returns=("U", "S", "Vh")).function


def svd(A, full_matrices=True, *, driver=None, out=None):
    """torch.linalg.svd: LinAlgError for a NaN input (where LAPACK fails to converge)."""
    _check_svd_input(A)
    return _SVD(A, full_matrices, driver=driver, out=out)


_composite(svd, "svd")


def _svdvals(a, driver):
    _matrix(a, "linalg.svdvals")
    if min(a.shape[-2:]) == 0:
        return jnp.zeros(a.shape[:-2] + (0,), _real_dtype(a))
    return jnp.linalg.svd(a, compute_uv=False)


_SVDVALS = defop("linalg_svdvals(Tensor A, *, str? driver=None)", _svdvals, grad="LinalgSvdBackward0",
                 function=False, method=False, dtype=_float_input("linalg.svdvals")).function


def svdvals(A, *, driver=None, out=None):
    """torch.linalg.svdvals: LinAlgError for a NaN input, as ``svd``."""
    _check_svd_input(A)
    return _SVDVALS(A, driver=driver, out=out)


_composite(svdvals, "svdvals")


_SVD_RESULT = _return_type("svd", ("U", "S", "V"))     # made at import, so torch.return_types lists it


def svd_legacy(input, some=True, compute_uv=True, *, out=None):
    """torch.svd: ``(U, S, V)`` with ``V`` (not ``Vh``); zero-filled ``U``/``V`` when ``compute_uv=False``."""
    cls = _SVD_RESULT
    if not compute_uv:
        s = svdvals(input)
        m, n = input.shape[-2:]
        return cls(zeros(*input.shape[:-2], m, m if not some else min(m, n), dtype=input.dtype), s,
                   zeros(*input.shape[:-2], n, n if not some else min(m, n), dtype=input.dtype))
    u, s, vh = svd(input, full_matrices=not some)
    return cls(u, s, vh.mH)


_composite(svd_legacy, None, top="svd", method="svd")


def _eigh_input(a, uplo, name):
    _square(a, name)
    if uplo not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")
    return _hermitian_input(a, uplo == "L")


def _eigh(a, uplo):
    w, v = jnp.linalg.eigh(_eigh_input(a, uplo, "linalg.eigh"), symmetrize_input=False)
    return w, v


def _eigvalsh(a, uplo):
    w, _ = jnp.linalg.eigh(_eigh_input(a, uplo, "linalg.eigvalsh"), symmetrize_input=False)
    return w


_linop("linalg_eigh(Tensor A, str UPLO='L')", _eigh, "eigh", grad="LinalgEighBackward0",
       returns=("eigenvalues", "eigenvectors"))
_linop("linalg_eigvalsh(Tensor A, str UPLO='L')", _eigvalsh, "eigvalsh", grad="LinalgEighBackward0")


def _eig(a):
    _square(a, "linalg.eig")
    if a.shape[-1] == 0:
        c = jnp.complex64 if a.dtype in (jnp.float32, jnp.complex64) else jnp.complex128
        return jnp.zeros(a.shape[:-1], c), jnp.zeros(a.shape, c)
    w, v = lax.linalg.eig(a, compute_left_eigenvectors=False, enable_eigvec_derivs=True)
    return w, v


def _eigvals(a):
    _square(a, "linalg.eigvals")
    return _eig(a)[0]


_EIG = defop("linalg_eig(Tensor A)", _eig, grad="LinalgEigBackward0", function=False, method=False,
             dtype=_float_input("linalg.eig"), returns=("eigenvalues", "eigenvectors")).function


@jax.jit
def _nonfinite_info(a):
    return (~jnp.isfinite(a)).any((-2, -1)).astype(jnp.int32)


def eig(A, *, out=None):
    """torch.linalg.eig: RuntimeError for an input holding inf or NaN, as PyTorch's."""
    if A.ndim >= 2 and A.shape[-1] > 0:
        a = A._arr()
        if not isinstance(a, jax.core.Tracer) and _codes(_nonfinite_info(a)) is not None:
            raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
    return _EIG(A, out=out)


_composite(eig, "eig")
_linop("linalg_eigvals(Tensor A)", _eigvals, "eigvals", grad="LinalgEigBackward0")


# ---- norms ----------------------------------------------------------------------------
def _axes(ndim, dim, name="linalg.vector_norm"):
    if dim is None:
        return None
    out = [_wrap_dim(d, ndim) for d in dim]
    if ndim == 0:
        return None
    return tuple(out)


def _p_norm_bwd(p):
    """The (sub)gradient PyTorch uses for a p-norm: 0 where the norm is 0."""
    def bwd(res, g):
        x, n = res
        a = jnp.abs(x)
        sgn = jnp.sign(x) if not jnp.iscomplexobj(x) else x / jnp.where(a == 0, 1, a)
        if p == 1:
            return (sgn * g,)
        if p == 2:
            return (x * jnp.where(n == 0, 0, g / jnp.where(n == 0, 1, n)),)
        if p < 1:
            scaled = sgn * jnp.where(x == 0, 0, jnp.where(a == 0, 1, a) ** (p - 1))
            return (scaled * g * n ** (1 - p),)
        scale = jnp.where(n == 0, 0, g / jnp.where(n == 0, 1, n) ** (p - 1))
        if p < 2:
            return (sgn * a ** (p - 1) * scale,)
        return (x * a ** (p - 2) * scale,)
    return bwd


def _vector_norm_impl(x, ord, dim, keepdim, dtype):
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_type_word(D._BY_NP[x.dtype])}")
    if dtype is not None:
        x = x.astype(dtype.np)
    axes = _axes(x.ndim, dim)
    reduced = x.size if axes is None else math.prod(x.shape[a] for a in axes)
    if reduced == 0 and (ord < 0 or ord == float("inf")):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                               "operation does not have an identity")
    a = jnp.abs(x)
    if ord == float("inf"):
        return jnp.max(a, axis=axes, keepdims=keepdim)
    if ord == float("-inf"):
        return jnp.min(a, axis=axes, keepdims=keepdim)
    if ord == 0:
        return jnp.sum((a != 0).astype(a.dtype), axis=axes, keepdims=keepdim)
    p = float(ord)

    def norm(x):
        a = jnp.abs(x)
        if p == 1:
            return jnp.sum(a, axis=axes, keepdims=True)
        if p == 2:
            return jnp.sqrt(jnp.sum(a * a, axis=axes, keepdims=True))
        return jnp.sum(a ** p, axis=axes, keepdims=True) ** (1.0 / p)

    f = jax.custom_vjp(norm)
    f.defvjp(lambda x: (norm(x), (x, norm(x))), _p_norm_bwd(p))
    r = f(x)
    if not keepdim:
        r = r.reshape(tuple(n for i, n in enumerate(x.shape) if axes is not None and i not in axes)) \
            if axes is not None else r.reshape(())
    return r


def _vector_norm_dtype(args, statics):
    x = args[0]
    if x._dtype.category < D.FLOAT:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_type_word(x._dtype)}")
    return None


_VECTOR_NORM = defop("linalg_vector_norm(Tensor self, Scalar ord=2, int[]? dim=None, bool keepdim=False, *, "
                     "ScalarType? dtype=None)", _vector_norm_impl, grad="LinalgVectorNormBackward0",
                     function=False, method=False, dtype=_vector_norm_dtype)
vector_norm = _publish(_VECTOR_NORM, "vector_norm")


def _matrix_norm_name(args, statics):
    ord = statics[0]
    if ord == "fro":
        return "LinalgVectorNormBackward0"
    if ord == "nuc":
        return "SumBackward1"
    return "AmaxBackward0" if ord > 0 else "AminBackward0"


def _matrix_norm_impl(a, ord, dim, keepdim, dtype, name="linalg.matrix_norm"):
    _matrix(a, name)
    if dtype is not None:
        a = a.astype(dtype.np)
    d0, d1 = (d % a.ndim for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord not in ("fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")):
        raise RuntimeError(f"{name}: Order {ord} not supported.")
    if ord == "fro":
        absa = jnp.abs(a)
        s = jnp.sum(absa * absa, axis=(d0, d1), keepdims=keepdim)
        safe = jnp.where(s == 0, 1, s)
        return jnp.where(s == 0, 0, jnp.sqrt(safe))
    if ord in ("nuc", 2, -2):
        m = jnp.moveaxis(a, (d0, d1), (-2, -1))
        s = jnp.linalg.svd(m, compute_uv=False)
        r = jnp.sum(s, -1) if ord == "nuc" else (jnp.max(s, -1) if ord == 2 else jnp.min(s, -1))
        if keepdim:
            r = jnp.expand_dims(r, tuple(sorted((d0, d1))))
        return r
    absa = jnp.abs(a)
    if ord in (1, -1):
        s = jnp.sum(absa, axis=d0, keepdims=True)
        red = d1
    else:
        s = jnp.sum(absa, axis=d1, keepdims=True)
        red = d0
    r = jnp.max(s, axis=red, keepdims=True) if ord > 0 else jnp.min(s, axis=red, keepdims=True)
    return r if keepdim else jnp.squeeze(r, (d0, d1))


def _norm_dtype(name):
    def rule(args, statics=None):
        x = args[0]
        if x._dtype.category < D.FLOAT:
            raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                               f"{_type_word(x._dtype)}")
        return None
    return rule


_MATRIX_NORM = defop("linalg_matrix_norm(Tensor A, any ord='fro', int[] dim=(-2, -1), bool keepdim=False, *, "
                     "ScalarType? dtype=None)", _matrix_norm_impl, grad=_matrix_norm_name, function=False,
                     method=False, dtype=_norm_dtype("linalg.matrix_norm"))
_matrix_norm_fn = _MATRIX_NORM.function


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if not isinstance(ord, str):
        ord = float(ord) if abs(ord) == float("inf") else int(ord) if float(ord).is_integer() else float(ord)
    return _matrix_norm_fn(A, ord, tuple(dim), keepdim, dtype=dtype, out=out)


_composite(matrix_norm, "matrix_norm")


def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    """torch.linalg.norm: a vector norm or a matrix norm, chosen from ``ord`` and ``dim``."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or (dim is None and ord is not None and A.ndim == 2):
        if dim is None and A.ndim != 2:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A.ndim}D.")
        return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim,
                           dtype=dtype, out=out)
    if dim is None and ord is not None and A.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.ndim}D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


_composite(norm, "norm")


def cond(A, p=None, *, out=None):
    """torch.linalg.cond: ``norm(A, p) * norm(inv(A), p)``; the ratio of singular values for ``p`` in (None, 2, -2)."""
    if p is None or p in (2, -2):
        s = svdvals(A)
        r = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
        return r
    _sq_check(A, "linalg.cond")
    inverse, info = _INV_EX(A, "linalg.cond")
    r = F["mul"](matrix_norm(A, p), matrix_norm(inverse, p))
    if _codes(info) is not None:           # singular: an infinite condition number, as PyTorch's
        r = r.masked_fill(info != 0, float("inf"))
    return r


def _sq_check(A, name):
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


_composite(cond, "cond")


# ---- pseudo-inverse, least squares, rank ----------------------------------------------
def _tolerances(s_max, atol, rtol, mn, dtype):
    eps = jnp.finfo(dtype).eps
    if rtol is None:
        rtol = eps * mn if atol is None else 0.0
    if atol is None:
        atol = 0.0
    return jnp.maximum(jnp.asarray(atol, s_max.dtype)[..., None] if jnp.ndim(atol) else atol,
                       (jnp.asarray(rtol, s_max.dtype)[..., None] if jnp.ndim(rtol) else rtol) * s_max)


def _pinv_value(a, atol, rtol, hermitian):
    m, n = a.shape[-2:]
    if m == 0 or n == 0:
        return jnp.zeros(a.shape[:-2] + (n, m), a.dtype)
    if hermitian:
        w, v = jnp.linalg.eigh(jnp.tril(a) + _mH(jnp.tril(a, -1)), symmetrize_input=False)
        absw = jnp.abs(w)
        cut = _tolerances(jnp.max(absw, -1, keepdims=True), atol, rtol, builtins.max(m, n), _real_dtype(a))
        winv = jnp.where(absw > cut, 1 / jnp.where(w == 0, 1, w), 0).astype(a.dtype)
        return (v * winv[..., None, :]) @ _mH(v)
    u, s, vh = jnp.linalg.svd(a, full_matrices=False)
    cut = _tolerances(s[..., :1], atol, rtol, builtins.max(m, n), _real_dtype(a))
    sinv = jnp.where(s > cut, 1 / jnp.where(s == 0, 1, s), 0).astype(a.dtype)
    return (_mH(vh) * sinv[..., None, :]) @ _mH(u)


def _make_pinv(atol, rtol, hermitian):
    @jax.custom_jvp
    def pinv_(a):
        return _pinv_value(a, atol, rtol, hermitian)

    @pinv_.defjvp
    def _jvp(primals, tangents):
        (a,), (da,) = primals, tangents
        p = pinv_(a)
        if min(a.shape[-2:]) == 0:
            return p, jnp.zeros_like(p)
        pH, daH = _mH(p), _mH(da)
        eye_m = jnp.eye(a.shape[-2], dtype=a.dtype)
        eye_n = jnp.eye(a.shape[-1], dtype=a.dtype)
        dp = (-p @ da @ p + p @ pH @ daH @ (eye_m - a @ p) + (eye_n - p @ a) @ daH @ pH @ p)
        return p, dp
    return pinv_


def _pinv(a, atol, rtol, hermitian):
    _matrix(a, "linalg.pinv")
    return _make_pinv(atol, rtol, hermitian)(a)


def _pinv_dtype(args, statics=None):
    a = args[0]
    if a._dtype.category < D.FLOAT:
        raise RuntimeError(f"linalg.pinv(): Expected a floating point or complex tensor as input. Got "
                           f"{_type_word(a._dtype)}")
    real = a._dtype.to_real() if a._dtype.category == D.COMPLEX else a._dtype
    return (a._dtype, real, real)


_PINV = defop("linalg_pinv(Tensor self, *, Tensor? atol=None, Tensor? rtol=None, bool hermitian=False)", _pinv,
              grad="LinalgPinvBackward0", function=False, method=False, dtype=_pinv_dtype)
_pinv_fn = _PINV.function


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None, rcond=None):
    if not hermitian:
        _check_svd_input(A)
    if rcond is not None:
        rtol = rcond
    return _pinv_fn(A, atol=atol, rtol=rtol, hermitian=hermitian, out=out)


_composite(pinv, "pinv")


def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


_composite(pinverse, None, top="pinverse", method="pinverse")


def _lstsq_prepare(a, b, rcond, driver):
    _matrix(a, "torch.linalg.lstsq")
    if driver is None:
        driver = "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    vector = b.ndim == a.ndim - 1
    if vector:
        b = b[..., None]
    if a.shape[-2] != b.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    a2, b2 = _batch_broadcast(a, b)
    m, n = a.shape[-2:]
    rtol = jnp.finfo(_real_dtype(a)).eps * builtins.max(m, n) if rcond is None else rcond
    return a2, b2, vector, driver, rtol


def _lstsq_solution(a, b, rcond, driver):
    a2, b2, vector, driver, rtol = _lstsq_prepare(a, b, rcond, driver)
    m, n = a.shape[-2:]
    x = _make_pinv(None, rtol if driver != "gels" else 0.0, False)(a2) @ b2
    if driver in ("gels", "gelsd", "gelss") and m > n:
        resid = jnp.sum(jnp.abs(a2 @ x - b2) ** 2, axis=-2).astype(_real_dtype(a))
    else:
        resid = jnp.zeros((0,), _real_dtype(a))
    return (x[..., 0] if vector else x), resid


def _lstsq_rank(a, b, rcond, driver):
    a2, b2, vector, driver, rtol = _lstsq_prepare(a, b, rcond, driver)
    m, n = a.shape[-2:]
    rdt = _real_dtype(a)
    s = jnp.linalg.svd(a2, compute_uv=False) if min(m, n) else jnp.zeros(a2.shape[:-2] + (0,), rdt)
    if driver == "gels":
        rank = jnp.zeros((0,), jnp.int64)
    else:
        rank = jnp.sum(s > rtol * (s[..., :1] if min(m, n) else 0), -1).astype(jnp.int64)
    return rank, (s if driver in ("gelsd", "gelss") else jnp.zeros((0,), rdt))


_LSTSQ_SOLUTION = defop("_linalg_lstsq_solution(Tensor self, Tensor b, float? rcond=None, *, str? driver=None)",
                        _lstsq_solution, grad="LinalgLstsqBackward0", function=False, method=False,
                        dtype=_float_input("torch.linalg.lstsq")).function
_LSTSQ_RANK = defop("_linalg_lstsq_rank(Tensor self, Tensor b, float? rcond=None, *, str? driver=None)",
                    _lstsq_rank, function=False, method=False, differentiable=False,
                    dtype=_float_input("torch.linalg.lstsq")).function


def lstsq(A, B, rcond=None, *, driver=None):
    """torch.linalg.lstsq: ``(solution, residuals, rank, singular_values)``; the minimum-norm solution
    (through the pseudo-inverse) for every driver; only the solution and residuals carry gradients."""
    x, resid = _LSTSQ_SOLUTION(A, B, rcond, driver=driver)
    rank, sv = _LSTSQ_RANK(A, B, rcond, driver=driver)
    return _return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))(x, resid, rank, sv)


_composite(lstsq, "lstsq")


def _matrix_rank(a, atol, rtol, hermitian):
    _matrix(a, "linalg.matrix_rank")
    m, n = a.shape[-2:]
    if m == 0 or n == 0:
        return jnp.zeros(a.shape[:-2], jnp.int64)
    if hermitian:
        s = jnp.abs(jnp.linalg.eigh(jnp.tril(a) + _mH(jnp.tril(a, -1)), symmetrize_input=False)[0])
        smax = jnp.max(s, -1, keepdims=True)
    else:
        s = jnp.linalg.svd(a, compute_uv=False)
        smax = s[..., :1]
    cut = _tolerances(smax, atol, rtol, builtins.max(m, n), _real_dtype(a))
    return jnp.sum(s > cut, -1).astype(jnp.int64)


_RANK = defop("linalg_matrix_rank(Tensor A, *, Tensor? atol=None, Tensor? rtol=None, bool hermitian=False)",
              _matrix_rank, function=False, method=False, differentiable=False,
              dtype=_pinv_dtype)
_matrix_rank_fn = _RANK.function


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    if not hermitian:
        _check_svd_input(A)
    return _matrix_rank_fn(A, atol=atol, rtol=rtol, hermitian=hermitian, out=out)


_composite(matrix_rank, "matrix_rank")


# ---- matrix functions ---------------------------------------------------------------------
def matrix_power(A, n, *, out=None):
    """torch.linalg.matrix_power: repeated squaring with ``matmul`` (as PyTorch, so the grad_fn is MmBackward0)."""
    _sq_check(A, "linalg.matrix_power")
    n = int(n)
    if n == 0:
        return _POWER_ZERO(A)
    if n == 1:
        return FUNCTIONS["clone"](A)
    if n < 0:
        A = inv(A)
        n = -n
    z, result = A, None
    while n:
        if n & 1:
            result = z if result is None else FUNCTIONS["matmul"](result, z)
        n >>= 1
        if n:
            z = FUNCTIONS["matmul"](z, z)
    return result


_POWER_ZERO = defop("_matrix_power_zero(Tensor self)",
                    lambda a: jnp.broadcast_to(jnp.eye(a.shape[-1], dtype=a.dtype), a.shape),
                    grad="CopyBackwards", function=False, method=False, dtype="keep").function
_composite(matrix_power, "matrix_power", top="matrix_power", method="matrix_power")


def _matrix_exp(a):
    _square(a, "linalg.matrix_exp")
    if a.shape[-1] == 0:
        return a
    if a.ndim == 2:
        return jsl.expm(a)
    flat = a.reshape((-1,) + a.shape[-2:])
    return jax.vmap(jsl.expm)(flat).reshape(a.shape)


_linop("linalg_matrix_exp(Tensor A)", _matrix_exp, "matrix_exp", grad="LinalgMatrixExpBackward0")
_top("matrix_exp(Tensor self)", _matrix_exp, grad="LinalgMatrixExpBackward0", dtype=_float_input("linalg.matrix_exp"))


# ---- LU -------------------------------------------------------------------------------------
def _lu_factor(a, pivot, name="torch.linalg.lu_factor"):
    _matrix(a, name)
    if not pivot:
        raise RuntimeError(f"{name}: LU without pivoting is not implemented on the CPU")
    m, n = a.shape[-2:]
    if m == 0 or n == 0:
        return a, jnp.zeros(a.shape[:-2] + (min(m, n),), jnp.int32)
    lu, piv, _ = lax.linalg.lu(a)
    return lu, (piv + 1).astype(jnp.int32)


def _lu_info(lu):
    if min(lu.shape[-2:]) == 0:
        return jnp.zeros(lu.shape[:-2], jnp.int32)
    return _info_from_diag(jnp.diagonal(lax.stop_gradient(lu), axis1=-2, axis2=-1))


_LU_FACTOR_EX = defop("linalg_lu_factor_ex(Tensor A, *, bool pivot=True, str name='torch.linalg.lu_factor')",
                      lambda a, p, name: (lambda lu, piv: (lu, piv, _lu_info(lu)))(*_lu_factor(a, p, name)),
                      grad="LinalgLuFactorExBackward0", function=False, method=False, dtype=_named_float_input,
                      returns=("LU", "pivots", "info")).function


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """torch.linalg.lu_factor_ex: ``(LU, pivots, info)``; ``info`` is LAPACK's (the first zero of U's diagonal)."""
    res = _LU_FACTOR_EX(A, pivot=pivot, name="torch.linalg.lu_factor_ex")
    if check_errors:
        _check(res.info, A, "torch.linalg.lu_factor_ex", _zero_pivot, RuntimeError)
    return _with_out(res, out)


def lu_factor(A, *, pivot=True, out=None):
    """torch.linalg.lu_factor: RuntimeError (as PyTorch's) where U has a zero on its diagonal."""
    res = _LU_FACTOR_EX(A, pivot=pivot)
    _check(res.info, A, "torch.linalg.lu_factor", _zero_pivot, RuntimeError)
    return _with_out(_return_type("linalg_lu_factor", ("LU", "pivots"))(res.LU, res.pivots), out)


_composite(lu_factor_ex, "lu_factor_ex")
_composite(lu_factor, "lu_factor")


def _perm(pivots, m):
    """The row permutation ``perm`` (``A[perm] = L @ U``) from LAPACK's 1-based pivots."""
    if pivots.shape[-1] == 0:
        return jnp.broadcast_to(jnp.arange(m), pivots.shape[:-1] + (m,))
    return lax.linalg.lu_pivots_to_permutation(pivots.astype(jnp.int32) - 1, m)


def _perm_matrix(perm, dtype):
    """P with ``A = P @ L @ U``: P[perm[i], i] = 1."""
    m = perm.shape[-1]
    return (perm[..., :, None] == jnp.arange(m)).astype(dtype).swapaxes(-1, -2)


def _lu_unpack_lu(lu):
    m, n = lu.shape[-2:]
    k = min(m, n)
    l_ = jnp.tril(lu[..., :, :k], -1) + jnp.eye(m, k, dtype=lu.dtype)
    u = jnp.triu(lu[..., :k, :])
    return l_, u


def _lu_p(a, pivot):
    lu, piv = _lu_factor(a, pivot, "linalg.lu")
    return _perm_matrix(_perm(piv, a.shape[-2]), a.dtype)


def _lu_lu(a, pivot):
    lu, _ = _lu_factor(a, pivot, "linalg.lu")
    return _lu_unpack_lu(lu)


_LU_P = defop("_linalg_lu_p(Tensor A, *, bool pivot=True)", _lu_p, function=False, method=False,
              differentiable=False, dtype=_float_input("linalg.lu")).function
_LU_LU = defop("_linalg_lu_lu(Tensor A, *, bool pivot=True)", _lu_lu, function=False, method=False,
               grad="LinalgLuBackward0", dtype=_float_input("linalg.lu")).function


def lu(A, *, pivot=True, out=None):
    """torch.linalg.lu: ``(P, L, U)`` with ``A = P @ L @ U`` (P carries no gradient)."""
    p = _LU_P(A, pivot=pivot)
    l_, u = _LU_LU(A, pivot=pivot)
    return _return_type("linalg_lu", ("P", "L", "U"))(p, l_, u)


_composite(lu, "lu")


def _lu_unpack_p(lu_data, pivots, unpack_data, unpack_pivots):
    if not unpack_pivots:
        return jnp.zeros((0,), lu_data.dtype)
    return _perm_matrix(_perm(pivots, lu_data.shape[-2]), lu_data.dtype)


def _lu_unpack_lu2(lu_data, pivots, unpack_data, unpack_pivots):
    if not unpack_data:
        return jnp.zeros((0,), lu_data.dtype), jnp.zeros((0,), lu_data.dtype)
    return _lu_unpack_lu(lu_data)


_LU_UNPACK_P = defop("_lu_unpack_p(Tensor LU_data, Index LU_pivots, bool unpack_data=True, bool unpack_pivots=True)",
                     _lu_unpack_p, function=False, method=False, differentiable=False, dtype="keep").function
_LU_UNPACK_LU = defop("_lu_unpack_lu(Tensor LU_data, Index LU_pivots, bool unpack_data=True, "
                      "bool unpack_pivots=True)", _lu_unpack_lu2, function=False, method=False,
                      grad="LuUnpackBackward0", dtype="keep").function


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    p = _LU_UNPACK_P(LU_data, LU_pivots, unpack_data, unpack_pivots)
    l_, u = _LU_UNPACK_LU(LU_data, LU_pivots, unpack_data, unpack_pivots)
    return _return_type("lu_unpack", ("P", "L", "U"))(p, l_, u)


_composite(lu_unpack, None, top="lu_unpack")


def _lu_solve(lu_data, b, pivots, left, adjoint, name="linalg.lu_solve"):
    _square(lu_data, name, "LU")
    m = lu_data.shape[-1]
    if not left:        # X op(A) = B  <=>  op(A)^H X^H = B^H
        x = _lu_solve(lu_data, _mH(b), pivots, True, not adjoint, name)
        return _mH(x)
    perm = _perm(pivots, m)
    lu2, b2 = _batch_broadcast(lu_data, b)
    perm = jnp.broadcast_to(perm, lu2.shape[:-2] + (m,))
    if not adjoint:     # L U X = B[perm]
        pb = jnp.take_along_axis(b2, perm[..., :, None], axis=-2)
        y = lax.linalg.triangular_solve(lu2, pb, left_side=True, lower=True, unit_diagonal=True)
        return lax.linalg.triangular_solve(lu2, y, left_side=True, lower=False)
    cplx = jnp.iscomplexobj(lu2)
    y = lax.linalg.triangular_solve(lu2, b2, left_side=True, lower=False, transpose_a=True, conjugate_a=cplx)
    y = lax.linalg.triangular_solve(lu2, y, left_side=True, lower=True, unit_diagonal=True, transpose_a=True,
                                    conjugate_a=cplx)
    inv_perm = jnp.argsort(perm, axis=-1)
    return jnp.take_along_axis(y, inv_perm[..., :, None], axis=-2)


_LU_SOLVE = defop("_linalg_lu_solve(Tensor LU, Tensor B, Index pivots, *, bool left=True, bool adjoint=False)",
                  _lu_solve, function=False, method=False, grad="LinalgLuSolveBackward0",
                  dtype=_float_input("linalg.lu_solve"))
_lu_solve_fn = _LU_SOLVE.function


def lu_solve_linalg(LU, pivots, B, *, left=True, adjoint=False, out=None):
    return _lu_solve_fn(LU, B, pivots, left=left, adjoint=adjoint, out=out)


_composite(lu_solve_linalg, "lu_solve")


def lu_solve_legacy(b, LU_data, LU_pivots, *, out=None):
    """torch.lu_solve(b, LU_data, LU_pivots)."""
    return _lu_solve_fn(LU_data, b, LU_pivots, out=out)


publish("lu_solve", lu_solve_legacy, method=True)
globals()["lu_solve"] = lu_solve_linalg


def lu_legacy(A, pivot=True, get_infos=False, out=None):
    """torch.lu: ``(LU, pivots)`` or ``(LU, pivots, infos)`` (a plain tuple)."""
    r = lu_factor_ex(A, pivot=pivot)
    return (r[0], r[1], r[2]) if get_infos else (r[0], r[1])


publish("lu", lu_legacy, method=True)


# ---- Householder -------------------------------------------------------------------------------
def _householder_q(a, tau, ncols):
    """Q = H_1 ... H_k (m x ncols) from Householder vectors stored below the diagonal of ``a``."""
    m = a.shape[-2]
    k = tau.shape[-1]
    q = jnp.broadcast_to(jnp.eye(m, dtype=a.dtype), a.shape[:-2] + (m, m))
    for i in reversed(range(k)):
        v = jnp.concatenate([jnp.zeros(a.shape[:-2] + (i,), a.dtype), jnp.ones(a.shape[:-2] + (1,), a.dtype),
                             a[..., i + 1:, i]], axis=-1)
        # q <- H_i q = q - tau_i v (v^H q)
        vq = jnp.einsum("...i,...ij->...j", jnp.conj(v), q)
        q = q - tau[..., i, None, None] * v[..., :, None] * vq[..., None, :]
    return q[..., :, :ncols]


def _householder_product(a, tau):
    _matrix(a, "torch.linalg.householder_product")
    m, n = a.shape[-2:]
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if tau.shape[-1] > n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    return _householder_q(a, tau, n)


_linop("linalg_householder_product(Tensor input, Tensor tau)", _householder_product, "householder_product",
       grad="LinalgHouseholderProductBackward0", dtype=_float_input("torch.linalg.householder_product"))
publish("orgqr", globals()["householder_product"], method=True)


def _ormqr(a, tau, c, left, transpose):
    if a.ndim < 2:
        raise RuntimeError("torch.ormqr: input must have at least 2 dimensions.")
    if c.ndim < 2:
        raise RuntimeError("torch.ormqr: other must have at least 2 dimensions.")
    if tau.shape[-1] > a.shape[-1]:
        raise RuntimeError("torch.ormqr: tau.shape[-1] must be less than or equal to input.shape[-1]")
    m = a.shape[-2]
    q = _householder_q(a, tau, m)
    if transpose:
        q = _mH(q)
    return q @ c if left else c @ q


_top("ormqr(Tensor self, Tensor input2, Tensor input3, bool left=True, bool transpose=False)", _ormqr,
     grad="OrmqrBackward0", dtype=_float_input("ormqr"))


def _geqrf(a):
    _matrix(a, "geqrf")
    if min(a.shape[-2:]) == 0:
        return a, jnp.zeros(a.shape[:-2] + (0,), a.dtype)
    from jax._src.lax.linalg import geqrf     # not re-exported by jax.lax.linalg
    r, tau = geqrf(a)
    return r, tau


_top("geqrf(Tensor self)", _geqrf, grad="GeqrfBackward0", dtype=_float_input("geqrf"), differentiable=False,
     returns=("a", "tau"))


# ---- products, cross, misc ------------------------------------------------------------------------
def _cross(a, b, dim):
    nd = builtins.max(a.ndim, b.ndim)
    if a.ndim != b.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions.")
    d = dim % nd if -nd <= dim < nd else None
    if d is None:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[d]} and "
                           f"{b.shape[d]}")
    shape = jnp.broadcast_shapes(a.shape, b.shape)
    return jnp.cross(jnp.broadcast_to(a, shape), jnp.broadcast_to(b, shape), axis=d)


_linop("linalg_cross(Tensor self, Tensor other, *, int dim=-1)", _cross, "cross", grad="LinalgCrossBackward0",
       dtype="promote")


def _cross_top(a, b, dim):
    if dim is None:
        shape = jnp.broadcast_shapes(a.shape, b.shape)
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _cross(a, b, dim)


_top("cross(Tensor self, Tensor other, int? dim=None)", _cross_top, grad="LinalgCrossBackward0", dtype="promote")


def _vecdot(x, y, dim):
    if jnp.iscomplexobj(x):
        x = jnp.conj(x)
    return jnp.sum(x * y, axis=dim)


_linop("linalg_vecdot(Tensor x, Tensor y, *, int dim=-1)", _vecdot, "vecdot", grad="SumBackward1",
       dtype=_float_input("linalg.vecdot"))


def multi_dot(tensors, *, out=None):
    """torch.linalg.multi_dot: the chained product (1-D first/last arguments are a row/column vector)."""
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    first_1d, last_1d = ts[0].ndim == 1, ts[-1].ndim == 1
    if first_1d:
        ts[0] = ts[0].unsqueeze(0)
    if last_1d:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i, t in enumerate(ts):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    r = ts[0]
    for t in ts[1:]:
        r = FUNCTIONS["mm"](r, t)
    if first_1d and last_1d:
        return r.reshape(())
    if first_1d:
        return r.reshape(r.shape[-1])
    if last_1d:
        return r.reshape(r.shape[0])
    return r


_composite(multi_dot, "multi_dot")


def _vander(x, n):
    if x.ndim == 0:
        x = x.reshape(1)
    n = x.shape[-1] if n is None else n
    if n <= 0:
        raise RuntimeError("N must be greater than 1.")
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int64)
    ones = jnp.ones(x.shape + (1,), x.dtype)
    if n == 1:
        return ones
    rep = jnp.broadcast_to(x[..., None], x.shape + (n - 1,))
    return jnp.concatenate([ones, jnp.cumprod(rep, axis=-1)], axis=-1)


_linop("linalg_vander(Tensor x, *, int? N=None)", _vander, "vander", grad="CatBackward0", dtype="promote")


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    n = builtins.max(A.ndim, 1)
    if -n <= dim1 < n and -n <= dim2 < n and dim1 % n == dim2 % n:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return FUNCTIONS["diagonal"](A, offset, dim1, dim2)


_composite(diagonal, "diagonal")


def tensorinv(A, ind=2, *, out=None):
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    out_shape = tuple(A.shape[ind:]) + tuple(A.shape[:ind])
    rows = math.prod(A.shape[:ind])
    cols = math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           "prod(self.shape[:ind]), but got " f"{cols} != {rows}")
    return inv(A.reshape(rows, cols)).reshape(out_shape)


_composite(tensorinv, "tensorinv")


def tensorsolve(A, B, dims=None, *, out=None):
    if dims is not None:
        nd = A.ndim
        dims = [d % nd for d in dims]
        rest = [d for d in range(nd) if d not in dims]
        A = A.permute(*(rest + dims))
    res_shape = tuple(A.shape[B.ndim:])
    n = math.prod(res_shape)
    return solve(A.reshape(-1, n), B.reshape(-1)).reshape(res_shape)


_composite(tensorsolve, "tensorsolve")


def _trace(x):
    if x.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim " f"{x.ndim}")
    d = jnp.trace(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        d = d.astype(jnp.int64)
    return d


_top("trace(Tensor self)", _trace, grad="TraceBackward0", dtype="keep")


# ---- low-rank approximations ---------------------------------------------------------------------------
def svd_lowrank(A, q=6, niter=2, M=None):
    """torch.svd_lowrank: ``(U, S, V)`` of rank ``q``.

    PyTorch uses a randomized range finder; this returns the exact truncated SVD of ``A - M`` (the
    quantity the randomized one approximates), so results agree up to that approximation and to signs.
    """
    if M is not None:
        A = FUNCTIONS["sub"](A, M)
    q = 6 if q is None else int(q)
    m, n = A.shape[-2:]
    if not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    u, s, vh = svd(A, full_matrices=False)
    return u[..., :, :q], s[..., :q], vh.mH[..., :, :q]


def pca_lowrank(A, q=None, center=True, niter=2):
    """torch.pca_lowrank: the truncated SVD of the column-centred ``A`` (see :func:`svd_lowrank`)."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    if center:
        A = FUNCTIONS["sub"](A, FUNCTIONS["mean"](A, (-2,), True))
    return svd_lowrank(A, q, niter)


for _name, _fn in (("svd_lowrank", svd_lowrank), ("pca_lowrank", pca_lowrank)):
    publish(_name, _fn)


# ---- LDL^T (Bunch-Kaufman), computed on the host ------------------------------------------------
# The pivoting depends on the values (as LAPACK's sytrf), so the factorization runs in numpy, in the
# input's precision, one matrix at a time; like PyTorch's, it has no derivative.
def _abs1(v):
    return np.abs(v.real) + np.abs(v.imag) if np.iscomplexobj(v) else np.abs(v)


def _sytf2_lower(a):
    """LAPACK's unblocked Bunch-Kaufman ``sytf2`` (lower): ``(LD, pivots (1-based, negative for 2x2
    blocks), info)``."""
    a = a.copy()
    n = a.shape[0]
    ipiv = np.zeros(n, np.int32)
    alpha = (1 + math.sqrt(17)) / 8
    info, k = 0, 0
    while k < n:
        kstep = 1
        absakk = _abs1(a[k, k])
        imax, colmax = k, 0.0
        if k < n - 1:
            imax = k + 1 + int(np.argmax(_abs1(a[k + 1:, k])))
            colmax = _abs1(a[imax, k])
        if builtins.max(absakk, colmax) == 0 or np.isnan(absakk):
            if info == 0:
                info = k + 1
            kp = k
        else:
            if absakk >= alpha * colmax:
                kp = k
            else:
                rowmax = _abs1(a[imax, k:imax]).max()
                if imax < n - 1:
                    rowmax = builtins.max(rowmax, _abs1(a[imax + 1:, imax]).max())
                if absakk >= alpha * colmax * (colmax / rowmax):
                    kp = k
                elif _abs1(a[imax, imax]) >= alpha * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:
                if kp < n - 1:
                    a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
                t = a[kk + 1:kp, kk].copy()
                a[kk + 1:kp, kk] = a[kp, kk + 1:kp]
                a[kp, kk + 1:kp] = t
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if kstep == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if kstep == 1:
                if k < n - 1:
                    d11 = 1 / a[k, k]
                    x = a[k + 1:, k].copy()
                    a[k + 1:, k + 1:] -= d11 * np.outer(x, x)
                    a[k + 1:, k] *= d11
            elif k < n - 2:
                d21 = a[k + 1, k]
                d11 = a[k + 1, k + 1] / d21
                d22 = a[k, k] / d21
                t = 1 / (d11 * d22 - 1)
                d21 = t / d21
                for j in builtins.range(k + 2, n):
                    wk = d21 * (d11 * a[j, k] - a[j, k + 1])
                    wkp1 = d21 * (d22 * a[j, k + 1] - a[j, k])
                    a[j:, j] -= a[j:, k] * wk + a[j:, k + 1] * wkp1
                    a[j, k], a[j, k + 1] = wk, wkp1
        if kstep == 1:
            ipiv[k] = kp + 1
        else:
            ipiv[k] = ipiv[k + 1] = -(kp + 1)
        k += kstep
    return np.tril(a), ipiv, info


def _sytrs_lower(a, ipiv, b):
    """LAPACK's ``sytrs`` (lower): solve with the factorization from :func:`_sytf2_lower`."""
    b = b.copy()
    n = a.shape[0]
    k = 0
    while k < n:
        if ipiv[k] > 0:
            kp = ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            b[k + 1:] -= a[k + 1:, k, None] * b[k]
            b[k] /= a[k, k]
            k += 1
        else:
            kp = -ipiv[k] - 1
            if kp != k + 1:
                b[[k + 1, kp]] = b[[kp, k + 1]]
            b[k + 2:] -= a[k + 2:, k, None] * b[k] + a[k + 2:, k + 1, None] * b[k + 1]
            akm1k = a[k + 1, k]
            akm1, ak = a[k, k] / akm1k, a[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1
            bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
            b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:
        if ipiv[k] > 0:
            b[k] -= a[k + 1:, k] @ b[k + 1:]
            kp = ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            b[k] -= a[k + 1:, k] @ b[k + 1:]
            b[k - 1] -= a[k + 1:, k - 1] @ b[k + 1:]
            kp = -ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            k -= 2
    return b


def _ldl_host_input(A, name, hermitian):
    if not isinstance(A, _Tensor):
        raise TypeError(f"{name}(): argument 'A' (position 1) must be Tensor, not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"torch.{name}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"torch.{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if A.dtype.category < D.FLOAT or A.dtype in (D.float16, D.bfloat16):
        raise RuntimeError(f"torch.{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_type_word(A.dtype)}")
    if hermitian and A.dtype.category == D.COMPLEX:
        raise NotImplementedError(f"torch.{name}: hermitian=True for complex input is not supported by torchlike")
    return A.detach().numpy()


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """torch.linalg.ldl_factor_ex: ``(LD, pivots, info)`` of the Bunch-Kaufman factorization of the
    symmetric ``A`` (its lower triangle is read), as LAPACK's sytrf computes it."""
    a = _ldl_host_input(A, "linalg.ldl_factor_ex", hermitian)
    n = a.shape[-1]
    flat = a.reshape((math.prod(a.shape[:-2]), n, n))
    lds, pivs, infos = [], [], []
    for m in flat:
        ld, piv, info = _sytf2_lower(m)
        lds.append(ld)
        pivs.append(piv)
        infos.append(info)
    batch = a.shape[:-2]
    ld = tensor(np.stack(lds).reshape(a.shape) if flat.shape[0] else a.copy())
    piv = tensor(np.stack(pivs).reshape(batch + (n,)) if flat.shape[0] else np.zeros(batch + (n,), np.int32))
    info = tensor(np.asarray(infos, np.int32).reshape(batch))
    if check_errors and bool((info != 0).any()):
        raise LinAlgError(f"torch.linalg.ldl_factor_ex: The factorization could not be completed because the "
                          f"input is not invertible.")
    res = _return_type_ldl("linalg_ldl_factor_ex", ("LD", "pivots", "info"))(ld, piv, info)
    return _to_out(res, out)


def ldl_factor(A, *, hermitian=False, out=None):
    """torch.linalg.ldl_factor: ``(LD, pivots)`` (see :func:`ldl_factor_ex`)."""
    ld, piv, info = ldl_factor_ex(A, hermitian=hermitian)
    codes = _codes(info)
    if codes is not None:      # PyTorch raises a RuntimeError here too (an internal assert in 2.x)
        _raise(codes, A.ndim > 2, "torch.linalg.ldl_factor", lambda c: f"The factorization could not be completed "
               f"because the block diagonal matrix D is singular (D[{c},{c}] is zero).")
    return _to_out(_return_type_ldl("linalg_ldl_factor", ("LD", "pivots"))(ld, piv), out)


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """torch.linalg.ldl_solve: solve ``A X = B`` from ``ldl_factor(A)``'s ``(LD, pivots)``."""
    a = _ldl_host_input(LD, "linalg.ldl_solve", hermitian)
    if pivots.dtype is not D.int32:
        raise RuntimeError("torch.linalg.ldl_solve: Expected pivots to be integers. Got " + _type_word(pivots.dtype))
    if B.ndim < 2 or B.shape[-2] != LD.shape[-1]:
        raise RuntimeError("torch.linalg.ldl_solve: Incompatible shapes of A and B for the equation AX = B")
    if B.dtype is not LD.dtype:
        raise RuntimeError(f"torch.linalg.ldl_solve: Expected LD and B to have the same dtype, but found "
                           f"LD of type {_type_word(LD.dtype)} and B of type {_type_word(B.dtype)} instead")
    n = a.shape[-1]
    batch = tuple(np.broadcast_shapes(a.shape[:-2], tuple(pivots.shape[:-1]), tuple(B.shape[:-2])))
    count = math.prod(batch)
    a = np.broadcast_to(a, batch + (n, n)).reshape((count, n, n))
    p = np.broadcast_to(pivots.numpy(), batch + (n,)).reshape((count, n))
    b = np.broadcast_to(B.detach().numpy(), batch + tuple(B.shape[-2:])).reshape((count,) + tuple(B.shape[-2:]))
    x = np.stack([_sytrs_lower(a[i], p[i], b[i]) for i in builtins.range(b.shape[0])]) if b.shape[0] else b.copy()
    return _to_out(tensor(x.reshape(batch + tuple(B.shape[-2:]))), out)


def _return_type_ldl(name, fields):
    return _return_type(name, fields)


def _to_out(res, out):
    if out is None:
        return res
    if isinstance(res, tuple):
        for o, r in zip(out, res):
            o.resize_(r.shape).copy_(r)
        return out
    return out.resize_(res.shape).copy_(res)


for _name, _fn in (("ldl_factor_ex", ldl_factor_ex), ("ldl_factor", ldl_factor), ("ldl_solve", ldl_solve)):
    _composite(_fn, _name)


# ---- legacy top-level norms and torch.vander (torch namespace) ------------------------------------
def _p_norm(x, p, dim, keepdim):
    """ATen's legacy ``norm.Scalar``/``norm.ScalarOpt_dim`` (the ``NormBackward0/1`` nodes of the ops kept for
    TorchScript), as ``linalg.vector_norm`` computes it."""
    axis = None if dim is None else tuple(dim)
    return jnp.linalg.vector_norm(x, ord=p, axis=axis, keepdims=keepdim)


_P_NORM = defop("_p_norm(Tensor self, float p, int[]? dim, bool keepdim)", _p_norm, function=False, method=False,
                dtype=_float_input("norm"), grad=lambda args, statics: "NormBackward0" if statics[1] is None
                else "NormBackward1")


def _frobenius_norm(input, dim, keepdim=False, *, out=None):
    """``torch.frobenius_norm(input, dim, keepdim=False)``: the 2-norm over ``dim`` (kept for TorchScript in
    PyTorch; ``linalg.vector_norm`` is the modern spelling)."""
    r = _P_NORM.function(input, 2.0, list(dim) if isinstance(dim, (list, tuple)) else [dim], keepdim)
    return r if out is None else out.copy_(r)


def _nuclear_norm(input, dim=None, keepdim=False, *, out=None):
    """``torch.nuclear_norm(input, keepdim=False)`` or ``(input, dim, keepdim=False)``: the sum of singular
    values over two dims (the last two by default)."""
    if isinstance(dim, builtins.bool):          # nuclear_norm(input, keepdim)
        dim, keepdim = None, dim
    return matrix_norm(input, "nuc", dim=(-2, -1) if dim is None else tuple(dim), keepdim=keepdim, out=out)


def _native_norm(input, p=2, dim=None, keepdim=False, dtype=None):
    """PyTorch implements ``native_norm`` for sparse tensors only: a dense input raises its dispatch error."""
    name = "aten::native_norm" if dim is None else "aten::native_norm.ScalarOpt_dim_dtype"
    raise NotImplementedError(f"Could not run '{name}' with arguments from the 'CPU' backend. This could be because "
                              "the operator doesn't exist for this backend (it is implemented for sparse tensors "
                              "only).")


def _norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dim but ``dim`` (kept as size 1), as weight normalisation uses;
    ``dim=-1`` is the norm of the whole tensor."""
    norm = _P_NORM.function
    if dim == -1:
        return norm(v, float(pow), None, False)
    if dim == 0:
        shape = (v.shape[0],) + (1,) * (v.ndim - 1)
        return norm(v.contiguous().view(v.shape[0], -1), float(pow), [1], False).view(shape)
    if dim == v.ndim - 1:
        shape = (1,) * (v.ndim - 1) + (v.shape[-1],)
        return norm(v.contiguous().view(-1, v.shape[-1]), float(pow), [0], False).view(shape)
    return _norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


for _name, _fn in (("frobenius_norm", _frobenius_norm), ("nuclear_norm", _nuclear_norm),
                   ("native_norm", _native_norm), ("norm_except_dim", _norm_except_dim)):
    _fn.__name__ = _fn.__qualname__ = _name
    _composite(_fn, None, top=_name)


def _vander_top(x, n, increasing):
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    if n is not None and n < 0:
        raise RuntimeError("N must be non-negative.")
    if n == 0:
        return jnp.zeros((x.shape[0], 0), jnp.int64 if x.dtype == jnp.bool_ else x.dtype)
    r = _vander(x, n)
    return r if increasing else jnp.flip(r, -1)


def _vander_dtype(args, statics=None):
    d = _promoted(args)
    return D.int64 if d.category <= D.INT else d


_top("vander(Tensor x, int? N=None, bool increasing=False)", _vander_top, method=False, dtype=_vander_dtype,
     grad=lambda args, statics: "CopySlices" if statics[1] else "FlipBackward0")


def _renorm(x, p, dim, maxnorm):
    if x.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {x.ndim} dimensions")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = _wrap_dim(dim, x.ndim)
    axes = tuple(a for a in range(x.ndim) if a != d)
    a = jnp.abs(x)
    if p == float("inf"):
        norm = jnp.max(a, axis=axes, keepdims=True)
    else:
        norm = jnp.sum(a ** p, axis=axes, keepdims=True) ** (1.0 / p)
    factor = jnp.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return x * factor.astype(x.dtype)


_op("renorm(Tensor self, Scalar p, int dim, Scalar maxnorm)", _renorm, dtype=_float_only("renorm"), inplace=True)


def _dist(a, b, p):
    diff = a - b
    return _vector_norm_impl(diff, p, None, False, None)


_op("dist(Tensor self, Tensor other, Scalar p=2)", _dist, dtype=_float_only("dist"))


def _cdist(x1, x2, p, compute_mode):
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D" if x1.ndim < 2 else
                           f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values")
    batch = jnp.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    a = jnp.broadcast_to(x1, batch + x1.shape[-2:])[..., :, None, :]
    b = jnp.broadcast_to(x2, batch + x2.shape[-2:])[..., None, :, :]
    return _vector_norm_impl(a - b, p, (-1,), False, None)


_op("cdist(Tensor x1, Tensor x2, float p=2.0, str? compute_mode=None)", _cdist, dtype=_float_only("cdist"),
    method=False)


# ---- Tensor methods PyTorch removed: they raise its RuntimeError with the replacement ----------------
_REMOVED = {
    "solve": ("`torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has its arguments "
              "reversed and does not return the LU factorization.\n\nTo get the LU factorization see `torch.lu`, "
              "which can be used with `torch.lu_solve` or `torch.lu_unpack`.\nX = torch.solve(B, A).solution "
              "should be replaced with:\nX = torch.linalg.solve(A, B)"),
    "symeig": ("The default behavior has changed from using the upper triangular portion of the matrix by default to "
               "using the lower triangular portion.\n\nL, _ = torch.symeig(A, upper=upper) should be replaced "
               "with:\nL = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\nand\n\nL, V = torch.symeig(A, "
               "eigenvectors=True) should be replaced with:\nL, V = torch.linalg.eigh(A, UPLO='U' if upper else "
               "'L')"),
    "eig": ("`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than real tensors "
            "mimicking complex tensors.\n\nL, _ = torch.eig(A) should be replaced with:\nL_complex = "
            "torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, eigenvectors=True) should be replaced "
            "with:\nL_complex, V_complex = torch.linalg.eig(A)"),
    "lstsq": ("`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` has reversed "
              "arguments and does not return the QR decomposition in the returned tuple (although it returns other "
              "information about the problem).\n\nTo get the QR decomposition consider using "
              "`torch.linalg.qr`.\n\nThe returned solution in `torch.lstsq` stored the residuals of the solution in "
              "the last m - n columns of the returned value whenever m > n. In torch.linalg.lstsq, the residuals "
              "are in the field 'residuals' of the returned named tuple.\n\nThe unpacking of the solution, as "
              "in\nX, _ = torch.lstsq(B, A).solution[:A.size(1)]\nshould be replaced with:\nX = "
              "torch.linalg.lstsq(A, B).solution"),
}


def _removed(name, advice):
    def method(self, *args, **kwargs):
        raise RuntimeError("This function was deprecated since version 1.9 and is now removed. " + advice)
    method.__name__ = name
    method.__qualname__ = "Tensor." + name
    return method


for _name, _advice in _REMOVED.items():
    publish(_name, method=_removed(_name, _advice))


# ---- torch.linalg.matmul (an alias of torch.matmul) and torch.lobpcg ----------------------
def _linalg_matmul(input, other, *, out=None):  # noqa: A002 - PyTorch's parameter name
    """``torch.matmul`` under its ``torch.linalg`` name."""
    return FUNCTIONS["matmul"](input, other, out=out)


_composite(_linalg_matmul, "matmul")
from . import _lobpcg  # noqa: E402,F401  (publishes torch.lobpcg)
