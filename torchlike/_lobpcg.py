"""``torch.lobpcg``: a few extreme eigenpairs of a symmetric (generalized) eigenproblem.

Knyazev's locally optimal block preconditioned conjugate gradient method, written over torchlike's
own ops: each step takes the Rayleigh-Ritz pairs of ``A`` (against ``B``) in the span of the current
block ``X``, its preconditioned residuals ``iK @ (A X - B X E)`` and the previous update direction
``P``, keeping the ``n`` largest (or smallest) pairs, until the residuals of the first ``k`` meet
``tol`` (relative to ``||A|| + |E| ||B||``) or ``niter`` steps ran.  The iteration runs without
autograd; one Rayleigh-Ritz step over the converged block with autograd on gives the result, so
the eigenvalues' gradients are exact (``x xᵀ`` for A, ``-E x xᵀ`` for B) and the eigenvectors'
gradients are taken within the converged block (docs/differences.md).
"""
from __future__ import annotations

import math
import types

from . import _dtype as D
from ._names import publish
import torchlike     # the public face, read when called (not an import cycle)


def _T():
    return torchlike


def _check(A, B, X, iK):
    T = _T()
    if not isinstance(A, T.Tensor):
        raise TypeError(f"lobpcg(): argument 'A' must be a Tensor, not {type(A).__name__}")
    if A.dim() < 2:
        raise IndexError(f"lobpcg: A must have at least 2 dimensions (a matrix or a batch of them), got shape "
                         f"{A.shape}")
    if A.shape[-2] != A.shape[-1]:
        raise AssertionError(f"A must be square, got shape {A.shape}")
    if A.dtype in (D.float16, D.bfloat16):
        raise KeyError(f"lobpcg: no tolerance for {A.dtype}: A must be float32 or float64")
    if A.dtype not in (D.float32, D.float64):
        raise RuntimeError(f"lobpcg: A must be float32 or float64, got {A.dtype}")
    if B is not None and tuple(B.shape) != tuple(A.shape):
        raise AssertionError(f"A and B must have same shape, got {A.shape} vs {B.shape}")
    if iK is not None and tuple(iK.shape[-2:]) != tuple(A.shape[-2:]):
        raise AssertionError(f"A and iK must have same shape, got {A.shape} vs {iK.shape}")
    if X is not None:
        expected = tuple(A.shape[:-1]) + (X.shape[-1],)
        if tuple(X.shape) != expected:
            raise AssertionError(f"X shape mismatch: got {X.shape}, expected {expected}")


def _orth(S, Bmul, eps):
    """A B-orthonormal basis of the columns of ``S`` (those numerically independent), twice for accuracy."""
    T = _T()
    norms = S.norm(dim=0)
    if not bool((norms > 0).all()):
        S, norms = S[:, norms > 0], norms[norms > 0]
    S = S / norms                   # unit columns: a small residual is a direction, not a negligible one
    for _ in range(2):
        G = S.mT @ Bmul(S)
        w, Q = T.linalg.eigh((G + G.mT) / 2)
        keep = w > w.max() * eps * S.shape[-2] * 10
        if not bool(keep.all()):
            w, Q = w[keep], Q[:, keep]
        S = S @ (Q / w.sqrt())
    return S


def _ritz(A, S, n, largest):
    T = _T()
    H = S.mT @ A @ S
    w, C = T.linalg.eigh((H + H.mT) / 2)
    idx = T.arange(w.shape[0] - 1, w.shape[0] - 1 - n, -1) if largest else T.arange(n)
    return w[idx], S @ C[:, idx]


