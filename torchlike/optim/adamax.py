"""Adamax (``torch.optim.Adamax``): Adam with the infinity norm."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, _check_hyper, _f64, _grad_prelude, _step_tensor, _zeros_like


def _adamax_kernel(cfg, params, grads, states, h):
    maximize, has_wd = cfg
    lr, (beta1, beta2), eps, wd = h["lr"], h["betas"], h["eps"], h["weight_decay"]
    out = ([], [], [], [])
    for p, g, step, m, u in zip(params, grads, *states):
        p, g = _grad_prelude(p, g, maximize, has_wd, False, lr, wd)
        step = step + 1
        m = m + (1 - beta1) * (g - m)
        u = jnp.maximum(u * beta2, jnp.abs(g) + eps)
        clr = (lr / (1 - beta1 ** step.astype(_f64()))).astype(p.dtype)
        for o, v in zip(out, (p - clr * (m / u), step, m, u)):
            o.append(v)
    return tuple(out[0]), tuple(tuple(o) for o in out[1:])


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_hyper(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _step_group(self, group):
        self._lazy_step(group, _adamax_kernel, (bool(group["maximize"]), group["weight_decay"] != 0),
                        ("step", "exp_avg", "exp_inf"),
                        lambda p: {"step": _step_tensor(), "exp_avg": _zeros_like(p), "exp_inf": _zeros_like(p)},
                        ("lr", "betas", "eps", "weight_decay"))
