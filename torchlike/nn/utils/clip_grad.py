"""Gradient clipping: one compiled function over all gradients, results written in place."""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from ..._tensor import Tensor
from ...autograd import grad_mode
import warnings
import torchlike as torch     # the public face, read when called (not an import cycle)


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p._grad for p in parameters if p._grad is not None]


def _norm_of(arrays, norm_type):
    if norm_type == math.inf:
        return jnp.max(jnp.stack([jnp.max(jnp.abs(a)).astype(jnp.float32 if a.dtype != jnp.float64 else a.dtype)
                                  for a in arrays]))
    norms = [jnp.linalg.norm(a.reshape(-1), norm_type) for a in arrays]
    dt = functools.reduce(jnp.promote_types, [n.dtype for n in norms])
    return jnp.linalg.norm(jnp.stack([n.astype(dt) for n in norms]), norm_type)


@functools.lru_cache(maxsize=256)
def _clip_fn(norm_type, n):
    def f(arrays, max_norm):
        total = _norm_of(arrays, norm_type)
        coef = jnp.minimum(max_norm / (total + 1e-6), 1.0)
        return total, tuple((a * coef.astype(a.dtype)).astype(a.dtype) for a in arrays)
    return jax.jit(f)


@functools.lru_cache(maxsize=256)
def _norm_fn(norm_type, n):
    return jax.jit(lambda arrays: _norm_of(arrays, norm_type))


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._wrap(jnp.asarray(0.0, jnp.float32))
    total = _norm_fn(norm_type, len(tensors))(tuple(t._arr() for t in tensors))
    _check_finite(total, norm_type, error_if_nonfinite)
    return Tensor._wrap(total)


def _check_finite(total, norm_type, error_if_nonfinite):
    if error_if_nonfinite and not bool(jnp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients so that their joint ``norm_type``-norm is at most ``max_norm``; returns that norm."""
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return Tensor._wrap(jnp.asarray(0.0, jnp.float32))
    total, clipped = _clip_fn(norm_type, len(grads))(tuple(g._arr() for g in grads), float(max_norm))
    _check_finite(total, norm_type, error_if_nonfinite)
    with grad_mode.no_grad():
        for g, c in zip(grads, clipped):
            g._assign(c)
    return Tensor._wrap(total)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@functools.lru_cache(maxsize=256)
def _clamp_fn(n):
    return jax.jit(lambda arrays, v: tuple(jnp.clip(a, -v, v).astype(a.dtype) for a in arrays))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into ``[-clip_value, clip_value]`` in place."""
    grads = _grads(parameters)
    if not grads:
        return
    clipped = _clamp_fn(len(grads))(tuple(g._arr() for g in grads), float(clip_value))
    with grad_mode.no_grad():
        for g, c in zip(grads, clipped):
            g._assign(c)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by ``min(1, max_norm / (total_norm + 1e-6))``, ``total_norm`` computed
    beforehand (``get_total_norm``), in place."""
    grads = _grads(parameters)
    if not grads:
        return
    coef = torch.clamp(max_norm / (total_norm + 1e-6), max=1.0)
    with grad_mode.no_grad():
        for g in grads:
            g.mul_(coef.to(g.dtype))
