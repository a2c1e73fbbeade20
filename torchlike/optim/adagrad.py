"""Adagrad (state initialised eagerly, as PyTorch does)."""
from __future__ import annotations

import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import Optimizer, _f64, _step_tensor


def _adagrad_kernel(cfg, params, grads, states, h):
    maximize, has_wd = cfg
    lr, lr_decay, eps, wd = h["lr"], h["lr_decay"], h["eps"], h["weight_decay"]
    steps, sums = states
    out_p, out_step, out_sum = [], [], []
    for i, (p, g) in enumerate(zip(params, grads)):
        if maximize:
            g = -g
        step = steps[i] + 1
        out_step.append(step)
        if has_wd:
            g = g + wd * p
        clr = (lr / (1 + (step.astype(_f64()) - 1) * lr_decay)).astype(p.dtype)
        s = sums[i] + g * g
        out_sum.append(s)
        std = jnp.sqrt(s) + eps
        out_p.append(p - clr * (g / std))
    return tuple(out_p), (tuple(out_step), tuple(out_sum))


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state[p]
                st["step"] = _step_tensor()
                a = p._arr()
                st["sum"] = Tensor._wrap(jnp.full(a.shape, group["initial_accumulator_value"], a.dtype))

    def _step_group(self, group):
        params = self._params_with_grad(group)
        if not params:
            return
        cfg = (bool(group["maximize"]), group["weight_decay"] != 0)
        hyper = {k: group[k] for k in ("lr", "lr_decay", "eps", "weight_decay")}
        self._update_group(_adagrad_kernel, cfg, params, ("step", "sum"), hyper)