def _solve_one(A, B, X, iK, n, k, niter, tol, largest, tracker, params):
    T = _T()
    m = A.shape[-1]
    eps = T.finfo(A.dtype).eps
    with T.no_grad():
        Ad, Bd = A.detach(), None if B is None else B.detach()
        Bmul = (lambda V: V) if Bd is None else (lambda V: Bd @ V)
        X = T.randn(m, n, dtype=A.dtype) if X is None else X.detach().to(A.dtype)
        E, X = _ritz(Ad, _orth(X, Bmul, eps), n, largest)
        anorm = T.linalg.matrix_norm(Ad)
        bnorm = 1.0 if Bd is None else T.linalg.matrix_norm(Bd)
        P, step = None, 0
        while niter < 0 or step < niter:
            R = Ad @ X - Bmul(X) * E
            rerr = R.norm(dim=0) / ((anorm + E.abs() * bnorm) * X.norm(dim=0))
            converged = int((rerr < tol).sum())
            if tracker is not None:
                tracker(types.SimpleNamespace(A=A, B=B, iK=iK, E=E, X=X, R=R, S=None, method=params[0],
                                              tracker=tracker, ivars={"istep": step, "converged_count": converged},
                                              fvars={"tol": tol}, bvars={}, tvars={"rerr": rerr},
                                              iparams=params[1], fparams=params[2], bparams=params[3]))
            if bool((rerr[:k] < tol).all()):
                break
            W = R if iK is None else iK.detach().to(A.dtype) @ R
            S = _orth(T.cat([X, W] + ([] if P is None else [P]), dim=1), Bmul, eps)
            En, Xn = _ritz(Ad, S, n, largest)
            P = Xn - X @ (X.mT @ Bmul(Xn))
            E, X, step = En, Xn, step + 1
    # one Rayleigh-Ritz step over the converged block, with autograd: the result and its gradients
    S = X
    H = S.mT @ A @ S
    L = T.linalg.cholesky(S.mT @ (S if B is None else B @ S))
    Hs = T.linalg.solve_triangular(L, T.linalg.solve_triangular(L, H, upper=False).mT, upper=False)
    w, C = T.linalg.eigh((Hs + Hs.mT) / 2)
    idx = T.arange(n - 1, -1, -1) if largest else T.arange(n)
    Y = T.linalg.solve_triangular(L.mT, C[:, idx], upper=True)
    return w[idx][:k], (S @ Y)[:, :k]


def lobpcg(A, k=None, B=None, X=None, n=None, iK=None, niter=None, tol=None, largest=None, method=None,
           tracker=None, ortho_iparams=None, ortho_fparams=None, ortho_bparams=None):
    """The ``k`` largest (``largest=False``: smallest) eigenpairs of the symmetric ``A`` (of ``A x = λ B x``
    with ``B`` symmetric positive-definite): ``(E, X)``, ``E`` of shape ``(*, k)``, ``X`` of ``(*, m, k)``.
    ``X`` starts the iteration (``n`` = its columns; random otherwise), ``iK`` preconditions the
    residuals, ``niter`` bounds the steps (-1: until converged), ``tol`` is the relative residual
    bound (default: the dtype's eps ** 0.5), ``tracker(worker)`` is called once per step."""
    T = _T()
    _check(A, B, X, iK)
    m = A.shape[-1]
    if X is not None:
        n = X.shape[-1]
        k = n if k is None else k
    else:
        k = 1 if k is None else k
        n = k if n is None else n
    if m < 3 * n:
        raise ValueError(f"LOBPCG algorithm is not applicable when the number of A rows (={m}) is smaller than 3 x "
                         f"the number of requested eigenpairs (={n})")
    niter = 1000 if niter is None else niter
    tol = T.finfo(A.dtype).eps ** 0.5 if tol is None else tol
    largest = True if largest is None else largest
    params = (method or "ortho", dict(ortho_iparams or {}), dict(ortho_fparams or {}), dict(ortho_bparams or {}))
    batch = tuple(A.shape[:-2])
    if not batch:
        return _solve_one(A, B, X, iK, n, k, niter, tol, largest, tracker, params)
    Es, Xs = [], []
    for i in range(math.prod(batch)):
        at = _unravel(i, batch)
        pick = (lambda t: None if t is None else (t[at] if t.dim() > 2 else t))
        e, x = _solve_one(A[at], pick(B), pick(X), pick(iK), n, k, niter, tol, largest, tracker, params)
        Es.append(e)
        Xs.append(x)
    return T.stack(Es).reshape(batch + (Es[0].shape[-1],)), T.stack(Xs).reshape(batch + tuple(Xs[0].shape))


def _unravel(i, shape):
    out = []
    for size in reversed(shape):
        out.append(i % size)
        i //= size
    return tuple(reversed(out))


publish("lobpcg", lobpcg)
