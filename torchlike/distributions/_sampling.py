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


def _gamma(alpha, key):
    return jax.random.gamma(jax.random.wrap_key_data(key), alpha, alpha.shape, alpha.dtype)


def _dirichlet(alpha, key):
    k = jax.random.wrap_key_data(key)
    g = jax.random.gamma(k, alpha, alpha.shape, alpha.dtype)
    tiny = jnp.finfo(alpha.dtype).tiny
    g = jnp.maximum(g, tiny)
    return g / g.sum(-1, keepdims=True)


_GAMMA = defop("_standard_gamma(Tensor self, Index key)", _gamma, grad="StandardGammaBackward0", dtype="keep",
               method=False, function=False, out=False)
_DIRICHLET = defop("_sample_dirichlet(Tensor self, Index key)", _dirichlet, grad="_DirichletBackward",
                   dtype="keep", method=False, function=False, out=False)


def standard_gamma(alpha, generator=None):
    """Gamma(alpha, 1) samples, differentiable in ``alpha`` (``torch._standard_gamma``)."""
    return _GAMMA.function(alpha, key_tensor(generator))


def sample_dirichlet(alpha, generator=None):
    """Dirichlet(alpha) samples over the last dimension, differentiable in ``alpha``."""
    return _DIRICHLET.function(alpha, key_tensor(generator))


def binomial(count, prob, generator=None):
    """Binomial(count, prob) samples in ``prob``'s dtype (``torch.binomial``; no gradient)."""
    k = _key(generator)
    n = jnp.asarray(count.detach().jax())
    p = jnp.asarray(prob.detach().jax())
    n, p = jnp.broadcast_arrays(n, p)
    return torch.from_jax(jax.random.binomial(k, n, p).astype(p.dtype))
