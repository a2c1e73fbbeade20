"""Sampling primitives the distributions need beyond ``torchlike.rand``/``randn``/``poisson``.

Gamma and Dirichlet draws are ops (``defop``) whose JAX implementation is
``jax.random.gamma``/``dirichlet`` on a key from torchlike's generator, passed as
a non-differentiable ``Index`` input; their gradient with respect to the
concentration is JAX's implicit reparameterization gradient (what PyTorch's
``_standard_gamma_grad``/``_dirichlet_grad`` compute), so ``rsample`` carries
autograd.  ``torch.manual_seed`` governs every draw.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

import torchlike as torch
from .._random import _key
from .._registry import defop

__all__ = ["standard_gamma", "sample_dirichlet", "binomial", "key_tensor"]


def key_tensor(generator=None):
    """The next key of ``generator`` (default: the global one) as a uint32 tensor."""
    return torch.from_jax(jax.random.key_data(_key(generator)))


# ---- bucketed samplers --------------------------------------------------------------------------
# JAX's gamma/binomial samplers and the gamma reparameterization gradient take seconds to compile;
# they run here on flat inputs padded to a power-of-four length of at least 1024, so every small draw
# shares one program and a new large shape usually reuses one (a 1024-element draw costs microseconds).

def _bucket(n):
    size = 1024
    while size < n:
        size *= 4
    return size


def _bucketed(fn, key, *arrays):
    """``fn(key, *flat_arrays)`` on the broadcast, flattened, padded ``arrays``; result in their shape."""
    arrays = jnp.broadcast_arrays(*arrays)
    shape = arrays[0].shape
    n = arrays[0].size
    pad = _bucket(n) - n
    flat = [jnp.pad(a.reshape(-1), (0, pad), constant_values=1) for a in arrays]
    return fn(key, *flat)[:n].reshape(shape)


@jax.jit
def _gamma_flat(key, alpha):
    tiny = jnp.finfo(alpha.dtype).tiny
    return jnp.maximum(jax.random.gamma(key, alpha, alpha.shape, alpha.dtype), tiny)


@jax.jit
def _gamma_grad_flat(key, alpha, x):
    return jax.lax.random_gamma_grad(alpha, x)


@jax.jit
def _binomial_flat(key, n, p):
    return jax.random.binomial(key, n, p).astype(p.dtype)


def _reparam(alpha, x, dx_dalpha):
    """``x`` with gradient ``dx_dalpha`` with respect to ``alpha`` (implicit reparameterization)."""
    return x + dx_dalpha * (alpha - jax.lax.stop_gradient(alpha))


def _dirichlet(alpha, g, dg):
    g = jnp.maximum(_reparam(alpha, g, dg), jnp.finfo(alpha.dtype).tiny)
    return g / g.sum(-1, keepdims=True)


_GAMMA = defop("_standard_gamma(Tensor self, Index sample, Index grad)", _reparam, grad="StandardGammaBackward0",
               dtype="keep", method=False, function=False, out=False)
_DIRICHLET = defop("_sample_dirichlet(Tensor self, Index sample, Index grad)", _dirichlet,
                   grad="_DirichletBackward", dtype="keep", method=False, function=False, out=False)


def _gamma_draw(alpha, generator):
    """(draws, op inputs): Gamma(alpha, 1) draws; with the reparameterization gradient when it is needed."""
    a = alpha.detach().jax()
    x = _bucketed(_gamma_flat, _key(generator), a)
    if alpha.requires_grad and torch.is_grad_enabled():
        dx = _bucketed(_gamma_grad_flat, None, a, x)
        return x, (alpha, torch.from_jax(x), torch.from_jax(dx))
    return x, None


def standard_gamma(alpha, generator=None):
    """Gamma(alpha, 1) samples, differentiable in ``alpha`` (``torch._standard_gamma``)."""
    x, op_inputs = _gamma_draw(alpha, generator)
    return torch.from_jax(x) if op_inputs is None else _GAMMA.function(*op_inputs)


def sample_dirichlet(alpha, generator=None):
    """Dirichlet(alpha) samples over the last dimension, differentiable in ``alpha``."""
    x, op_inputs = _gamma_draw(alpha, generator)
    if op_inputs is None:
        x = jnp.maximum(x, jnp.finfo(x.dtype).tiny)
        return torch.from_jax(x / x.sum(-1, keepdims=True))
    return _DIRICHLET.function(*op_inputs)


def binomial(count, prob, generator=None):
    """Binomial(count, prob) samples in ``prob``'s dtype (``torch.binomial``; no gradient)."""
    p = prob.detach().jax()
    return torch.from_jax(_bucketed(_binomial_flat, _key(generator), count.detach().jax().astype(p.dtype), p))
