"""Adam and AdamW (decoupled weight decay), with amsgrad and maximize."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, _check_hyper, _f64, _step_tensor, _zeros_like


def _adam_kernel(cfg, params, grads, states, h):
    amsgrad, maximize, decoupled, has_wd = cfg
    lr, (beta1, beta2), eps, wd = h["lr"], h["betas"], h["eps"], h["weight_decay"]
    steps, exp_avgs, exp_avg_sqs = states[:3]
    max_sqs = states[3] if amsgrad else None
    out = [[] for _ in range(4 + amsgrad)]
    for i, (p, g) in enumerate(zip(params, grads)):
        dt = p.dtype
        if maximize:
            g = -g
        step = steps[i] + 1
        if has_wd:
            if decoupled:
                p = p * (1 - lr * wd)
            else:
                g = g + wd * p
        m = exp_avgs[i]
        m = m + (1 - beta1) * (g - m)
        v = exp_avg_sqs[i] * beta2 + (1 - beta2) * (g * g)
        s = step.astype(_f64())
        bias_correction1 = 1 - beta1 ** s
        bias_correction2 = 1 - beta2 ** s
        step_size = (lr / bias_correction1).astype(dt)
        bc2_sqrt = jnp.sqrt(bias_correction2).astype(dt)
        if amsgrad:
            vmax = jnp.maximum(max_sqs[i], v)
            out[4].append(vmax)
            denom = jnp.sqrt(vmax) / bc2_sqrt + eps
        else:
            denom = jnp.sqrt(v) / bc2_sqrt + eps
        out[0].append(p - step_size * (m / denom))
        out[1].append(step)
        out[2].append(m)
        out[3].append(v)
    return tuple(out[0]), tuple(tuple(o) for o in out[1:])


class Adam(Optimizer):
    """Adam (``torch.optim.Adam``); ``decoupled_weight_decay=True`` is AdamW."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_hyper(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _step_group(self, group):
        params = self._params_with_grad(group)
        if not params:
            return
        amsgrad = bool(group["amsgrad"])
        for p in params:
            st = self.state[p]
            if len(st) == 0:
                st["step"] = _step_tensor()
                st["exp_avg"] = _zeros_like(p)
                st["exp_avg_sq"] = _zeros_like(p)
                if amsgrad:
                    st["max_exp_avg_sq"] = _zeros_like(p)
        names = ("step", "exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
        cfg = (amsgrad, bool(group["maximize"]), bool(group["decoupled_weight_decay"]), group["weight_decay"] != 0)
        hyper = {"lr": group["lr"], "betas": tuple(group["betas"]), "eps": group["eps"],
                 "weight_decay": group["weight_decay"]}
        self._update_group(_adam_kernel, cfg, params, names, hyper)


class AdamW(Adam):
    """AdamW (``torch.optim.AdamW``): Adam with decoupled weight decay (default 1e-2)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
