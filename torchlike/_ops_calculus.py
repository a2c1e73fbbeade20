"""Differences and integration: ``diff``, ``gradient``, ``trapezoid``/``trapz``, ``cumulative_trapezoid``."""
from __future__ import annotations

import builtins

import jax.numpy as jnp
from jax import lax

from ._registry import _wrap_dim
from ._tensor import Tensor
from ._ops_common import _fn, _private, dim_list

# ---- differences, integration ------------------------------------------------------------------------
def _diff(x, prepend, append, n, dim):
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = _wrap_dim(dim, x.ndim)
    parts = [a for a in (prepend, x, append) if a is not None]
    if len(parts) > 1:
        parts = [jnp.broadcast_to(p, x.shape[:d] + p.shape[d:d + 1] + x.shape[d + 1:]) if p.ndim == x.ndim else
                 jnp.broadcast_to(p.reshape(p.shape + (1,) * 0), x.shape[:d] + (1,) + x.shape[d + 1:])
                 for p in parts]
        x = jnp.concatenate([p.astype(x.dtype) for p in parts], axis=d)
    for _ in range(n):
        a = lax.slice_in_dim(x, 1, x.shape[d], axis=d)
        b = lax.slice_in_dim(x, 0, builtins.max(x.shape[d] - 1, 0), axis=d)
        x = jnp.logical_xor(a, b) if x.dtype == jnp.bool_ else a - b
    return x


_DIFF = _private("diff(Tensor self, Tensor? prepend, Tensor? append, int n=1, int dim=-1)", _diff,
                 grad="SubBackward0", dtype="first")


def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    """n-th forward difference along ``dim`` (``prepend``/``append`` joined first)."""
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    if n == 0:
        return input
    return _DIFF(input, prepend, append, n, dim, out=out)


_fn("diff", diff, method=True)


def _trapz_dx(y, dx, dim):
    d = _wrap_dim(dim, y.ndim)
    if y.shape[d] == 0:
        return jnp.zeros(y.shape[:d] + y.shape[d + 1:], y.dtype)
    first = lax.index_in_dim(y, 0, d, keepdims=False)
    last = lax.index_in_dim(y, y.shape[d] - 1, d, keepdims=False)
    return (jnp.sum(y, axis=d) - (first + last) * 0.5) * dx


def _trapz_x(y, x, dim):
    d = _wrap_dim(dim, y.ndim)
    n = y.shape[d]
    if n == 0:
        return jnp.zeros(y.shape[:d] + y.shape[d + 1:], jnp.result_type(y, x))
    if x.ndim == 1:
        dx = jnp.diff(x).reshape((-1,) + (1,) * (y.ndim - 1 - d))
    else:
        dx = jnp.diff(x, axis=d - y.ndim if x.ndim < y.ndim else d)
    a = lax.slice_in_dim(y, 1, n, axis=d)
    b = lax.slice_in_dim(y, 0, n - 1, axis=d)
    return jnp.sum((a + b) * dx, axis=d) / 2


def _cumtrapz_dx(y, dx, dim):
    d = _wrap_dim(dim, y.ndim)
    n = y.shape[d]
    a = lax.slice_in_dim(y, 1, n, axis=d)
    b = lax.slice_in_dim(y, 0, builtins.max(n - 1, 0), axis=d)
    return jnp.cumsum((a + b) * (dx / 2), axis=d)


def _cumtrapz_x(y, x, dim):
    d = _wrap_dim(dim, y.ndim)
    n = y.shape[d]
    if x.ndim == 1:
        dx = jnp.diff(x).reshape((-1,) + (1,) * (y.ndim - 1 - d))
    else:
        dx = jnp.diff(x, axis=d - y.ndim if x.ndim < y.ndim else d)
    a = lax.slice_in_dim(y, 1, n, axis=d)
    b = lax.slice_in_dim(y, 0, builtins.max(n - 1, 0), axis=d)
    return jnp.cumsum((a + b) * dx / 2, axis=d)


_TRAPZ_DX = _private("_trapezoid_dx(Tensor y, float dx=1, int dim=-1)", _trapz_dx, grad="MulBackward1", dtype="float")
_TRAPZ_X = _private("_trapezoid_x(Tensor y, Tensor x, int dim=-1)", _trapz_x, grad="DivBackward1", dtype="float")
_CUMTRAPZ_DX = _private("_cumulative_trapezoid_dx(Tensor y, float dx=1, int dim=-1)", _cumtrapz_dx,
                        grad="CumsumBackward0", dtype="float")
