"""ASGD (``torch.optim.ASGD``): SGD with a decaying step size and a running (Polyak) average ``ax``."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, _check, _f64, _step_tensor, _zeros_like


def _asgd_kernel(cfg, params, grads, states, h):
    maximize, has_wd = cfg
    lr, lambd, alpha, t0, wd = h["lr"], h["lambd"], h["alpha"], h["t0"], h["weight_decay"]
    out = ([], [], [], [], [])
    for p, g, step, eta, mu, ax in zip(params, grads, *states):
        if maximize:
            g = -g
        step = step + 1
        if has_wd:
            g = g + wd * p
        # the decay factor and step size are the previous step's eta, as PyTorch reads it (a float32 value)
        p = p * (1 - lambd * eta.astype(_f64())).astype(p.dtype)
        p = p - eta.astype(p.dtype) * g
        ax = jnp.where(mu == 1, p, ax + (p - ax) * mu.astype(p.dtype))
        s = step.astype(_f64())
        new_eta = (lr / (1 + lambd * lr * s) ** alpha).astype(eta.dtype)
        new_mu = (1 / jnp.maximum(1.0, s - t0)).astype(mu.dtype)
        for o, v in zip(out, (p, step, new_eta, new_mu, ax)):
            o.append(v)
    return tuple(out[0]), tuple(tuple(o) for o in out[1:])


class ASGD(Optimizer):
    """Averaged SGD: state ``step``, ``eta`` (the current step size), ``mu`` (the averaging weight), ``ax``."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr = float(group["lr"])
        self._lazy_step(group, _asgd_kernel, (bool(group["maximize"]), group["weight_decay"] != 0),
                        ("step", "eta", "mu", "ax"),
                        lambda p: {"step": _step_tensor(), "eta": _step_tensor(lr), "mu": _step_tensor(1.0),
                                   "ax": _zeros_like(p)},
                        ("lr", "lambd", "alpha", "t0", "weight_decay"))
