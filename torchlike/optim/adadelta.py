"""Adadelta (``torch.optim.Adadelta``)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, _check, _check_hyper, _grad_prelude, _step_tensor, _zeros_like


def _adadelta_kernel(cfg, params, grads, states, h):
    maximize, has_wd = cfg
    lr, rho, eps, wd = h["lr"], h["rho"], h["eps"], h["weight_decay"]
    steps, square_avgs, acc_deltas = states
    out = ([], [], [], [])
    for p, g, step, sq, acc in zip(params, grads, steps, square_avgs, acc_deltas):
        p, g = _grad_prelude(p, g, maximize, has_wd, False, lr, wd)
        sq = sq * rho + (1 - rho) * (g * g)
        delta = jnp.sqrt(acc + eps) / jnp.sqrt(sq + eps) * g
        acc = acc * rho + (1 - rho) * (delta * delta)
        for o, v in zip(out, (p - lr * delta, step + 1, sq, acc)):
            o.append(v)
    return tuple(out[0]), tuple(tuple(o) for o in out[1:])


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_hyper(lr, eps, weight_decay=weight_decay)
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _step_group(self, group):
        self._lazy_step(group, _adadelta_kernel, (bool(group["maximize"]), group["weight_decay"] != 0),
                        ("step", "square_avg", "acc_delta"),
                        lambda p: {"step": _step_tensor(), "square_avg": _zeros_like(p), "acc_delta": _zeros_like(p)},
                        ("lr", "rho", "eps", "weight_decay"))