_CUMTRAPZ_X = _private("_cumulative_trapezoid_x(Tensor y, Tensor x, int dim=-1)", _cumtrapz_x,
                       grad="DivBackward1", dtype="float")


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along ``dim`` (uniform spacing ``dx`` or sample points ``x``)."""
    if x is not None and dx is not None:
        raise RuntimeError("torch.trapezoid: received both x and dx")
    if isinstance(x, Tensor):
        return _TRAPZ_X(y, x, dim)
    if x is not None:       # trapezoid(y, dx_number)
        dx = x
    return _TRAPZ_DX(y, 1.0 if dx is None else float(dx), dim)


def trapz(y, x=None, *, dx=None, dim=-1):
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    if isinstance(x, Tensor):
        return _CUMTRAPZ_X(y, x, dim)
    if x is not None:
        dx = x
    return _CUMTRAPZ_DX(y, 1.0 if dx is None else float(dx), dim)


_fn("trapezoid", trapezoid)
_fn("trapz", trapz)
_fn("cumulative_trapezoid", cumulative_trapezoid)


def _gradient_1d(f, h, d, edge_order, coords):
    n = f.shape[d]
    if n < edge_order + 1:
        raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    sl = lambda a, b: lax.slice_in_dim(f, a, b, axis=d)  # noqa: E731
    if coords is None:
        interior = (sl(2, n) - sl(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first = (sl(1, 2) - sl(0, 1)) / h
            last = (sl(n - 1, n) - sl(n - 2, n - 1)) / h
        else:
            first = (-1.5 * sl(0, 1) + 2 * sl(1, 2) - 0.5 * sl(2, 3)) / h
            last = (0.5 * sl(n - 3, n - 2) - 2 * sl(n - 2, n - 1) + 1.5 * sl(n - 1, n)) / h
        return jnp.concatenate([first, interior, last], axis=d)
    shape = [1] * f.ndim
    shape[d] = -1
    c = coords
    dxs = jnp.diff(c)
    hl, hr = dxs[:-1].reshape(shape), dxs[1:].reshape(shape)
    interior = (hl ** 2 * sl(2, n) - hr ** 2 * sl(0, n - 2) + (hr ** 2 - hl ** 2) * sl(1, n - 1)) / (hl * hr * (hl + hr))
    if edge_order == 1:
        first = (sl(1, 2) - sl(0, 1)) / dxs[0]
        last = (sl(n - 1, n) - sl(n - 2, n - 1)) / dxs[-1]
    else:
        h1, h2 = dxs[0], dxs[1]
        first = (-(2 * h1 + h2) / (h1 * (h1 + h2)) * sl(0, 1) + (h1 + h2) / (h1 * h2) * sl(1, 2)
                 - h1 / (h2 * (h1 + h2)) * sl(2, 3))
        h1, h2 = dxs[-2], dxs[-1]
        last = (h2 / (h1 * (h1 + h2)) * sl(n - 3, n - 2) - (h1 + h2) / (h1 * h2) * sl(n - 2, n - 1)
                + (2 * h2 + h1) / (h2 * (h1 + h2)) * sl(n - 1, n))
    return jnp.concatenate([first, interior, last], axis=d)


def _gradient(arrs, spacing, dims, edge_order):
    f = arrs[0]
    coords = arrs[1:]
    if not jnp.issubdtype(f.dtype, jnp.inexact):
        f = f.astype(jnp.float32)
    outs = []
    for k, d in enumerate(dims):
        if coords:
            c = coords[k]
            outs.append(_gradient_1d(f, None, d, edge_order, c.astype(f.dtype)))
        else:
            outs.append(_gradient_1d(f, spacing[k], d, edge_order, None))
    return tuple(outs)


_GRADIENT = _private("_gradient(Tensor[] tensors, any spacing, int[] dims, int edge_order)", _gradient,
                     grad="CatBackward0", dtype="keep")


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Central differences in the interior, one-sided (first or second order) at the edges."""
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = dim_list(dim, input.ndim)
    dims = [_wrap_dim(d, input.ndim) for d in dims]
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    if spacing is None:
        spacing = 1
    coords = []
    if isinstance(spacing, (int, float)):
        steps = tuple(float(spacing) for _ in dims)
    elif isinstance(spacing, Tensor) and spacing.ndim == 0:
        steps = tuple(float(spacing.item()) for _ in dims)
    else:
        sp = list(spacing)
        if len(sp) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length {len(sp)} "
                               f"and a dim argument of length {len(dims)}.")
        if all(isinstance(s, Tensor) and s.ndim == 1 for s in sp):
            coords = sp
            steps = None
        else:
            steps = tuple(float(s.item() if isinstance(s, Tensor) else s) for s in sp)
    return _GRADIENT([input] + coords, steps, tuple(dims), edge_order)


_fn("gradient", gradient)
