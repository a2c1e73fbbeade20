"""Rprop (``torch.optim.Rprop``): per-element step sizes grown or shrunk by the sign agreement of successive
gradients; only the gradient's sign moves the parameter."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, _check, _step_tensor, _zeros_like
from .._tensor import Tensor


def _rprop_kernel(cfg, params, grads, states, h):
    (maximize,) = cfg
    (etaminus, etaplus), (size_min, size_max) = h["etas"], h["step_sizes"]
    out = ([], [], [], [])
    for p, g, step, prev, size in zip(params, grads, *states):
        if maximize:
            g = -g
        agree = jnp.sign(g * prev)
        factor = jnp.where(agree > 0, jnp.asarray(etaplus, p.dtype),
                           jnp.where(agree < 0, jnp.asarray(etaminus, p.dtype), jnp.ones((), p.dtype)))
        size = jnp.clip(size * factor, jnp.asarray(size_min, p.dtype), jnp.asarray(size_max, p.dtype))
        g = jnp.where(factor == jnp.asarray(etaminus, p.dtype), jnp.zeros((), g.dtype), g)
        for o, v in zip(out, (p - jnp.sign(g) * size, step + 1, g, size)):
            o.append(v)
    return tuple(out[0]), tuple(tuple(o) for o in out[1:])


class Rprop(Optimizer):
    """Resilient backpropagation: state ``step``, ``prev`` (the last gradient used) and ``step_size``."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr = float(group["lr"])

        def init(p):
            a = p._grad._arr()
            return {"step": _step_tensor(), "prev": _zeros_like(p), "step_size": Tensor._wrap(jnp.full(a.shape, lr, a.dtype))}
        self._lazy_step(group, _rprop_kernel, (bool(group["maximize"]),), ("step", "prev", "step_size"), init,
                        ("etas", "step_sizes"))
